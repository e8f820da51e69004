//! Job specs: the TOML file `hypha job run-local` reads.
//!
//! ```toml
//! kind = "inference"
//! model = "model.safetensors"   # int8 model with its network description
//! input = "input.safetensors"   # tensor `input`, I8 [batch, inputs]
//! ```
//!
//! ```toml
//! kind = "training"
//! initial_weights = "init.safetensors"     # layers.{i}.weight / .bias, I32, Q16
//! dataset = "digits.safetensors"
//!
//! [plan]                                   # the TrainingPlan
//! layers = [64, 32, 10]                    # input width, then each layer's outputs
//! images = "train_images"                  # U8 [n, layers[0]]
//! labels = "train_labels"                  # U8 [n]
//! input_frac_bits = 4
//! epochs = 30
//! batch_size = 32
//! learning_rate_multiplier = 1
//! learning_rate_shift = 9
//! seed = 1
//! ```
//!
//! ```toml
//! kind = "generate"
//! model = "model.hypha.safetensors"        # a Hypha language model (hypha model import)
//! prompt = "The secret of life is"
//! max_new_tokens = 32
//!
//! [sampling]                               # optional; greedy without it
//! temperature_milli = 800
//! top_k = 40
//! top_p_milli = 950
//! seed = 7
//! ```
//!
//! ```toml
//! kind = "score"
//! model = "model.hypha.safetensors"
//! text = "A fool and his money are soon parted."
//! ```
//!
//! Paths are relative to the spec file. Unknown keys are errors. The
//! `hypha` CLI writes these files by serializing [`JobSpec`] ([`JobSpec::to_toml`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::inference::InferenceJob;
use crate::kernels::sgd_update::LearningRate;
use crate::lm::job::{GenerateRequest, LmJob, ScoreRequest};
use crate::lm::Sampling;
use crate::output::JobOutput;
use crate::tensors::{read_bounded, MAX_FILE_BYTES};
use crate::training::{Dataset, FixedMlp, TrainingConfig, TrainingJob};
use crate::ComputeError;

/// Largest spec file (64 KiB).
pub const MAX_SPEC_BYTES: u64 = 64 << 10;

/// A parsed spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum JobSpec {
	/// An inference job.
	Inference(InferenceSpec),
	/// A training job.
	Training(TrainingSpec),
	/// A language-model generation.
	Generate(GenerateSpec),
	/// A language-model scoring.
	Score(ScoreSpec),
}

/// `kind = "generate"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
	/// Hypha model file.
	pub model: PathBuf,
	/// The prompt.
	pub prompt: String,
	/// Most tokens to generate.
	pub max_new_tokens: usize,
	/// Sampling (greedy if absent).
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub sampling: Option<Sampling>,
}

impl GenerateSpec {
	/// The input blob of the job.
	pub fn request(&self) -> GenerateRequest {
		GenerateRequest::new(
			self.prompt.clone(),
			self.max_new_tokens,
			self.sampling.unwrap_or(Sampling::GREEDY),
		)
	}
}

/// `kind = "score"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreSpec {
	/// Hypha model file.
	pub model: PathBuf,
	/// The text to score.
	pub text: String,
}

/// `kind = "inference"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceSpec {
	/// Model file.
	pub model: PathBuf,
	/// Input file.
	pub input: PathBuf,
}

fn default_images() -> String {
	"train_images".into()
}
fn default_labels() -> String {
	"train_labels".into()
}

/// The one description of a training job's hyperparameters and data layout.
///
/// It is the `[plan]` table of a TOML training spec, and, as JSON, the
/// `hypha.training` metadata entry of the job's program blob (see
/// [`crate::package`]); [`TrainingPlan::config`] is the one conversion into
/// what the training kernels take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingPlan {
	/// Input width, then the outputs of each layer.
	pub layers: Vec<usize>,
	/// Images tensor of the data set (U8 `[n, layers[0]]`).
	#[serde(default = "default_images")]
	pub images: String,
	/// Labels tensor of the data set (U8 `[n]`).
	#[serde(default = "default_labels")]
	pub labels: String,
	/// Fractional bits of the input values.
	pub input_frac_bits: u32,
	/// Passes over the data.
	pub epochs: u32,
	/// Samples per step.
	pub batch_size: usize,
	/// Learning-rate numerator (the rate is multiplier / 2^shift, applied to
	/// batch-summed gradients).
	pub learning_rate_multiplier: i32,
	/// Learning-rate denominator's power of two.
	pub learning_rate_shift: u32,
	/// Seed of the sample order.
	pub seed: u64,
}

impl TrainingPlan {
	/// The hyperparameters as the training kernels take them.
	pub fn config(&self) -> TrainingConfig {
		TrainingConfig {
			epochs: self.epochs,
			batch_size: self.batch_size,
			learning_rate: LearningRate {
				multiplier: self.learning_rate_multiplier,
				shift: self.learning_rate_shift,
			},
			seed: self.seed,
			input_frac_bits: self.input_frac_bits,
		}
	}

	/// The training job of `initial` weights (safetensors, or a training
	/// job's output: [`FixedMlp::from_model_file`]) on `dataset`
	/// (safetensors), validated.
	pub fn job(&self, initial: &[u8], dataset: &[u8]) -> Result<TrainingJob, ComputeError> {
		let initial = FixedMlp::from_model_file(initial, &self.layers)?;
		let data = Dataset::from_safetensors(dataset, &self.images, &self.labels)?;
		TrainingJob::new(initial, data, self.config())
	}
}

/// `kind = "training"`: the two files and the [`TrainingPlan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
	/// Initial weights file (`layers.{i}.weight` / `.bias`, I32, Q16).
	pub initial_weights: PathBuf,
	/// Data set file.
	pub dataset: PathBuf,
	/// Hyperparameters and data layout.
	pub plan: TrainingPlan,
}

/// A job ready to run.
#[derive(Debug, Clone)]
pub enum Job {
	/// Inference.
	Inference(InferenceJob),
	/// Training.
	Training(TrainingJob),
	/// A language-model job (generate or score).
	Lm(LmJob),
}

impl JobSpec {
	/// Parses spec text.
	pub fn parse(text: &str) -> Result<Self, ComputeError> {
		toml::from_str(text).map_err(|e| ComputeError::InvalidSpec(e.to_string()))
	}

	/// The spec as TOML text ([`Self::parse`] reads it back).
	pub fn to_toml(&self) -> Result<String, ComputeError> {
		toml::to_string(self).map_err(|e| ComputeError::InvalidSpec(e.to_string()))
	}

	/// The workload kind.
	pub fn kind(&self) -> hypha_primitives::WorkloadKind {
		match self {
			JobSpec::Inference(_) => hypha_primitives::WorkloadKind::Inference,
			JobSpec::Training(_) => hypha_primitives::WorkloadKind::Training,
			JobSpec::Generate(_) => hypha_primitives::WorkloadKind::Generate,
			JobSpec::Score(_) => hypha_primitives::WorkloadKind::Score,
		}
	}

	/// Reads and parses a spec file.
	pub fn read(path: &Path) -> Result<Self, ComputeError> {
		let bytes = read_bounded(path, MAX_SPEC_BYTES)?;
		let text = String::from_utf8(bytes)
			.map_err(|_| ComputeError::InvalidSpec("the spec is not UTF-8".into()))?;
		Self::parse(&text)
	}

	/// Loads every file the spec names (relative to `base`) and validates the job.
	pub fn load(&self, base: &Path) -> Result<Job, ComputeError> {
		let read = |p: &Path| read_bounded(&base.join(p), MAX_FILE_BYTES);
		match self {
			JobSpec::Inference(s) => Ok(Job::Inference(InferenceJob::from_safetensors(
				&read(&s.model)?,
				&read(&s.input)?,
			)?)),
			JobSpec::Training(s) => {
				Ok(Job::Training(s.plan.job(&read(&s.initial_weights)?, &read(&s.dataset)?)?))
			},
			JobSpec::Generate(s) => {
				Ok(Job::Lm(LmJob::generate_from_blobs(&read(&s.model)?, &s.request().to_bytes())?))
			},
			JobSpec::Score(s) => Ok(Job::Lm(LmJob::score_from_blobs(
				&read(&s.model)?,
				&ScoreRequest::new(s.text.clone()).to_bytes(),
			)?)),
		}
	}
}

impl Job {
	/// Reads a spec file and everything it names.
	pub fn from_spec_file(path: &Path) -> Result<Self, ComputeError> {
		let spec = JobSpec::read(path)?;
		spec.load(path.parent().unwrap_or(Path::new(".")))
	}

	/// Runs the job and returns its output.
	pub fn run(&self, backend: &Backend) -> Result<JobOutput, ComputeError> {
		self.run_with_progress(backend, |_, _, _| {})
	}

	/// Runs the job, calling `progress(step, steps, loss)` as it goes: after
	/// each epoch of a training job, once at the end of an inference job
	/// (loss 0). Same output as [`Self::run`].
	pub fn run_with_progress(
		&self,
		backend: &Backend,
		progress: impl FnMut(u32, u32, i64),
	) -> Result<JobOutput, ComputeError> {
		self.run_streaming(backend, progress, &mut |_| {})
	}

	/// [`Self::run_with_progress`], calling `on_token` with each token a
	/// `generate` job chooses, as it chooses it. Same output.
	pub fn run_streaming(
		&self,
		backend: &Backend,
		mut progress: impl FnMut(u32, u32, i64),
		on_token: &mut dyn FnMut(u32),
	) -> Result<JobOutput, ComputeError> {
		match self {
			Job::Inference(job) => {
				let output = job.run(backend)?.to_output();
				progress(1, 1, 0);
				Ok(output)
			},
			Job::Training(job) => Ok(job.run_with_progress(backend, progress)?.to_output()),
			Job::Lm(job) => {
				let output = job.run_streaming(backend, on_token)?;
				progress(1, 1, 0);
				Ok(output)
			},
		}
	}

	/// The workload kind.
	pub fn kind(&self) -> hypha_primitives::WorkloadKind {
		match self {
			Job::Inference(_) => hypha_primitives::WorkloadKind::Inference,
			Job::Training(_) => hypha_primitives::WorkloadKind::Training,
			Job::Lm(job) => match job.task {
				crate::lm::job::LmTask::Generate { .. } => hypha_primitives::WorkloadKind::Generate,
				crate::lm::job::LmTask::Score { .. } => hypha_primitives::WorkloadKind::Score,
			},
		}
	}
}
