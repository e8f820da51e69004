//! The digits example: `hypha job digits-check` trains an MLP on the digits
//! training split through the training job, quantizes it to int8, runs the
//! inference job on the test split and reports the accuracy; `hypha digits
//! prepare | model | accuracy` do the same as marketplace jobs, one step at
//! a time ([`prepare_digits_training`], [`prepare_digits_inference`],
//! [`digits_output_accuracy`]).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use hypha_compute::inference::InferenceJob;
use hypha_compute::kernels::sgd_update::LearningRate;
use hypha_compute::output::JobOutput;
use hypha_compute::quantize::quantize_mlp;
use hypha_compute::spec::{InferenceSpec, JobSpec, TrainingPlan, TrainingSpec};
use hypha_compute::tensors::{read_bounded, MAX_FILE_BYTES};
use hypha_compute::training::{Dataset, FixedMlp, TrainingJob};
use hypha_compute::{Backend, BackendChoice};

use crate::args::BackendArg;

/// The digits example as marketplace jobs.
#[derive(Debug, clap::Subcommand)]
pub enum DigitsCommand {
	/// Write the digits training job (train.toml, init.safetensors) to --out,
	/// ready for `hypha job submit`.
	Prepare(DigitsCheckArgs),
	/// Turn a training job's output (`hypha job fetch` wrote output.bin) into
	/// the inference job on the test split (infer.toml and its files in --out).
	Model {
		/// The digits data set.
		#[arg(long, default_value = "data/digits.safetensors")]
		data: PathBuf,
		/// The training job's output.bin.
		#[arg(long)]
		trained: PathBuf,
		/// Where to write infer.toml, model.safetensors, test_input.safetensors.
		#[arg(long)]
		out: PathBuf,
		#[command(flatten)]
		backend: BackendArg,
	},
	/// Score an inference job's output (output.bin) on the test labels.
	Accuracy {
		/// The digits data set.
		#[arg(long, default_value = "data/digits.safetensors")]
		data: PathBuf,
		/// The inference job's output.bin.
		#[arg(long)]
		output: PathBuf,
		/// Fail below this accuracy.
		#[arg(long, default_value_t = 0.0)]
		min_accuracy: f64,
	},
}

/// The digits training job's settings (`hypha job digits-check`, `hypha
/// digits prepare`).
#[derive(Debug, clap::Args)]
pub struct DigitsCheckArgs {
	/// The digits data set.
	#[arg(long, default_value = "data/digits.safetensors")]
	data: PathBuf,
	#[command(flatten)]
	backend: BackendArg,
	/// Hidden units.
	#[arg(long, default_value_t = 32)]
	hidden: usize,
	/// Epochs.
	#[arg(long, default_value_t = 100)]
	epochs: u32,
	/// Minibatch size.
	#[arg(long, default_value_t = 32)]
	batch_size: usize,
	/// Learning-rate numerator (the rate is multiplier / 2^shift, applied to
	/// batch-summed gradients).
	#[arg(long, default_value_t = 1)]
	learning_rate_multiplier: i32,
	/// Learning-rate denominator's power of two.
	#[arg(long, default_value_t = 9)]
	learning_rate_shift: u32,
	/// Seed of the initial weights and the sample order.
	#[arg(long, default_value_t = 1)]
	seed: u64,
	/// Train on only the first N training samples.
	#[arg(long)]
	train_limit: Option<usize>,
	/// Fail below this test accuracy.
	#[arg(long, default_value_t = 0.95)]
	min_accuracy: f64,
	/// Write the jobs' files here (train.toml, infer.toml, weights, model,
	/// inputs) to rerun them with `hypha job run-local`.
	#[arg(long)]
	out: Option<PathBuf>,
}

impl DigitsCheckArgs {
	fn config(self) -> DigitsCheckConfig {
		DigitsCheckConfig {
			data: self.data,
			backend: self.backend.backend,
			hidden: self.hidden,
			epochs: self.epochs,
			batch_size: self.batch_size,
			learning_rate: LearningRate {
				multiplier: self.learning_rate_multiplier,
				shift: self.learning_rate_shift,
			},
			seed: self.seed,
			train_limit: self.train_limit,
			out: self.out,
		}
	}
}

/// `hypha job digits-check`.
pub fn run_check(args: DigitsCheckArgs) -> Result<()> {
	let min_accuracy = args.min_accuracy;
	let report = digits_check(&args.config())?;
	println!("backend: {}", report.backend);
	let loss: Vec<String> =
		report.loss.iter().map(|l| format!("{:.4}", *l as f64 / 65536.0)).collect();
	println!("loss per epoch: [{}]", loss.join(", "));
	println!("training samples/s: {:.0}", report.samples_per_second);
	println!("training output digest: 0x{}", hex::encode(report.training_digest));
	println!("inference output digest: 0x{}", hex::encode(report.inference_digest));
	println!("correct: {}/{}", report.correct, report.total);
	println!("accuracy: {:.4}", report.accuracy);
	require_accuracy(&report, min_accuracy)
}

impl DigitsCommand {
	/// Runs the command.
	pub fn run(self) -> Result<()> {
		match self {
			DigitsCommand::Prepare(args) => {
				let spec = prepare_digits_training(&args.config())?;
				println!("training job: {}", spec.display());
			},
			DigitsCommand::Model { data, trained, out, backend } => {
				let bytes = std::fs::read(&trained)
					.with_context(|| format!("reading {}", trained.display()))?;
				let spec = prepare_digits_inference(&bytes, &data, &out, backend.backend)?;
				println!("inference job: {}", spec.display());
			},
			DigitsCommand::Accuracy { data, output, min_accuracy } => {
				let bytes = std::fs::read(&output)
					.with_context(|| format!("reading {}", output.display()))?;
				let (correct, total) = digits_output_accuracy(&bytes, &data)?;
				let accuracy = correct as f64 / total as f64;
				println!("correct: {correct}/{total}");
				println!("accuracy: {accuracy:.4}");
				anyhow::ensure!(
					accuracy >= min_accuracy,
					"accuracy {accuracy:.4} is below the required {min_accuracy:.2}"
				);
			},
		}
		Ok(())
	}
}

/// Settings of `digits-check`.
#[derive(Debug, Clone)]
pub struct DigitsCheckConfig {
	/// The digits safetensors file.
	pub data: PathBuf,
	/// Backend.
	pub backend: BackendChoice,
	/// Hidden units.
	pub hidden: usize,
	/// Epochs.
	pub epochs: u32,
	/// Batch size.
	pub batch_size: usize,
	/// Learning rate (applied to batch-summed gradients).
	pub learning_rate: LearningRate,
	/// Seed of the initial weights and of the sample order.
	pub seed: u64,
	/// Train on only the first this many training samples (all if `None`).
	pub train_limit: Option<usize>,
	/// Write the job files (specs, weights, model, inputs) here.
	pub out: Option<PathBuf>,
}

/// What `digits-check` reports.
#[derive(Debug, Clone)]
pub struct DigitsReport {
	/// Backend that ran the jobs.
	pub backend: String,
	/// Loss per epoch (Q16).
	pub loss: Vec<i64>,
	/// Digest of the training job's output.
	pub training_digest: [u8; 32],
	/// Digest of the inference job's output.
	pub inference_digest: [u8; 32],
	/// Test accuracy of the int8 model.
	pub accuracy: f64,
	/// Correct predictions.
	pub correct: usize,
	/// Test samples.
	pub total: usize,
	/// Training samples per second.
	pub samples_per_second: f64,
}

/// Fractional bits of the digits' pixels (0..16 reads as 0.0..1.0).
pub const DIGITS_INPUT_FRAC_BITS: u32 = 4;

/// The digits data set's two splits.
#[derive(Debug, Clone)]
pub struct Digits {
	/// The training split (`train_images`, `train_labels`).
	pub train: Dataset,
	/// The test split (`test_images`, `test_labels`).
	pub test: Dataset,
}

/// Reads the digits data set; keeps only the first `train_limit` training
/// samples if given.
pub fn read_digits(path: &Path, train_limit: Option<usize>) -> Result<Digits> {
	let bytes = read_bounded(path, MAX_FILE_BYTES)
		.with_context(|| format!("reading the digits data set {}", path.display()))?;
	let mut train = Dataset::from_safetensors(&bytes, "train_images", "train_labels")
		.context("reading the training split")?;
	let test = Dataset::from_safetensors(&bytes, "test_images", "test_labels")
		.context("reading the test split")?;
	if let Some(limit) = train_limit {
		let limit = limit.clamp(1, train.samples);
		train.images.truncate(limit * train.features);
		train.labels.truncate(limit);
		train.samples = limit;
	}
	Ok(Digits { train, test })
}

/// The inference job of a trained digits MLP: the int8 model (calibrated on
/// the training split) and the test split as its input batch, as the two
/// safetensors blobs of the job.
pub fn digits_inference_blobs(
	trained: &FixedMlp,
	digits: &Digits,
	backend: &Backend,
) -> Result<(Vec<u8>, Vec<u8>)> {
	let model = quantize_mlp(
		trained,
		digits.train.all_inputs(),
		digits.train.samples,
		DIGITS_INPUT_FRAC_BITS,
		backend,
	)
	.context("quantizing the trained model to int8")?;
	let test_input: Vec<i8> = digits.test.images.iter().map(|&p| p as i8).collect();
	let input =
		InferenceJob::input_safetensors(&test_input, digits.test.samples, digits.test.features)?;
	Ok((model.to_safetensors()?, input))
}

/// Correct predictions among `classes` (one per test sample) and the number of test samples.
pub fn digits_correct(classes: &[u32], digits: &Digits) -> Result<(usize, usize)> {
	anyhow::ensure!(
		classes.len() == digits.test.samples,
		"{} predictions for {} test samples: this is not the output of the digits inference job",
		classes.len(),
		digits.test.samples
	);
	let correct =
		classes.iter().zip(&digits.test.labels).filter(|(p, l)| **p == **l as u32).count();
	Ok((correct, digits.test.samples))
}

/// The digits training job's [`TrainingPlan`], as `digits-check` and `hypha
/// digits prepare` take it: the one description both run and write.
pub fn digits_plan(config: &DigitsCheckConfig, features: usize) -> TrainingPlan {
	TrainingPlan {
		layers: vec![features, config.hidden, 10],
		images: "train_images".into(),
		labels: "train_labels".into(),
		input_frac_bits: DIGITS_INPUT_FRAC_BITS,
		epochs: config.epochs,
		batch_size: config.batch_size,
		learning_rate_multiplier: config.learning_rate.multiplier,
		learning_rate_shift: config.learning_rate.shift,
		seed: config.seed,
	}
}

/// Trains, quantizes and evaluates an MLP on the digits data set.
pub fn digits_check(config: &DigitsCheckConfig) -> Result<DigitsReport> {
	let digits = read_digits(&config.data, config.train_limit)?;
	let train = &digits.train;
	let backend = Backend::select(config.backend).context("selecting the compute backend")?;

	let plan = digits_plan(config, train.features);
	let initial = FixedMlp::init(&plan.layers, config.seed).context("initializing weights")?;
	let training = TrainingJob::new(initial.clone(), train.clone(), plan.config())
		.context("building the training job")?;
	let started = std::time::Instant::now();
	let trained = training.run(&backend).context("running the training job")?;
	let elapsed = started.elapsed().as_secs_f64();
	let samples_per_second = (train.samples as f64 * config.epochs as f64) / elapsed.max(1e-9);
	let training_digest = trained.to_output().digest();

	let (model_bytes, input_bytes) = digits_inference_blobs(&trained.model, &digits, &backend)?;
	let inference = InferenceJob::from_safetensors(&model_bytes, &input_bytes)
		.context("building the inference job")?;
	let result = inference.run(&backend).context("running the inference job")?;
	let inference_digest = result.to_output().digest();
	let (correct, total) = digits_correct(&result.classes, &digits)?;

	if let Some(dir) = &config.out {
		write_training_files(dir, &config.data, plan, &initial)?;
		write_inference_files(dir, &model_bytes, &input_bytes)?;
	}
	Ok(DigitsReport {
		backend: backend.describe(),
		loss: trained.loss,
		training_digest,
		inference_digest,
		accuracy: correct as f64 / total as f64,
		correct,
		total,
		samples_per_second,
	})
}

/// Writes the digits training job (`train.toml` and `init.safetensors`) into
/// `config.out` without running it: what `hypha digits prepare` submits to
/// the marketplace. Returns the spec's path.
pub fn prepare_digits_training(config: &DigitsCheckConfig) -> Result<PathBuf> {
	let dir = config.out.as_deref().context("give --out: where to write the job files")?;
	anyhow::ensure!(
		config.train_limit.is_none(),
		"--train-limit is for digits-check only: the marketplace job trains on the whole split"
	);
	let digits = read_digits(&config.data, None)?;
	let plan = digits_plan(config, digits.train.features);
	let initial = FixedMlp::init(&plan.layers, config.seed).context("initializing weights")?;
	// Validate the job as a worker will, before anyone pays for it.
	TrainingJob::new(initial.clone(), digits.train, plan.config())
		.context("building the training job")?;
	write_training_files(dir, &config.data, plan, &initial)?;
	Ok(dir.join("train.toml"))
}

/// Turns the output of a digits training job (canonical bytes, as `hypha
/// job fetch` saves them) into the inference job on the test split
/// (`infer.toml`, `model.safetensors`, `test_input.safetensors` in `dir`).
/// Returns the spec's path.
pub fn prepare_digits_inference(
	training_output: &[u8],
	data: &Path,
	dir: &Path,
	backend: BackendChoice,
) -> Result<PathBuf> {
	let output = JobOutput::from_canonical_bytes(training_output)
		.context("reading the training job's output")?;
	let trained = FixedMlp::from_output(&output).context("the output holds no trained weights")?;
	let digits = read_digits(data, None)?;
	let backend = Backend::select(backend).context("selecting the compute backend")?;
	let (model, input) = digits_inference_blobs(&trained, &digits, &backend)?;
	write_inference_files(dir, &model, &input)?;
	Ok(dir.join("infer.toml"))
}

/// The test accuracy an inference job's output (canonical bytes) reaches on
/// the digits test split: correct predictions and test samples.
pub fn digits_output_accuracy(inference_output: &[u8], data: &Path) -> Result<(usize, usize)> {
	let output = JobOutput::from_canonical_bytes(inference_output)
		.context("reading the inference job's output")?;
	let (_, classes) =
		output.u32("argmax").context("the output has no argmax: not an inference job's")?;
	digits_correct(&classes, &read_digits(data, None)?)
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
	std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
	std::fs::write(dir.join(name), bytes)
		.with_context(|| format!("writing {}", dir.join(name).display()))
}

fn write_training_files(
	dir: &Path,
	data: &Path,
	plan: TrainingPlan,
	initial: &FixedMlp,
) -> Result<()> {
	let dataset = std::fs::canonicalize(data).context("resolving the data path")?;
	write_file(dir, "init.safetensors", &initial.to_safetensors()?)?;
	let spec = JobSpec::Training(TrainingSpec {
		initial_weights: "init.safetensors".into(),
		dataset,
		plan,
	});
	write_file(dir, "train.toml", spec.to_toml()?.as_bytes())
}

fn write_inference_files(dir: &Path, model: &[u8], input: &[u8]) -> Result<()> {
	write_file(dir, "model.safetensors", model)?;
	write_file(dir, "test_input.safetensors", input)?;
	let spec = JobSpec::Inference(InferenceSpec {
		model: "model.safetensors".into(),
		input: "test_input.safetensors".into(),
	});
	write_file(dir, "infer.toml", spec.to_toml()?.as_bytes())
}

/// Fails unless `accuracy` reaches `minimum`.
pub fn require_accuracy(report: &DigitsReport, minimum: f64) -> Result<()> {
	if report.accuracy < minimum {
		bail!(
			"accuracy {:.4} is below the required {minimum:.2}. Try more --epochs or another --learning-rate-shift",
			report.accuracy
		);
	}
	Ok(())
}
