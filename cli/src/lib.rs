//! # hypha CLI
//!
//! The `hypha` binary's commands, as functions the tests can call:
//!
//! - `hypha job run-local <spec>`: [`run_local`] runs a job from a TOML spec
//!   without a chain and reports its output digest (check a job before
//!   paying for it);
//! - `hypha job digits-check`: [`digits_check`] trains an MLP on the digits
//!   training split through the training job, quantizes it to int8, runs the
//!   inference job on the test split and reports the accuracy.
//!
//! Chain commands arrive with the issue "The marketplace end to end", as
//! further subcommands.

pub mod gov;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use hypha_compute::inference::InferenceJob;
use hypha_compute::kernels::sgd_update::LearningRate;
use hypha_compute::output::JobOutput;
use hypha_compute::quantize::quantize_mlp;
use hypha_compute::spec::Job;
use hypha_compute::tensors::{read_bounded, MAX_FILE_BYTES};
use hypha_compute::training::{Dataset, FixedMlp, TrainingConfig, TrainingJob};
use hypha_compute::{Backend, BackendChoice};

/// What `run-local` reports.
#[derive(Debug, Clone)]
pub struct RunLocalReport {
	/// `inference` or `training`.
	pub kind: &'static str,
	/// The backend that ran it.
	pub backend: String,
	/// The output.
	pub output: JobOutput,
	/// blake2-256 of the canonical output.
	pub digest: [u8; 32],
}

/// Runs the job described by `spec` on `backend`; writes the canonical output
/// (`output.bin`) and a safetensors copy (`output.safetensors`) to `out` if given.
pub fn run_local(
	spec: &Path,
	backend: BackendChoice,
	out: Option<&Path>,
) -> Result<RunLocalReport> {
	let job = Job::from_spec_file(spec)
		.with_context(|| format!("loading job spec {}", spec.display()))?;
	let backend = Backend::select(backend).context("selecting the compute backend")?;
	let output = job.run(&backend).with_context(|| format!("running the {} job", job.kind()))?;
	let digest = output.digest();
	if let Some(dir) = out {
		std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
		std::fs::write(dir.join("output.bin"), output.canonical_bytes())
			.context("writing output.bin")?;
		std::fs::write(dir.join("output.safetensors"), output.to_safetensors()?)
			.context("writing output.safetensors")?;
	}
	Ok(RunLocalReport { kind: job.kind(), backend: backend.describe(), output, digest })
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

/// Trains, quantizes and evaluates an MLP on the digits data set.
pub fn digits_check(config: &DigitsCheckConfig) -> Result<DigitsReport> {
	let bytes = read_bounded(&config.data, MAX_FILE_BYTES)
		.with_context(|| format!("reading the digits data set {}", config.data.display()))?;
	let mut train = Dataset::from_safetensors(&bytes, "train_images", "train_labels")
		.context("reading the training split")?;
	let test = Dataset::from_safetensors(&bytes, "test_images", "test_labels")
		.context("reading the test split")?;
	if let Some(limit) = config.train_limit {
		let limit = limit.clamp(1, train.samples);
		train.images.truncate(limit * train.features);
		train.labels.truncate(limit);
		train.samples = limit;
	}
	let backend = Backend::select(config.backend).context("selecting the compute backend")?;

	let sizes = [train.features, config.hidden, 10];
	let initial = FixedMlp::init(&sizes, config.seed).context("initializing weights")?;
	let training_config = TrainingConfig {
		epochs: config.epochs,
		batch_size: config.batch_size,
		learning_rate: config.learning_rate,
		seed: config.seed,
		input_frac_bits: DIGITS_INPUT_FRAC_BITS,
	};
	let training = TrainingJob::new(initial.clone(), train.clone(), training_config)
		.context("building the training job")?;
	let started = std::time::Instant::now();
	let trained = training.run(&backend).context("running the training job")?;
	let elapsed = started.elapsed().as_secs_f64();
	let samples_per_second = (train.samples as f64 * config.epochs as f64) / elapsed.max(1e-9);
	let training_digest = trained.to_output().digest();

	let model = quantize_mlp(
		&trained.model,
		train.all_inputs(),
		train.samples,
		DIGITS_INPUT_FRAC_BITS,
		&backend,
	)
	.context("quantizing the trained model to int8")?;
	let model_bytes = model.to_safetensors()?;
	let test_input: Vec<i8> = test.images.iter().map(|&p| p as i8).collect();
	let input_bytes = InferenceJob::input_safetensors(&test_input, test.samples, test.features)?;
	let inference = InferenceJob::from_safetensors(&model_bytes, &input_bytes)
		.context("building the inference job")?;
	let result = inference.run(&backend).context("running the inference job")?;
	let inference_digest = result.to_output().digest();
	let correct =
		result.classes.iter().zip(&test.labels).filter(|(p, l)| **p == **l as u32).count();

	if let Some(dir) = &config.out {
		write_job_files(dir, config, &sizes, &initial, &model_bytes, &input_bytes)?;
	}
	Ok(DigitsReport {
		backend: backend.describe(),
		loss: trained.loss,
		training_digest,
		inference_digest,
		accuracy: correct as f64 / test.samples as f64,
		correct,
		total: test.samples,
		samples_per_second,
	})
}

fn write_job_files(
	dir: &Path,
	config: &DigitsCheckConfig,
	sizes: &[usize],
	initial: &FixedMlp,
	model: &[u8],
	input: &[u8],
) -> Result<()> {
	std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
	let data = std::fs::canonicalize(&config.data).context("resolving the data path")?;
	let write = |name: &str, bytes: &[u8]| {
		std::fs::write(dir.join(name), bytes)
			.with_context(|| format!("writing {}", dir.join(name).display()))
	};
	write("init.safetensors", &initial.to_safetensors()?)?;
	write("model.safetensors", model)?;
	write("test_input.safetensors", input)?;
	let layers: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
	write(
		"train.toml",
		format!(
			"kind = \"training\"\nlayers = [{}]\ninitial_weights = \"init.safetensors\"\ndataset = {:?}\n\
			 images = \"train_images\"\nlabels = \"train_labels\"\ninput_frac_bits = {}\nepochs = {}\n\
			 batch_size = {}\nlearning_rate_multiplier = {}\nlearning_rate_shift = {}\nseed = {}\n",
			layers.join(", "),
			data.display().to_string(),
			DIGITS_INPUT_FRAC_BITS,
			config.epochs,
			config.batch_size,
			config.learning_rate.multiplier,
			config.learning_rate.shift,
			config.seed,
		)
		.as_bytes(),
	)?;
	write("infer.toml", b"kind = \"inference\"\nmodel = \"model.safetensors\"\ninput = \"test_input.safetensors\"\n")?;
	Ok(())
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
