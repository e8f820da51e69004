//! The verifier's Prometheus metrics (`hypha_verifier_*`, at `/metrics`).

use hypha_agent::metrics::{
	counter, int_counter, int_gauge, registry, Counter, IntCounter, IntGauge, Registry,
};

/// The verifier's counters.
#[derive(Clone)]
pub struct Metrics {
	/// The registry served at `/metrics`.
	pub registry: Registry,
	pub(crate) assigned: IntCounter,
	pub(crate) verdicts: IntCounter,
	pub(crate) agreements: IntCounter,
	pub(crate) disagreements: IntCounter,
	pub(crate) failed: IntCounter,
	pub(crate) unavailable: IntCounter,
	pub(crate) slashed: IntCounter,
	pub(crate) copies_deposited: IntCounter,
	pub(crate) copies_failed: IntCounter,
	pub(crate) compute_seconds: Counter,
	pub(crate) in_flight: IntGauge,
}

impl Metrics {
	/// Registers every counter.
	pub fn new() -> Result<Self, prometheus::Error> {
		let registry = registry("hypha_verifier")?;
		Ok(Self {
			assigned: int_counter(
				&registry,
				"audits_total",
				"Audits and dispute seats assigned to this verifier",
			)?,
			verdicts: int_counter(&registry, "verdicts_total", "Verdicts this verifier submitted")?,
			agreements: int_counter(
				&registry,
				"agreements_total",
				"Verdicts that matched the provider's commitment",
			)?,
			disagreements: int_counter(
				&registry,
				"disagreements_total",
				"Verdicts that did not match the provider's commitment",
			)?,
			failed: int_counter(
				&registry,
				"failed_total",
				"Assigned jobs this verifier could not re-execute",
			)?,
			unavailable: int_counter(
				&registry,
				"inputs_unavailable_total",
				"Verdicts of \"inputs unavailable\": the program or input came from neither the client's store nor the provider, or did not form a job",
			)?,
			slashed: int_counter(
				&registry,
				"slashed_total",
				"Times this verifier was slashed (lost dispute or absent)",
			)?,
			copies_deposited: int_counter(
				&registry,
				"output_copies_total",
				"Outputs that backed the provider and were left in the client's store before answering",
			)?,
			copies_failed: int_counter(
				&registry,
				"output_copy_failures_total",
				"Outputs that backed the provider but that the client's store did not take in time",
			)?,
			compute_seconds: counter(
				&registry,
				"compute_seconds_total",
				"Seconds spent re-executing jobs",
			)?,
			in_flight: int_gauge(
				&registry,
				"audits_in_flight",
				"Audits and dispute seats this verifier is working on",
			)?,
			registry,
		})
	}
}
