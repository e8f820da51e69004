//! `hypha model`: the model registry on chain ([`crate::registry`]); import
//! a Hugging Face checkpoint as an integer-only Hypha model, check its
//! quality against the float checkpoint, and run it on this machine
//! (generate, score).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use hypha_compute::lm::eval::{compare, Comparison};
use hypha_compute::lm::import::{import, Calibration, Imported};
use hypha_compute::lm::{generate, score, IntLm, Sampling, Tokenizer};
use hypha_compute::output::{JobOutput, OutputTensor};
use hypha_compute::tensors::read_bounded;
use hypha_compute::{Backend, BackendChoice};

use crate::args::{BackendArg, ChainArgs};
use crate::job::submit::{submit, SubmitOptions, DEFAULT_MAX_OUTPUT_BYTES};
use hypha_client::amount::{amount_arg, format_hypha};
use hypha_compute::spec::{GenerateSpec, JobSpec};
use hypha_primitives::Balance;

/// Models: the registry on chain, and language models on this machine.
#[derive(Debug, clap::Subcommand)]
pub enum ModelCommand {
	/// The registry on chain (register, push-version, evaluate, show, log,
	/// verify, deprecate, transfer).
	#[command(flatten)]
	Registry(crate::registry::RegistryCommand),
	/// Import a Hugging Face checkpoint directory (config.json,
	/// model.safetensors in f32/f16/bf16, tokenizer.json) as an integer-only
	/// Hypha model, calibrating activation scales on sample text; prints the
	/// model's digest.
	Import {
		/// The checkpoint directory.
		dir: PathBuf,
		/// Text to calibrate on (default: <dir>/calibration.txt).
		#[arg(long)]
		calibration: Option<PathBuf>,
		/// Where to write the model (default: <dir>/model.hypha.safetensors).
		#[arg(long)]
		out: Option<PathBuf>,
	},
	/// Import a checkpoint, score held-out text with the float and the
	/// integer model, print both perplexities and the greedy agreement, and
	/// run one generation on every backend (the digests must be equal).
	/// Fails if the integer perplexity is more than 5 % above the float one.
	Check {
		/// The checkpoint directory.
		dir: PathBuf,
		/// Held-out text (default: <dir>/heldout.txt).
		#[arg(long)]
		heldout: Option<PathBuf>,
		/// Text to calibrate on (default: <dir>/calibration.txt).
		#[arg(long)]
		calibration: Option<PathBuf>,
		/// Windows of held-out text to score (each as long as the model's context).
		#[arg(long, default_value_t = 24)]
		windows: usize,
		/// Largest integer/float perplexity ratio accepted.
		#[arg(long, default_value_t = 1.05)]
		max_ratio: f64,
	},
	/// Generate a completion on this machine.
	Generate {
		/// The Hypha model file.
		#[arg(long)]
		model: PathBuf,
		/// The prompt.
		#[arg(long)]
		prompt: String,
		/// Most tokens to generate.
		#[arg(long, default_value_t = 32)]
		max_new: usize,
		#[command(flatten)]
		sampling: SamplingArgs,
		#[command(flatten)]
		backend: BackendArg,
	},
	/// Per-token log-probabilities and the perplexity of a text.
	Score {
		/// The Hypha model file.
		#[arg(long)]
		model: PathBuf,
		/// The text.
		#[arg(long)]
		text: String,
		#[command(flatten)]
		backend: BackendArg,
	},
}

/// Sampling flags.
#[derive(Debug, Clone, clap::Args)]
pub struct SamplingArgs {
	/// Temperature (0: greedy).
	#[arg(long, default_value_t = 0.0)]
	pub temperature: f64,
	/// Keep only the k most likely tokens (0: all).
	#[arg(long, default_value_t = 0)]
	pub top_k: u32,
	/// Keep the smallest set of tokens whose probability reaches p.
	#[arg(long, default_value_t = 1.0)]
	pub top_p: f64,
	/// Seed of the sampler.
	#[arg(long, default_value_t = 0)]
	pub sample_seed: u64,
}

impl SamplingArgs {
	/// The fixed-point settings (thousandths).
	pub fn to_sampling(&self) -> Result<Sampling> {
		let milli = |v: f64, what: &str| -> Result<u32> {
			if !(v.is_finite() && v >= 0.0) {
				bail!("{what} must be a non-negative number");
			}
			Ok((v * 1000.0).round() as u32)
		};
		let s = Sampling {
			temperature_milli: milli(self.temperature, "--temperature")?,
			top_k: self.top_k,
			top_p_milli: milli(self.top_p, "--top-p")?,
			seed: self.sample_seed,
		};
		s.validate()?;
		Ok(s)
	}
}

fn read_text(path: &Path) -> Result<String> {
	std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Imports `dir`, calibrating on `calibration` (default `<dir>/calibration.txt`).
pub fn import_dir(dir: &Path, calibration: Option<&Path>) -> Result<Imported> {
	let path = calibration.map(Path::to_path_buf).unwrap_or_else(|| dir.join("calibration.txt"));
	let text = read_text(&path).context("the calibration text (give --calibration)")?;
	import(dir, &text, Calibration::default())
		.with_context(|| format!("importing {}", dir.display()))
}

/// Loads a Hypha model file.
pub fn load_model(path: &Path) -> Result<IntLm> {
	let bytes = read_bounded(path, hypha_compute::tensors::MAX_FILE_BYTES)?;
	IntLm::from_safetensors(&bytes).with_context(|| format!("loading the model {}", path.display()))
}

/// The output of a local generation: tokens, text and their digest.
pub struct Completion {
	/// New tokens.
	pub tokens: Vec<u32>,
	/// Their text.
	pub text: String,
	/// blake2-256 of the canonical output (`tokens`).
	pub digest: [u8; 32],
}

/// Generates after `prompt` on `backend`.
pub fn complete(
	model: &IntLm,
	backend: &Backend,
	prompt: &str,
	max_new: usize,
	sampling: &Sampling,
) -> Result<Completion> {
	let tokenizer = Tokenizer::from_json(&model.tokenizer)?;
	let prompt_tokens = tokenizer.encode(prompt)?;
	let tokens = generate(model, backend, &prompt_tokens, max_new, sampling)?;
	let mut output = JobOutput::default();
	output.insert("tokens", OutputTensor::u32(vec![tokens.len()], &tokens));
	Ok(Completion { text: tokenizer.decode(&tokens)?, digest: output.digest(), tokens })
}

/// What `hypha model check` measured.
pub struct CheckReport {
	/// Perplexities and agreement.
	pub comparison: Comparison,
	/// `(backend, digest)` of the same greedy generation on each backend.
	pub digests: Vec<(String, [u8; 32])>,
	/// The model's digest.
	pub model_digest: [u8; 32],
	/// The generation's text.
	pub completion: String,
}

/// The prompt `check` generates from on every backend.
pub const CHECK_PROMPT: &str = "The secret of life is";

/// Imports `dir` and measures it (see [`ModelCommand::Check`]).
pub fn check(
	dir: &Path,
	heldout: Option<&Path>,
	calibration: Option<&Path>,
	windows: usize,
) -> Result<CheckReport> {
	let imported = import_dir(dir, calibration)?;
	let heldout_path = heldout.map(Path::to_path_buf).unwrap_or_else(|| dir.join("heldout.txt"));
	let text = read_text(&heldout_path)?;
	let tokenizer = Tokenizer::from_json(&imported.model.tokenizer)?;
	let tokens = tokenizer.encode(&text)?;
	let cpu = Backend::select(BackendChoice::Cpu)?;
	let window = imported.model.config().max_positions;
	let comparison = compare(&imported.float, &imported.model, &cpu, &tokens, window, windows)?;
	let mut backends =
		vec![("reference".to_string(), Backend::Reference), ("cpu".to_string(), cpu)];
	match Backend::select(BackendChoice::Gpu) {
		Ok(gpu) => backends.push((gpu.describe(), gpu)),
		Err(error) => tracing::warn!(%error, "no GPU adapter: the GPU digest is skipped"),
	}
	let mut digests = Vec::new();
	let mut completion = String::new();
	for (name, backend) in &backends {
		let c = complete(&imported.model, backend, CHECK_PROMPT, 24, &Sampling::GREEDY)?;
		digests.push((name.clone(), c.digest));
		completion = c.text;
	}
	Ok(CheckReport { comparison, digests, model_digest: imported.digest, completion })
}

impl ModelCommand {
	/// Runs the command.
	pub fn run(self) -> Result<()> {
		match self {
			ModelCommand::Registry(command) => command.run(),
			ModelCommand::Import { dir, calibration, out } => {
				let imported = import_dir(&dir, calibration.as_deref())?;
				let out = out.unwrap_or_else(|| dir.join("model.hypha.safetensors"));
				std::fs::write(&out, &imported.bytes)
					.with_context(|| format!("writing {}", out.display()))?;
				let c = imported.model.config();
				println!(
					"imported {} ({}, {} layers, hidden {}, {} heads / {} kv heads, vocab {}): {} bytes",
					dir.display(),
					c.architecture,
					c.layers,
					c.hidden,
					c.heads,
					c.kv_heads,
					c.vocab,
					imported.bytes.len()
				);
				println!("wrote {}", out.display());
				println!("model digest: 0x{}", hex::encode(imported.digest));
				Ok(())
			},
			ModelCommand::Check { dir, heldout, calibration, windows, max_ratio } => {
				let report = check(&dir, heldout.as_deref(), calibration.as_deref(), windows)?;
				let c = report.comparison;
				println!("model digest: 0x{}", hex::encode(report.model_digest));
				println!("held-out positions: {}", c.positions);
				println!(
					"perplexity: float {:.3} int {:.3}",
					c.float_perplexity(),
					c.int_perplexity()
				);
				println!(
					"perplexity ratio (int / float): {:.4}",
					c.int_perplexity() / c.float_perplexity()
				);
				println!("greedy agreement: {:.4} ({} of {})", c.agreement(), c.agree, c.positions);
				println!("generation from {CHECK_PROMPT:?}: {:?}", report.completion);
				for (backend, digest) in &report.digests {
					println!("digest on {backend}: 0x{}", hex::encode(digest));
				}
				if report.digests.windows(2).any(|w| w[0].1 != w[1].1) {
					bail!("the backends gave different digests");
				}
				let ratio = c.int_perplexity() / c.float_perplexity();
				if ratio > max_ratio {
					bail!(
						"integer perplexity is {ratio:.4}× the float one (more than {max_ratio})"
					);
				}
				println!("lm-check: ok");
				Ok(())
			},
			ModelCommand::Generate { model, prompt, max_new, sampling, backend } => {
				let model = load_model(&model)?;
				let backend = Backend::select(backend.backend)?;
				let c = complete(&model, &backend, &prompt, max_new, &sampling.to_sampling()?)?;
				println!("{prompt}{}", c.text);
				eprintln!("{} tokens, output digest 0x{}", c.tokens.len(), hex::encode(c.digest));
				Ok(())
			},
			ModelCommand::Score { model, text, backend } => {
				let model = load_model(&model)?;
				let backend = Backend::select(backend.backend)?;
				let tokenizer = Tokenizer::from_json(&model.tokenizer)?;
				let tokens = tokenizer.encode(&text)?;
				let scored = score(&model, &backend, &tokens)?;
				println!("tokens: {}", tokens.len());
				println!("perplexity: {:.3}", scored.perplexity());
				println!("log-probabilities (Q12): {:?}", scored.logprobs);
				Ok(())
			},
		}
	}
}

/// `hypha generate`: buy a completion on the market.
#[derive(Debug, clap::Args)]
pub struct MarketGenerateArgs {
	#[command(flatten)]
	chain: ChainArgs,
	/// The model: a Hypha model file, or the digest (0x…) of one in the blob store.
	#[arg(long)]
	model: String,
	/// The prompt.
	#[arg(long)]
	prompt: String,
	/// Most tokens to generate.
	#[arg(long, default_value_t = 32)]
	max_new: usize,
	#[command(flatten)]
	sampling: SamplingArgs,
	/// The blob store the model and the request are uploaded to.
	#[arg(long, env = "HYPHA_STORE", default_value = "http://127.0.0.1:7300")]
	store: String,
	/// The highest price per compute unit accepted, in HYPHA.
	#[arg(long, default_value = "0.001", value_parser = amount_arg)]
	max_price_per_unit: Balance,
	/// Blocks a provider has, from its claim, to commit a result.
	#[arg(long, default_value_t = 60)]
	result_window: u32,
}

/// A completion bought on the market.
pub struct MarketCompletion {
	/// The job.
	pub job: u64,
	/// The generated text.
	pub text: String,
	/// Paid to the provider.
	pub paid: u128,
	/// Verdicts in the final block (auditor or panel) and whether each agreed.
	pub verdicts: usize,
	/// How many agreed with the provider.
	pub agreed: usize,
}

/// The model file `model` names: a path, or a digest fetched from `store`
/// into `scratch`.
async fn resolve_model(model: &str, store: &str, scratch: &Path) -> Result<PathBuf> {
	let path = PathBuf::from(model);
	if path.exists() {
		return Ok(path);
	}
	let digest = hypha_blobstore::Digest::from_hex(model.trim_start_matches("0x"))
		.with_context(|| format!("--model {model} is neither a file nor a 64-hex-digit digest"))?;
	let path = scratch.join("model.hypha.safetensors");
	let (bar, progress) = crate::store::progress_bar("fetching the model");
	hypha_blobstore::BlobClient::new(store.to_string())
		.with_context(|| format!("--store {store}"))?
		.get_to_file(&digest, hypha_compute::tensors::MAX_FILE_BYTES, None, &path, Some(progress))
		.await
		.with_context(|| format!("fetching the model {model} from the blob store at {store}"))?;
	bar.finish_and_clear();
	Ok(path)
}

impl MarketGenerateArgs {
	/// Submits the generate job, follows it until it ends, fetches and
	/// checks the output, and returns the completion.
	pub fn run(self) -> Result<MarketCompletion> {
		let payer = self.chain.signer()?;
		let output_key = self.chain.output_key()?;
		let sampling = self.sampling.to_sampling()?;
		let scratch = std::env::temp_dir().join(format!("hypha-generate-{}", std::process::id()));
		std::fs::create_dir_all(&scratch)?;
		self.chain.run(async |client| {
			let model_path = resolve_model(&self.model, &self.store, &scratch).await?;
			let model_path = std::fs::canonicalize(&model_path)?;
			let spec = JobSpec::Generate(GenerateSpec {
				model: model_path.clone(),
				prompt: self.prompt.clone(),
				max_new_tokens: self.max_new,
				sampling: Some(sampling),
			});
			let spec_path = scratch.join("generate.toml");
			std::fs::write(&spec_path, spec.to_toml()?)?;
			let options = SubmitOptions {
				store: self.store.clone(),
				budget: None,
				max_price_per_unit: self.max_price_per_unit,
				result_window: self.result_window,
				max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
				private: false,
				// The completion is the buyer's alone: sealed to its key.
				output_key: Some(output_key.public()),
				model: None,
				best_block: false,
			};
			let submitted = submit(&client, &payer, &spec_path, &options).await?;
			println!(
				"job {} submitted: generate, {} compute units, budget {} held in escrow",
				submitted.job,
				submitted.compute_units,
				format_hypha(submitted.budget)
			);
			let outcome = crate::job::watch(&client, submitted.job).await?;
			let fetched = crate::job::fetch::fetch(
				&client,
				&payer,
				Some(&output_key),
				submitted.job,
				&scratch,
			)
			.await?;
			let output = JobOutput::from_canonical_bytes(&fetched.bytes)?;
			let (_, tokens) = output.u32("tokens")?;
			let model = load_model(&model_path)?;
			let text = Tokenizer::from_json(&model.tokenizer)?.decode(&tokens)?;
			let agreed = outcome.verdicts.iter().filter(|(_, a)| *a).count();
			Ok(MarketCompletion {
				job: submitted.job,
				text,
				paid: outcome.paid,
				verdicts: outcome.verdicts.len(),
				agreed,
			})
		})
	}
}

impl MarketGenerateArgs {
	/// The prompt.
	pub fn prompt(&self) -> &str {
		&self.prompt
	}
}
