//! Job packaging: what a marketplace job's two blobs hold, how a spec file
//! becomes them, how they become a runnable [`Job`] again, and the work they
//! declare.
//!
//! A chain [`JobSpec`](hypha_primitives::JobSpec) names two blobs by digest
//! and URI:
//!
//! - **inference**: the *program* is the int8 model (safetensors with its
//!   `hypha.network` description, docs/COMPUTE.md), the *input* the batch
//!   (safetensors, tensor `input`, I8 `[batch, inputs]`);
//! - **training**: the *program* is the initial weights (`layers.{i}.weight`
//!   / `.bias`, I32, Q16) in a safetensors file whose `__metadata__` holds
//!   the [`TrainingPlan`] as JSON under [`TRAINING_PLAN_KEY`] and its format
//!   under [`TRAINING_FORMAT_KEY`]; the *input* is the data set (U8 images
//!   and labels);
//! - **generate** and **score**: the *program* is the Hypha language model
//!   (`hypha model import`), the *input* the request as JSON
//!   ([`crate::lm::job`]).
//!
//! The client packs a spec file with [`program_and_input`]; the worker and
//! the verifier both rebuild the job with [`load`], so they run exactly the
//! same thing, and [`compute_units`] counts the work from the shapes alone.

use std::collections::HashMap;
use std::path::Path;

use hypha_primitives::WorkloadKind;

use crate::inference::InferenceJob;
use crate::lm::job::{LmJob, ScoreRequest};
use crate::output::{canonical_len, OutputDtype};
use crate::spec::{Job, JobSpec, TrainingPlan};
use crate::tensors::{read_bounded, write_safetensors, OwnedTensor, TensorFile, MAX_FILE_BYTES};
use crate::training::FixedMlp;
use crate::ComputeError;

/// The `__metadata__` key of a training program's [`TrainingPlan`] (JSON).
pub const TRAINING_PLAN_KEY: &str = "hypha.training";

/// The `__metadata__` key of a training program's format.
pub const TRAINING_FORMAT_KEY: &str = "hypha.training.format";

/// The format this version writes and reads.
pub const TRAINING_FORMAT: &str = "hypha-training/2";

/// The blobs of a job and the work they declare.
#[derive(Debug, Clone)]
pub struct PackagedJob {
	/// Inference or training.
	pub kind: WorkloadKind,
	/// The program blob.
	pub program: Vec<u8>,
	/// The input blob.
	pub input: Vec<u8>,
	/// Declared work, in compute units ([`compute_units`]).
	pub compute_units: u64,
}

/// Reads a spec file (the TOML of `hypha job run-local`, parsed once here)
/// and packs it into the two blobs of a marketplace job, validated as a
/// worker will validate them.
pub fn program_and_input(spec_path: &Path) -> Result<PackagedJob, ComputeError> {
	let spec = JobSpec::read(spec_path)?;
	let base = spec_path.parent().unwrap_or(Path::new("."));
	let read = |p: &Path| read_bounded(&base.join(p), MAX_FILE_BYTES);
	let (program, input) = match &spec {
		JobSpec::Inference(s) => (read(&s.model)?, read(&s.input)?),
		JobSpec::Training(s) => {
			(training_program(&read(&s.initial_weights)?, &s.plan)?, read(&s.dataset)?)
		},
		JobSpec::Generate(s) => (read(&s.model)?, s.request().to_bytes()),
		JobSpec::Score(s) => (read(&s.model)?, ScoreRequest::new(s.text.clone()).to_bytes()),
	};
	let kind = spec.kind();
	// Validate before anyone pays: the same check the worker makes.
	let job = load(kind, &program, &input)?;
	Ok(PackagedJob { kind, program, input, compute_units: compute_units(&job) })
}

/// A training program: the initial `weights` (safetensors, or a training
/// job's output: [`FixedMlp::from_model_file`]) re-encoded canonically,
/// with `plan` in the metadata. The same weights and plan always give the
/// same bytes, so anyone holding a model file and a job's plan re-builds
/// the job's program and checks it against the job's program digest.
pub fn training_program(weights: &[u8], plan: &TrainingPlan) -> Result<Vec<u8>, ComputeError> {
	let initial = FixedMlp::from_model_file(weights, &plan.layers)?;
	let canonical = initial.to_safetensors()?;
	let file = TensorFile::parse("initial weights", &canonical)?;
	let mut tensors = Vec::new();
	for name in file.names() {
		let shape = file.shape(&name)?;
		let values = file.i32(&name, Some(&shape))?;
		tensors.push((name, OwnedTensor::from_i32(shape, &values)));
	}
	let plan_json =
		serde_json::to_string(plan).map_err(|e| ComputeError::InvalidSpec(e.to_string()))?;
	let metadata = HashMap::from([
		(TRAINING_PLAN_KEY.to_string(), plan_json),
		(TRAINING_FORMAT_KEY.to_string(), TRAINING_FORMAT.to_string()),
	]);
	write_safetensors(&tensors, Some(metadata))
}

/// The [`TrainingPlan`] of a training program (its `__metadata__`), after
/// checking the program's format.
pub fn training_plan(program: &[u8]) -> Result<TrainingPlan, ComputeError> {
	let invalid = |why: String| ComputeError::InvalidSpec(why);
	let file = TensorFile::parse("training program", program)?;
	match file.metadata(TRAINING_FORMAT_KEY) {
		Some(TRAINING_FORMAT) => {},
		Some(other) => {
			return Err(invalid(format!(
				"unknown training program format `{other}` (expected {TRAINING_FORMAT})"
			)))
		},
		None => {
			return Err(invalid(format!(
				"the training program has no `{TRAINING_FORMAT_KEY}` metadata"
			)))
		},
	}
	let plan = file.metadata(TRAINING_PLAN_KEY).ok_or_else(|| {
		invalid(format!("the training program has no `{TRAINING_PLAN_KEY}` metadata"))
	})?;
	serde_json::from_str(plan).map_err(|e| invalid(format!("the training plan is not valid: {e}")))
}

/// Builds the runnable job from its two blobs, validating everything.
pub fn load(kind: WorkloadKind, program: &[u8], input: &[u8]) -> Result<Job, ComputeError> {
	match kind {
		WorkloadKind::Inference => {
			Ok(Job::Inference(InferenceJob::from_safetensors(program, input)?))
		},
		WorkloadKind::Training => Ok(Job::Training(training_plan(program)?.job(program, input)?)),
		WorkloadKind::Generate => Ok(Job::Lm(LmJob::generate_from_blobs(program, input)?)),
		WorkloadKind::Score => Ok(Job::Lm(LmJob::score_from_blobs(program, input)?)),
	}
}

/// The length of a job's canonical output, from its shapes alone (the output's
/// tensors and shapes do not depend on the values computed): inference gives
/// `logits` I32 `[batch, classes]` and `argmax` U32 `[batch]`; training the
/// weights and biases (I32) and `loss` I64 `[epochs]`. A worker refuses,
/// before claiming, a job whose output cannot fit its `max_output_bytes`:
/// claiming it would only lose collateral at the deadline.
pub fn output_bytes(job: &Job) -> u64 {
	match job {
		Job::Inference(job) => {
			let classes = job.model.network.layers.last().map_or(0, |layer| layer.outputs);
			canonical_len([
				("argmax", OutputDtype::U32, &[job.batch][..]),
				("logits", OutputDtype::I32, &[job.batch, classes][..]),
			])
		},
		Job::Training(job) => {
			let shapes = job.initial.tensor_shapes();
			let epochs = [job.config.epochs as usize];
			canonical_len(
				shapes
					.iter()
					.map(|(name, shape)| (name.as_str(), OutputDtype::I32, shape.as_slice()))
					.chain([("loss", OutputDtype::I64, &epochs[..])]),
			)
		},
		Job::Lm(job) => job.output_bytes(),
	}
}

/// Memory a job needs besides its blobs and its output, at most: the KV
/// cache and temporaries of a language-model job ([`LmJob::working_bytes`]);
/// 0 for the MLP kinds, whose working memory is a small multiple of their
/// blobs.
pub fn working_bytes(job: &Job) -> u64 {
	match job {
		Job::Lm(job) => job.working_bytes(),
		Job::Inference(_) | Job::Training(_) => 0,
	}
}

/// Declared work of a job: multiply-accumulates in millions, rounded up
/// (inference: batch × Σ inputs·outputs; training: about three times the
/// forward pass per sample and epoch, for the backward pass and the update;
/// language models: every position through every layer, see
/// [`LmJob::macs`]).
/// Counted from the shapes alone, so anyone gets the same number.
pub fn compute_units(job: &Job) -> u64 {
	fn macs(sizes: &[usize]) -> u64 {
		sizes.windows(2).map(|w| (w[0] as u64).saturating_mul(w[1] as u64)).sum()
	}
	let total = match job {
		Job::Inference(job) => {
			let mut sizes = vec![job.model.network.inputs];
			sizes.extend(job.model.network.layers.iter().map(|l| l.outputs));
			macs(&sizes).saturating_mul(job.batch as u64)
		},
		Job::Training(job) => macs(&job.initial.sizes)
			.saturating_mul(3)
			.saturating_mul(job.data.samples as u64)
			.saturating_mul(u64::from(job.config.epochs)),
		Job::Lm(job) => job.macs(),
	};
	total.div_ceil(1_000_000).max(1)
}
