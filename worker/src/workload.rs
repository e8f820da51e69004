//! What a job's two blobs hold, and how they become a `hypha-compute` job.
//!
//! A [`JobSpec`](hypha_primitives::JobSpec) names two blobs by digest and URI:
//!
//! - **inference**: the *program* is the int8 model (safetensors with its
//!   `hypha.network` description, docs/COMPUTE.md), the *input* the batch
//!   (safetensors, tensor `input`, I8 `[batch, inputs]`);
//! - **training**: the *program* is the training plan: the initial weights
//!   (`layers.{i}.weight` / `.bias`, I32, Q16) in a safetensors file whose
//!   `__metadata__` entry `hypha.training` holds the hyperparameters as JSON
//!   ([`TrainingPlan`]); the *input* is the data set (U8 images and labels).
//!
//! Both the worker and the verifier build the job with [`load`], so they run
//! exactly the same thing; the client builds blobs with [`program_and_input`].

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use hypha_compute::inference::InferenceJob;
use hypha_compute::kernels::sgd_update::LearningRate;
use hypha_compute::spec::{Job, JobSpec as LocalSpec};
use hypha_compute::tensors::{read_bounded, TensorFile, MAX_FILE_BYTES};
use hypha_compute::training::{Dataset, FixedMlp, TrainingConfig, TrainingJob};
use hypha_primitives::WorkloadKind;
use serde::{Deserialize, Serialize};

/// The `__metadata__` key of a training plan.
pub const TRAINING_PLAN_KEY: &str = "hypha.training";

/// The format string of [`TrainingPlan`].
pub const TRAINING_PLAN_FORMAT: &str = "hypha-training/1";

/// The hyperparameters of a training job, stored next to its initial weights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingPlan {
	/// Always [`TRAINING_PLAN_FORMAT`].
	pub format: String,
	/// Input width, then each layer's outputs.
	pub layers: Vec<usize>,
	/// The images tensor of the data set.
	pub images: String,
	/// The labels tensor of the data set.
	pub labels: String,
	/// Fractional bits of the input values.
	pub input_frac_bits: u32,
	/// Passes over the data.
	pub epochs: u32,
	/// Samples per step.
	pub batch_size: usize,
	/// Learning-rate numerator.
	pub learning_rate_multiplier: i32,
	/// Learning-rate denominator's power of two.
	pub learning_rate_shift: u32,
	/// Seed of the sample order.
	pub seed: u64,
}

/// The blobs of a job and what it declares.
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

/// Reads a local job spec (the TOML of `hypha job run-local`) and packs it
/// into the two blobs of a marketplace job.
pub fn program_and_input(spec_path: &Path) -> Result<PackagedJob> {
	let spec = LocalSpec::read(spec_path)
		.with_context(|| format!("reading the job spec {}", spec_path.display()))?;
	let base = spec_path.parent().unwrap_or(Path::new("."));
	let read = |p: &Path| {
		read_bounded(&base.join(p), MAX_FILE_BYTES)
			.with_context(|| format!("reading {}", base.join(p).display()))
	};
	let (kind, program, input) = match &spec {
		LocalSpec::Inference(s) => (WorkloadKind::Inference, read(&s.model)?, read(&s.input)?),
		LocalSpec::Training(s) => {
			let weights = read(&s.initial_weights)?;
			let plan = TrainingPlan {
				format: TRAINING_PLAN_FORMAT.into(),
				layers: s.layers.clone(),
				images: s.images.clone(),
				labels: s.labels.clone(),
				input_frac_bits: s.input_frac_bits,
				epochs: s.epochs,
				batch_size: s.batch_size,
				learning_rate_multiplier: s.learning_rate_multiplier,
				learning_rate_shift: s.learning_rate_shift,
				seed: s.seed,
			};
			(WorkloadKind::Training, training_program(&weights, &plan)?, read(&s.dataset)?)
		},
	};
	// Validate before anyone pays: the same check the worker makes.
	let job = load(kind, &program, &input).context("the job's files do not form a valid job")?;
	Ok(PackagedJob { kind, program, input, compute_units: compute_units(&job) })
}

/// A training program: `weights` (safetensors) with `plan` in its metadata.
pub fn training_program(weights: &[u8], plan: &TrainingPlan) -> Result<Vec<u8>> {
	let initial = FixedMlp::from_safetensors(weights, &plan.layers)
		.context("the initial weights do not match the layers")?;
	let file = TensorFile::parse("initial weights", &initial.to_safetensors()?)?.names();
	let parsed = TensorFile::parse("initial weights", weights)?;
	let mut tensors = Vec::new();
	for name in file {
		let shape = parsed.shape(&name)?;
		let values = parsed.i32(&name, Some(&shape))?;
		tensors.push((name, hypha_compute::tensors::OwnedTensor::from_i32(shape, &values)));
	}
	let metadata = HashMap::from([(TRAINING_PLAN_KEY.to_string(), serde_json::to_string(plan)?)]);
	Ok(hypha_compute::tensors::write_safetensors(&tensors, Some(metadata))?)
}

/// Builds the compute job from its two blobs, validating everything.
pub fn load(kind: WorkloadKind, program: &[u8], input: &[u8]) -> Result<Job> {
	match kind {
		WorkloadKind::Inference => Ok(Job::Inference(
			InferenceJob::from_safetensors(program, input).context("loading the inference job")?,
		)),
		WorkloadKind::Training => {
			let file = TensorFile::parse("training program", program)?;
			let Some(plan) = file.metadata(TRAINING_PLAN_KEY) else {
				bail!("the training program has no `{TRAINING_PLAN_KEY}` metadata");
			};
			let plan: TrainingPlan =
				serde_json::from_str(plan).context("the training plan is not valid JSON")?;
			if plan.format != TRAINING_PLAN_FORMAT {
				bail!(
					"unknown training plan format `{}` (expected {TRAINING_PLAN_FORMAT})",
					plan.format
				);
			}
			let initial = FixedMlp::from_safetensors(program, &plan.layers)
				.context("loading the initial weights")?;
			let data = Dataset::from_safetensors(input, &plan.images, &plan.labels)
				.context("loading the data set")?;
			let config = TrainingConfig {
				epochs: plan.epochs,
				batch_size: plan.batch_size,
				learning_rate: LearningRate {
					multiplier: plan.learning_rate_multiplier,
					shift: plan.learning_rate_shift,
				},
				seed: plan.seed,
				input_frac_bits: plan.input_frac_bits,
			};
			Ok(Job::Training(
				TrainingJob::new(initial, data, config).context("building the training job")?,
			))
		},
	}
}

/// Declared work of a job: multiply-accumulates in millions, rounded up
/// (inference: batch × Σ inputs·outputs; training: about three times the
/// forward pass per sample and epoch, for the backward pass and the update).
pub fn compute_units(job: &Job) -> u64 {
	fn macs(sizes: &[usize]) -> u64 {
		sizes.windows(2).map(|w| (w[0] * w[1]) as u64).sum()
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
	};
	total.div_ceil(1_000_000).max(1)
}

/// The kind as the CLI and logs spell it.
pub fn kind_name(kind: WorkloadKind) -> &'static str {
	match kind {
		WorkloadKind::Inference => "inference",
		WorkloadKind::Training => "training",
	}
}

/// Splits a blob URI `http://host:port/blobs/<hex>` into the store's base URL
/// and the digest it names.
pub fn split_blob_uri(uri: &str) -> Result<(String, hypha_blobstore::Digest)> {
	let Some((base, digest)) = uri.rsplit_once("/blobs/") else {
		bail!("`{uri}` is not a blob store URI (expected http://HOST:PORT/blobs/<digest>)");
	};
	let digest = hypha_blobstore::Digest::from_hex(digest)
		.with_context(|| format!("`{uri}` does not end in a 64-hex-digit digest"))?;
	Ok((base.to_string(), digest))
}

/// Fetches the blob at `uri`, which must hash to `digest` and be at most
/// `max_bytes` long. A URI naming another digest than `digest` is refused
/// before anything is downloaded.
pub async fn fetch_blob(
	uri: &[u8],
	digest: &[u8; 32],
	max_bytes: u64,
) -> std::result::Result<Vec<u8>, FetchError> {
	let uri = std::str::from_utf8(uri).map_err(|_| FetchError::BadUri("not UTF-8".into()))?;
	let (base, named) = split_blob_uri(uri).map_err(|e| FetchError::BadUri(e.to_string()))?;
	if named.0 != *digest {
		return Err(FetchError::Mismatch(format!(
			"{uri} names digest {named}, the job declares 0x{}",
			hex::encode(digest)
		)));
	}
	match hypha_blobstore::BlobClient::new(base).get(&named, max_bytes).await {
		Ok(bytes) => Ok(bytes),
		Err(error @ hypha_blobstore::BlobError::DigestMismatch { .. }) => {
			Err(FetchError::Mismatch(error.to_string()))
		},
		Err(error @ hypha_blobstore::BlobError::TooLarge { .. }) => {
			Err(FetchError::Mismatch(error.to_string()))
		},
		Err(error) => Err(FetchError::Unavailable(error.to_string())),
	}
}

/// Why a job's blob could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
	/// The URI is not one this worker can fetch. Permanent.
	#[error("unusable URI: {0}")]
	BadUri(String),
	/// The bytes do not match the job's declared digest or bound. Permanent:
	/// the job is refused.
	#[error("the blob does not match the job: {0}")]
	Mismatch(String),
	/// The store did not answer or answered with an error. Maybe transient.
	#[error("the blob store is unavailable: {0}")]
	Unavailable(String),
}
