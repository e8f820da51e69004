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
//! layers = [64, 32, 10]                    # input width, then each layer's outputs
//! initial_weights = "init.safetensors"     # layers.{i}.weight / .bias, I32, Q16
//! dataset = "digits.safetensors"
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
//! Paths are relative to the spec file. Unknown keys are errors.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::backend::Backend;
use crate::inference::InferenceJob;
use crate::kernels::sgd_update::LearningRate;
use crate::output::JobOutput;
use crate::tensors::{read_bounded, MAX_FILE_BYTES};
use crate::training::{Dataset, FixedMlp, TrainingConfig, TrainingJob};
use crate::ComputeError;

/// Largest spec file (64 KiB).
pub const MAX_SPEC_BYTES: u64 = 64 << 10;

/// A parsed spec.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum JobSpec {
	/// An inference job.
	Inference(InferenceSpec),
	/// A training job.
	Training(TrainingSpec),
}

/// `kind = "inference"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

/// `kind = "training"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
	/// Input width, then the outputs of each layer.
	pub layers: Vec<usize>,
	/// Initial weights file.
	pub initial_weights: PathBuf,
	/// Dataset file.
	pub dataset: PathBuf,
	/// Images tensor name.
	#[serde(default = "default_images")]
	pub images: String,
	/// Labels tensor name.
	#[serde(default = "default_labels")]
	pub labels: String,
	/// Fractional bits of the input values.
	pub input_frac_bits: u32,
	/// Epochs.
	pub epochs: u32,
	/// Batch size.
	pub batch_size: usize,
	/// Learning-rate numerator.
	pub learning_rate_multiplier: i32,
	/// Learning-rate denominator's power of two.
	pub learning_rate_shift: u32,
	/// Sample-order seed.
	pub seed: u64,
}

/// A job ready to run.
#[derive(Debug, Clone)]
pub enum Job {
	/// Inference.
	Inference(InferenceJob),
	/// Training.
	Training(TrainingJob),
}

impl JobSpec {
	/// Parses spec text.
	pub fn parse(text: &str) -> Result<Self, ComputeError> {
		toml::from_str(text).map_err(|e| ComputeError::InvalidSpec(e.to_string()))
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
				let initial = FixedMlp::from_safetensors(&read(&s.initial_weights)?, &s.layers)?;
				let data = Dataset::from_safetensors(&read(&s.dataset)?, &s.images, &s.labels)?;
				let config = TrainingConfig {
					epochs: s.epochs,
					batch_size: s.batch_size,
					learning_rate: LearningRate {
						multiplier: s.learning_rate_multiplier,
						shift: s.learning_rate_shift,
					},
					seed: s.seed,
					input_frac_bits: s.input_frac_bits,
				};
				Ok(Job::Training(TrainingJob::new(initial, data, config)?))
			},
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
		mut progress: impl FnMut(u32, u32, i64),
	) -> Result<JobOutput, ComputeError> {
		match self {
			Job::Inference(job) => {
				let output = job.run(backend)?.to_output();
				progress(1, 1, 0);
				Ok(output)
			},
			Job::Training(job) => Ok(job.run_with_progress(backend, progress)?.to_output()),
		}
	}

	/// `"inference"` or `"training"`.
	pub fn kind(&self) -> &'static str {
		match self {
			Job::Inference(_) => "inference",
			Job::Training(_) => "training",
		}
	}
}
