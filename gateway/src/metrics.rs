//! The gateway's Prometheus metrics (`GET /metrics`, prefix `hypha_gateway_`).

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry};

/// Everything the gateway counts.
#[derive(Clone)]
pub struct Metrics {
	/// The registry served at `/metrics`.
	pub registry: Registry,
	/// Requests by endpoint and HTTP status.
	pub requests: IntCounterVec,
	/// Jobs put on the market.
	pub jobs: IntCounter,
	/// HYPHA held in escrow by the jobs (their budgets).
	pub budgets: prometheus::Counter,
	/// Seconds from a request to its first streamed token.
	pub time_to_first_token: Histogram,
	/// Streamed tokens per second, from the first token to the commitment.
	pub tokens_per_second: Histogram,
	/// Seconds from a request to its last byte.
	pub request_seconds: Histogram,
	/// Streams whose tokens did not match the committed output.
	pub stream_mismatches: IntCounter,
}

impl Metrics {
	/// Registers the metrics.
	pub fn new() -> Result<Self, prometheus::Error> {
		let registry = hypha_agent::metrics::registry("hypha_gateway")?;
		let requests = IntCounterVec::new(
			Opts::new("requests_total", "API requests by endpoint and HTTP status"),
			&["endpoint", "status"],
		)?;
		registry.register(Box::new(requests.clone()))?;
		let seconds = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
		let histogram =
			|name: &str, help: &str, buckets: &[f64]| -> Result<Histogram, prometheus::Error> {
				let histogram =
					Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))?;
				registry.register(Box::new(histogram.clone()))?;
				Ok(histogram)
			};
		Ok(Self {
			jobs: hypha_agent::metrics::int_counter(
				&registry,
				"jobs_total",
				"generate jobs put on the market",
			)?,
			budgets: hypha_agent::metrics::counter(
				&registry,
				"budget_hypha_total",
				"HYPHA held in escrow by the jobs' budgets",
			)?,
			time_to_first_token: histogram(
				"time_to_first_token_seconds",
				"seconds from a streamed request to its first token",
				&seconds,
			)?,
			tokens_per_second: histogram(
				"tokens_per_second",
				"streamed tokens per second, first token to commitment",
				&[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0],
			)?,
			request_seconds: histogram(
				"request_seconds",
				"seconds from a completion request to its last byte",
				&seconds,
			)?,
			stream_mismatches: hypha_agent::metrics::int_counter(
				&registry,
				"stream_mismatches_total",
				"streams whose tokens differed from the committed output",
			)?,
			requests,
			registry,
		})
	}

	/// Counts a request to `endpoint` answered with `status`.
	pub fn answered(&self, endpoint: &str, status: u16) {
		self.requests.with_label_values(&[endpoint, &status.to_string()]).inc();
	}
}
