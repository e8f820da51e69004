//! Running a job in a daemon: on a blocking thread, with progress in the
//! logs.

use std::time::Instant;

use hypha_compute::output::JobOutput;
use hypha_compute::spec::Job;
use hypha_compute::{Backend, ComputeError};
use hypha_primitives::JobId;

/// Why a job run in a daemon produced no output.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
	/// The job itself failed (a kernel refused its arguments, the GPU failed).
	#[error("running the job: {0}")]
	Compute(#[from] ComputeError),
	/// The compute thread panicked or was cancelled.
	#[error("the compute task did not finish: {0}")]
	Task(#[from] tokio::task::JoinError),
}

/// Runs `compute` for `job` on `backend` on a blocking thread (the async
/// tasks keep following blocks meanwhile), logging progress about ten times;
/// returns the output and the seconds it took.
pub async fn run_job(
	job: JobId,
	compute: Job,
	backend: &Backend,
) -> Result<(JobOutput, f64), RunError> {
	run_job_streaming(job, compute, backend, None).await
}

/// [`run_job`], pushing each token a `generate` job chooses into `feed`
/// as it is chosen ([`crate::stream`]), and ending the feed when the job
/// ends, computed or not.
pub async fn run_job_streaming(
	job: JobId,
	compute: Job,
	backend: &Backend,
	feed: Option<crate::stream::Feed>,
) -> Result<(JobOutput, f64), RunError> {
	let backend = backend.clone();
	let started = Instant::now();
	let output = tokio::task::spawn_blocking(move || {
		let mut on_token = |token: u32| {
			if let Some(feed) = &feed {
				feed.push(token);
			}
		};
		let output = compute.run_streaming(
			&backend,
			|step, steps, loss| log_progress(job, step, steps, loss),
			&mut on_token,
		);
		if let Some(feed) = &feed {
			feed.finish();
		}
		output
	})
	.await??;
	Ok((output, started.elapsed().as_secs_f64()))
}

/// Logs a running job's progress about ten times over its run (every step
/// of a short one); `loss` is Q16 fixed point (0 for inference).
pub fn log_progress(job: JobId, step: u32, steps: u32, loss: i64) {
	let every = steps.div_ceil(10).max(1);
	if step.is_multiple_of(every) || step == steps {
		let percent = u64::from(step) * 100 / u64::from(steps.max(1));
		tracing::info!(
			job,
			step,
			steps,
			loss = format!("{:.4}", loss as f64 / 65536.0),
			"progress {percent} %"
		);
	}
}
