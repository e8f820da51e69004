//! The worker's Prometheus metrics (`hypha_worker_*`, served at `/metrics`).

use hypha_agent::metrics::{
	counter, int_counter, int_gauge, registry, Counter, IntCounter, IntGauge, Registry,
};

/// The worker's counters.
#[derive(Clone)]
pub struct Metrics {
	/// The registry served at `/metrics`.
	pub registry: Registry,
	pub(crate) claimed: IntCounter,
	pub(crate) committed: IntCounter,
	pub(crate) settled: IntCounter,
	pub(crate) failed: IntCounter,
	pub(crate) refused: IntCounter,
	pub(crate) slashed: IntCounter,
	pub(crate) compute_seconds: Counter,
	pub(crate) earnings: Counter,
	pub(crate) in_flight: IntGauge,
	pub(crate) computing: IntGauge,
	pub(crate) dropped: IntCounter,
}

impl Metrics {
	/// Registers every counter.
	pub fn new() -> Result<Self, prometheus::Error> {
		let registry = registry("hypha_worker")?;
		Ok(Self {
			claimed: int_counter(
				&registry,
				"jobs_claimed_total",
				"Jobs this worker claimed on chain",
			)?,
			committed: int_counter(
				&registry,
				"jobs_committed_total",
				"Results this worker committed",
			)?,
			settled: int_counter(
				&registry,
				"jobs_done_total",
				"Jobs settled with this worker paid",
			)?,
			failed: int_counter(
				&registry,
				"jobs_failed_total",
				"Claimed jobs this worker could not finish",
			)?,
			refused: int_counter(
				&registry,
				"jobs_refused_total",
				"Jobs refused before claiming (blobs not matching their digests, invalid)",
			)?,
			slashed: int_counter(
				&registry,
				"jobs_slashed_total",
				"Jobs whose result was proven wrong",
			)?,
			compute_seconds: counter(
				&registry,
				"compute_seconds_total",
				"Seconds spent computing jobs",
			)?,
			earnings: counter(
				&registry,
				"earnings_hypha_total",
				"HYPHA paid to this worker for settled jobs",
			)?,
			in_flight: int_gauge(
				&registry,
				"jobs_in_flight",
				"Jobs this worker is working on (fetching, claiming, waiting to compute, computing, committing)",
			)?,
			computing: int_gauge(
				&registry,
				"jobs_computing",
				"Jobs computing on this worker's device right now",
			)?,
			dropped: int_counter(
				&registry,
				"claims_dropped_total",
				"Claims the chain did not keep (a re-org dropped them); their work was dropped",
			)?,
			registry,
		})
	}
}
