//! The worker's HTTP endpoint: job outputs for their clients, and metrics.
//!
//! - `GET /jobs/{job}/output`: the output (canonical encoding) of a job this
//!   worker committed. Only the job's client may read it: the request
//!   carries `x-hypha-account` (the client's account id, 64 hex digits),
//!   `x-hypha-timestamp` (Unix seconds, within 300 s of the worker's clock) and
//!   `x-hypha-signature`, the client's sr25519 signature of
//!   `"hypha-output-get/1:" + <job> + ":" + <timestamp>`. `401` without a
//!   valid fresh signature, `403` for anyone but the client, `404` for a job
//!   the worker does not hold.
//! - `GET /metrics`: Prometheus text format.
//!
//! Why not a public blob URL: the chain keeps the provider's output digest
//! secret (it only sees a commitment) so that an auditor cannot agree by
//! copying it. A public output, or a URL naming its digest, would hand the
//! digest to everyone.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hypha_client::subxt_signer::sr25519;
use hypha_primitives::JobId;

/// Header carrying the reader's account id.
pub const ACCOUNT_HEADER: &str = "x-hypha-account";
/// Header carrying the timestamp.
pub const TIMESTAMP_HEADER: &str = "x-hypha-timestamp";
/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-hypha-signature";
/// Largest accepted difference between a request's timestamp and the clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// The message a client signs to read `job`'s output at `timestamp`.
pub fn message(job: JobId, timestamp: u64) -> Vec<u8> {
	format!("hypha-output-get/1:{job}:{timestamp}").into_bytes()
}

/// The headers of a signed output request.
pub fn sign(key: &sr25519::Keypair, job: JobId, timestamp: u64) -> [(&'static str, String); 3] {
	let signature = key.sign(&message(job, timestamp));
	[
		(ACCOUNT_HEADER, hex::encode(key.public_key().0)),
		(TIMESTAMP_HEADER, timestamp.to_string()),
		(SIGNATURE_HEADER, hex::encode(signature.0)),
	]
}

/// An output being served: its bytes and the only account allowed to read it.
#[derive(Clone)]
pub struct ServedOutput {
	/// The client's account id.
	pub client: [u8; 32],
	/// The output.
	pub bytes: Arc<[u8]>,
}

/// Outputs by job, shared between the daemon and the handlers.
pub type Outputs = Arc<RwLock<HashMap<JobId, ServedOutput>>>;

#[derive(Clone)]
struct AppState {
	outputs: Outputs,
	registry: prometheus::Registry,
}

/// The router.
pub fn router(outputs: Outputs, registry: prometheus::Registry) -> Router {
	Router::new()
		.route("/jobs/{job}/output", get(get_output))
		.route("/metrics", get(get_metrics))
		.with_state(AppState { outputs, registry })
}

fn check_signature(job: JobId, headers: &HeaderMap) -> Result<[u8; 32], &'static str> {
	let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
	let mut account = [0u8; 32];
	hex::decode_to_slice(header(ACCOUNT_HEADER).ok_or("missing x-hypha-account")?, &mut account)
		.map_err(|_| "malformed x-hypha-account")?;
	let timestamp: u64 = header(TIMESTAMP_HEADER)
		.and_then(|t| t.parse().ok())
		.ok_or("missing or malformed x-hypha-timestamp")?;
	let mut signature = [0u8; 64];
	hex::decode_to_slice(
		header(SIGNATURE_HEADER).ok_or("missing x-hypha-signature")?,
		&mut signature,
	)
	.map_err(|_| "malformed x-hypha-signature")?;
	if timestamp.abs_diff(hypha_blobstore::auth::unix_now()) > MAX_CLOCK_SKEW_SECS {
		return Err("timestamp too far from the worker's clock");
	}
	if !sr25519::verify(
		&sr25519::Signature(signature),
		message(job, timestamp),
		&sr25519::PublicKey(account),
	) {
		return Err("signature does not verify");
	}
	Ok(account)
}

async fn get_output(
	State(state): State<AppState>,
	Path(job): Path<JobId>,
	headers: HeaderMap,
) -> Response {
	let served = state.outputs.read().unwrap_or_else(|p| p.into_inner()).get(&job).cloned();
	let Some(served) = served else {
		return (StatusCode::NOT_FOUND, "this worker serves no output for that job")
			.into_response();
	};
	match check_signature(job, &headers) {
		Ok(account) if account == served.client => {
			(StatusCode::OK, axum::body::Bytes::copy_from_slice(&served.bytes)).into_response()
		},
		Ok(_) => {
			(StatusCode::FORBIDDEN, "only the job's client may read its output").into_response()
		},
		Err(why) => (StatusCode::UNAUTHORIZED, why).into_response(),
	}
}

async fn get_metrics(State(state): State<AppState>) -> Response {
	use prometheus::Encoder;
	let mut buffer = Vec::new();
	match prometheus::TextEncoder::new().encode(&state.registry.gather(), &mut buffer) {
		Ok(()) => ([("content-type", "text/plain; version=0.0.4")], buffer).into_response(),
		Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
	}
}

/// Fetches `job`'s output from `output_uri` as its client `key`, refusing
/// more than `max_bytes`.
pub async fn fetch_output(
	output_uri: &str,
	job: JobId,
	key: &sr25519::Keypair,
	max_bytes: u64,
) -> anyhow::Result<Vec<u8>> {
	use anyhow::Context;
	let mut request = reqwest::Client::new().get(output_uri);
	for (name, value) in sign(key, job, hypha_blobstore::auth::unix_now()) {
		request = request.header(name, value);
	}
	let mut response =
		request.send().await.with_context(|| format!("requesting the output from {output_uri}"))?;
	let status = response.status();
	if !status.is_success() {
		let text = response.text().await.unwrap_or_default();
		anyhow::bail!(
			"the worker answered {status}: {}",
			text.chars().take(300).collect::<String>()
		);
	}
	let mut bytes = Vec::new();
	while let Some(chunk) = response.chunk().await? {
		anyhow::ensure!(
			bytes.len() as u64 + chunk.len() as u64 <= max_bytes,
			"the output exceeds the job's bound of {max_bytes} bytes"
		);
		bytes.extend_from_slice(&chunk);
	}
	Ok(bytes)
}
