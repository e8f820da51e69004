//! A chain job's runnable [`Job`] from its two blobs, off the async
//! runtime's threads and within a time bound.
//!
//! Loading a job parses its program and input and, for a language model,
//! builds the tokenizer shipped in the model file and tokenizes the prompt.
//! A hostile file could make that slow (a pre-tokenizer regex that
//! backtracks on every match). Worker and verifier both load through
//! [`load_job`]: the work runs on a blocking thread, and a load that takes
//! longer than the bound is given up, so a daemon is never stalled by it:
//! a worker refuses such a job before claiming it, and a verifier answers
//! "inputs unavailable" (they do not form a job in time) instead of missing
//! its deadline. The bound, [`LOAD_TIMEOUT`], is far above what any job the
//! formats allow needs on a sound machine (the shipped model and a
//! 64 KiB prompt load in well under a second).

use std::time::Duration;

use hypha_compute::spec::Job;
use hypha_compute::ComputeError;
use hypha_primitives::WorkloadKind;

/// How long a job may take to load.
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a job could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
	/// The blobs do not form a job of this kind.
	#[error("invalid job: {0}")]
	Invalid(#[from] ComputeError),
	/// Loading took longer than the bound (the load goes on in the
	/// background until it ends; nothing waits for it).
	#[error("the job's program and input did not load within {0:?} (a hostile model file or tokenizer?)")]
	TooSlow(Duration),
	/// The loading thread panicked.
	#[error("loading the job failed: {0}")]
	Crashed(String),
}

/// Loads `kind`'s job from `program` and `input` on a blocking thread,
/// giving up after `limit`; returns the job and the blobs back.
pub async fn load_job(
	kind: WorkloadKind,
	program: Vec<u8>,
	input: Vec<u8>,
	limit: Duration,
) -> Result<(Job, Vec<u8>, Vec<u8>), LoadError> {
	let (job, program, input) = bounded(limit, move || {
		let job = hypha_compute::package::load(kind, &program, &input);
		(job, program, input)
	})
	.await?;
	Ok((job?, program, input))
}

/// Runs `work` on a blocking thread and waits for it at most `limit`.
async fn bounded<T: Send + 'static>(
	limit: Duration,
	work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, LoadError> {
	match tokio::time::timeout(limit, tokio::task::spawn_blocking(work)).await {
		Err(_) => Err(LoadError::TooSlow(limit)),
		Ok(Err(join)) => Err(LoadError::Crashed(join.to_string())),
		Ok(Ok(value)) => Ok(value),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use hypha_compute::lm::import::{import, Calibration};
	use hypha_compute::lm::job::GenerateRequest;
	use hypha_compute::lm::Sampling;

	fn generate_job() -> (Vec<u8>, Vec<u8>) {
		let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/fortune-lm");
		let text = std::fs::read_to_string(dir.join("heldout.txt")).expect("held-out text");
		let imported = import(&dir, &text[..4000], Calibration { window: 64, max_windows: 2 })
			.expect("the shipped checkpoint imports");
		let program = imported.model.to_safetensors().expect("model file");
		let input = GenerateRequest::new("The secret of life is", 4, Sampling::GREEDY).to_bytes();
		(program, input)
	}

	#[tokio::test]
	async fn a_job_loads_within_the_bound_and_blobs_of_another_kind_are_invalid() {
		let (program, input) = generate_job();
		match load_job(WorkloadKind::Generate, program.clone(), input.clone(), LOAD_TIMEOUT).await {
			Ok((Job::Lm(_), p, i)) => assert!(p == program && i == input, "the blobs come back"),
			Ok(_) => panic!("a generate job loads as a language-model job"),
			Err(error) => panic!("the shipped model's job does not load: {error}"),
		}
		match load_job(WorkloadKind::Inference, program, input, LOAD_TIMEOUT).await {
			Err(LoadError::Invalid(_)) => {},
			Err(error) => panic!("expected an invalid job, got {error}"),
			Ok(_) => panic!("a model file and a generate request are no inference job"),
		}
	}

	#[tokio::test]
	async fn a_load_that_outlasts_its_bound_is_given_up_without_waiting_for_it() {
		let started = std::time::Instant::now();
		let slow = bounded(Duration::from_millis(50), || {
			std::thread::sleep(Duration::from_secs(2));
		})
		.await;
		assert!(matches!(slow, Err(LoadError::TooSlow(_))), "{slow:?}");
		assert!(started.elapsed() < Duration::from_secs(1), "it waited for the slow work");
		let quick = bounded(Duration::from_secs(5), || 7).await;
		assert!(matches!(quick, Ok(7)), "{quick:?}");
	}
}
