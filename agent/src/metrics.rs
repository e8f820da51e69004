//! Prometheus metrics and the HTTP endpoint that serves them.
//!
//! A daemon makes a [`Registry`] with its prefix (`hypha_worker`), registers
//! counters with [`int_counter`] and [`counter`], and serves
//! [`router`]`(registry)` (merged with routes of its own) with [`serve`],
//! which stops when its shutdown future completes.

use std::future::Future;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
pub use prometheus::{Counter, IntCounter, IntGauge, Registry};

/// A registry whose metric names start with `prefix_`.
pub fn registry(prefix: &str) -> Result<Registry, prometheus::Error> {
	Registry::new_custom(Some(prefix.into()), None)
}

/// Registers an integer counter.
pub fn int_counter(
	registry: &Registry,
	name: &str,
	help: &str,
) -> Result<IntCounter, prometheus::Error> {
	let counter = IntCounter::new(name, help)?;
	registry.register(Box::new(counter.clone()))?;
	Ok(counter)
}

/// Registers a float counter (seconds, HYPHA).
pub fn counter(registry: &Registry, name: &str, help: &str) -> Result<Counter, prometheus::Error> {
	let counter = Counter::new(name, help)?;
	registry.register(Box::new(counter.clone()))?;
	Ok(counter)
}

/// Registers an integer gauge (jobs in flight, queue depth).
pub fn int_gauge(
	registry: &Registry,
	name: &str,
	help: &str,
) -> Result<IntGauge, prometheus::Error> {
	let gauge = IntGauge::new(name, help)?;
	registry.register(Box::new(gauge.clone()))?;
	Ok(gauge)
}

/// `GET /metrics` in Prometheus' text format.
pub fn router(registry: Registry) -> Router {
	Router::new().route("/metrics", axum::routing::get(get_metrics)).with_state(registry)
}

async fn get_metrics(State(registry): State<Registry>) -> Response {
	text(&registry)
}

/// `registry`'s metrics in Prometheus' text format, as a response (for a
/// server that updates gauges of its own before answering `/metrics`).
pub fn text(registry: &Registry) -> Response {
	use prometheus::Encoder;
	let mut buffer = Vec::new();
	match prometheus::TextEncoder::new().encode(&registry.gather(), &mut buffer) {
		Ok(()) => ([("content-type", "text/plain; version=0.0.4")], buffer).into_response(),
		Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
	}
}

/// Serves `router` on `listener` in a task of its own until `shutdown`
/// completes; the task ends once open requests are answered. Await the
/// handle to know the server is gone.
pub fn serve(
	listener: tokio::net::TcpListener,
	router: Router,
	shutdown: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
	tokio::spawn(
		async move { axum::serve(listener, router).with_graceful_shutdown(shutdown).await },
	)
}
