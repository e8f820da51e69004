//! Progress of a running job in the daemons' logs.

use hypha_primitives::JobId;

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
