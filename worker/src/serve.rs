//! The worker's HTTP endpoint: job outputs for their clients (the signed
//! output channel of [`hypha_agent::output`]) and `/metrics`.
//!
//! - `GET /jobs/{job}/output`: the output (canonical encoding) of a job this
//!   worker computed, to the job's client only: `401` without a valid fresh
//!   signature, `403` for anyone else, `404` for a job the worker does not
//!   hold. The response carries the worker's receipt
//!   ([`hypha_agent::output::RECEIPT_HEADER`]) for the bytes.
//! - `GET /blobs/{digest}`: the program or the input of a job this worker
//!   holds, in the blob store's protocol, so that the job's auditors can
//!   re-execute it even if the client stops serving them (issue 11, attack
//!   4: a party with no interest in withholding them). Served from the claim
//!   until the job ends; `404` for any other digest. Not access-controlled,
//!   as the client's store does not control them either (private inputs are
//!   the data-plane issue's).
//! - `GET /metrics`: Prometheus text format.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hypha_agent::output;
use hypha_primitives::{Digest, JobId};

/// An output being served: its bytes, the only account allowed to read it,
/// and the worker's receipt for it.
#[derive(Clone)]
pub struct ServedOutput {
	/// The client's account id.
	pub client: [u8; 32],
	/// The output.
	pub bytes: Arc<[u8]>,
	/// [`output::sign_receipt`] of the output's digest.
	pub receipt: [u8; 64],
}

/// Outputs by job, shared between the daemon and the handlers.
pub type Outputs = Arc<RwLock<HashMap<JobId, ServedOutput>>>;

/// The programs and inputs of the jobs this worker holds, by job, each as
/// its digest and bytes.
pub type Inputs = Arc<RwLock<HashMap<JobId, Vec<(Digest, Arc<[u8]>)>>>>;

/// The router: outputs, the held jobs' blobs, and metrics.
pub fn router(outputs: Outputs, inputs: Inputs, registry: prometheus::Registry) -> Router {
	Router::new()
		.route("/jobs/{job}/output", get(get_output))
		.with_state(outputs)
		.merge(Router::new().route("/blobs/{digest}", get(get_blob)).with_state(inputs))
		.merge(hypha_agent::metrics::router(registry))
}

async fn get_blob(State(inputs): State<Inputs>, Path(digest): Path<String>) -> Response {
	let Some(digest) = hypha_blobstore::Digest::from_hex(&digest) else {
		return (StatusCode::BAD_REQUEST, "not a 64-hex-digit digest").into_response();
	};
	let held = inputs.read().unwrap_or_else(|p| p.into_inner());
	let found = held.values().flatten().find(|(held, _)| *held == digest.0);
	match found {
		Some((_, bytes)) => {
			(StatusCode::OK, axum::body::Bytes::copy_from_slice(bytes)).into_response()
		},
		None => (StatusCode::NOT_FOUND, "this worker holds no job with that blob").into_response(),
	}
}

async fn get_output(
	State(outputs): State<Outputs>,
	Path(job): Path<JobId>,
	headers: HeaderMap,
) -> Response {
	let served = outputs.read().unwrap_or_else(|p| p.into_inner()).get(&job).cloned();
	let Some(served) = served else {
		return (StatusCode::NOT_FOUND, "this worker serves no output for that job")
			.into_response();
	};
	let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
	match output::verify(job, header, hypha_blobstore::auth::unix_now()) {
		Ok(account) if account == served.client => (
			StatusCode::OK,
			[(output::RECEIPT_HEADER, hex::encode(served.receipt))],
			axum::body::Bytes::copy_from_slice(&served.bytes),
		)
			.into_response(),
		Ok(_) => {
			(StatusCode::FORBIDDEN, "only the job's client may read its output").into_response()
		},
		Err(why) => (StatusCode::UNAUTHORIZED, why.to_string()).into_response(),
	}
}
