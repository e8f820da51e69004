//! The worker's HTTP endpoint: job outputs for their clients (the signed
//! output channel of [`hypha_agent::output`]) and `/metrics`.
//!
//! - `GET /jobs/{job}/output`: the output (canonical encoding) of a job this
//!   worker computed, to the job's client only: `401` without a valid fresh
//!   signature, `403` for anyone else, `404` for a job the worker does not
//!   hold. The response carries the worker's receipt
//!   ([`hypha_agent::output::RECEIPT_HEADER`]) for the bytes.
//! - `GET /jobs/{job}/stream`: the tokens of a `generate` job as this
//!   worker chooses them, before it commits ([`hypha_agent::stream`]), to
//!   the job's client only, with the output's signature; sealed to the
//!   client if the job names its key. `404` until the job computes here.
//! - `GET /blobs/{digest}`: the program or the input of a job this worker
//!   holds, in the blob store's protocol, so that the job's auditors can
//!   re-execute it even if the client stops serving them (issue 11, attack
//!   4: a party with no interest in withholding them). Served from the claim
//!   until the job ends; `404` for any other digest. Only to a signed
//!   request (the blob store's read signature, naming this endpoint and the
//!   job in `x-hypha-job`) from the job's client or a verifier the chain
//!   assigned to it: `401` unsigned, stale or replayed, `403` anyone else,
//!   as the blob may be a private one of the client's (docs/DATA.md).
//! - `GET /metrics`: Prometheus text format.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hypha_agent::output;
use hypha_blobstore::auth;
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

/// A `generate` job's tokens as they come, for its client.
#[derive(Clone)]
pub struct ServedStream {
	/// The client's account id.
	pub client: [u8; 32],
	/// The client's output key, if the job has its output sealed.
	pub key: Option<[u8; 32]>,
	/// The tokens so far.
	pub feed: hypha_agent::stream::Feed,
}

/// Token streams by job.
pub type Streams = Arc<RwLock<HashMap<JobId, ServedStream>>>;

/// The programs and inputs of the jobs this worker holds, by job, each as
/// its digest and bytes.
pub type Inputs = Arc<RwLock<HashMap<JobId, Vec<(Digest, Arc<[u8]>)>>>>;

/// What the `/blobs` mirror needs: the held blobs, the chain to ask who a
/// job's parties are, and the signatures already seen.
#[derive(Clone)]
pub struct Mirror {
	/// The held jobs' blobs.
	pub inputs: Inputs,
	/// The chain.
	pub chain: hypha_client::Client,
	/// Refuses replayed signatures.
	pub replays: Arc<auth::ReplayGuard>,
}

/// The router: outputs, token streams, the held jobs' blobs, and metrics.
pub fn router(
	outputs: Outputs,
	streams: Streams,
	mirror: Mirror,
	registry: prometheus::Registry,
) -> Router {
	Router::new()
		.route("/jobs/{job}/output", get(get_output))
		.with_state(outputs)
		.merge(stream_router(streams))
		.merge(Router::new().route("/blobs/{digest}", get(get_blob)).with_state(mirror))
		.merge(hypha_agent::metrics::router(registry))
}

async fn get_blob(
	State(mirror): State<Mirror>,
	Path(digest): Path<String>,
	headers: HeaderMap,
) -> Response {
	let Some(digest) = hypha_blobstore::Digest::from_hex(&digest) else {
		return (StatusCode::BAD_REQUEST, "not a 64-hex-digit digest").into_response();
	};
	let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
	let Some(job) = header(auth::JOB_HEADER).and_then(|j| j.trim().parse::<JobId>().ok()) else {
		return (StatusCode::UNAUTHORIZED, "name the job in x-hypha-job and sign the request")
			.into_response();
	};
	let bytes = {
		let held = mirror.inputs.read().unwrap_or_else(|p| p.into_inner());
		held.get(&job)
			.into_iter()
			.flatten()
			.find(|(held, _)| *held == digest.0)
			.map(|(_, b)| b.clone())
	};
	let Some(bytes) = bytes else {
		return (StatusCode::NOT_FOUND, "this worker holds no such job with that blob")
			.into_response();
	};
	let Some(authority) = header(axum::http::header::HOST.as_str()) else {
		return (StatusCode::BAD_REQUEST, "no Host header").into_response();
	};
	let now = auth::unix_now();
	let reader = match auth::parse(header).and_then(|signed| {
		signed.verify(
			&auth::get_message(&authority, &digest, Some(job), signed.timestamp),
			&authority,
			now,
		)?;
		mirror.replays.check(&signed, now)?;
		Ok(signed.account)
	}) {
		Ok(reader) => reader,
		Err(why) => return (StatusCode::UNAUTHORIZED, why.to_string()).into_response(),
	};
	match hypha_agent::store_auth::job_party(&mirror.chain, job, &digest, reader, true).await {
		Ok(Some((true, _))) => {
			(StatusCode::OK, axum::body::Bytes::copy_from_slice(&bytes)).into_response()
		},
		Ok(_) => (
			StatusCode::FORBIDDEN,
			"only the job's client and its assigned verifiers may read its blobs",
		)
			.into_response(),
		Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("could not ask the chain: {why}"))
			.into_response(),
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

/// `GET /jobs/{job}/stream` alone.
fn stream_router(streams: Streams) -> Router {
	Router::new().route("/jobs/{job}/stream", get(get_stream)).with_state(streams)
}

async fn get_stream(
	State(streams): State<Streams>,
	Path(job): Path<JobId>,
	headers: HeaderMap,
) -> Response {
	let served = streams.read().unwrap_or_else(|p| p.into_inner()).get(&job).cloned();
	let Some(served) = served else {
		return (
			StatusCode::NOT_FOUND,
			"this worker streams no tokens for that job (yet): it streams a generate job it claimed once it computes it",
		)
			.into_response();
	};
	let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
	match output::verify(job, header, hypha_blobstore::auth::unix_now()) {
		Ok(account) if account == served.client => {
			let lines = hypha_agent::stream::lines(job, served.feed.subscribe(), served.key);
			(
				StatusCode::OK,
				[(axum::http::header::CONTENT_TYPE, "application/x-ndjson")],
				axum::body::Body::from_stream(lines),
			)
				.into_response()
		},
		Ok(_) => {
			(StatusCode::FORBIDDEN, "only the job's client may read its tokens").into_response()
		},
		Err(why) => (StatusCode::UNAUTHORIZED, why.to_string()).into_response(),
	}
}

#[cfg(test)]
mod tests {
	use hypha_agent::seal::OutputKey;
	use hypha_agent::stream::{follow, Feed, StreamError};
	use hypha_client::subxt_signer::sr25519::dev;

	use super::*;

	fn status_of(outcome: Result<Option<usize>, StreamError>) -> u16 {
		match outcome {
			Err(StreamError::Status { status, .. }) => status.as_u16(),
			other => panic!("expected an error status, got {other:?}"),
		}
	}

	#[tokio::test]
	async fn a_jobs_tokens_stream_to_its_client_only_sealed_to_its_key() {
		let streams: Streams = Default::default();
		let feed = Feed::new();
		let key = OutputKey::from_secret_uri("//Bob");
		let served = ServedStream {
			client: dev::bob().public_key().0,
			key: Some(key.public()),
			feed: feed.clone(),
		};
		streams.write().unwrap().insert(7, served);
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let addr = listener.local_addr().unwrap();
		tokio::spawn(async move { axum::serve(listener, stream_router(streams)).await });
		let url = format!("http://{addr}/jobs/7/stream");

		// Tokens pushed while the client reads reach it in order, then the end.
		let pusher = tokio::spawn(async move {
			for token in [3, 1, 4] {
				tokio::time::sleep(std::time::Duration::from_millis(20)).await;
				feed.push(token);
			}
			feed.finish();
		});
		let mut got = Vec::new();
		let count = follow(&url, 7, &dev::bob(), Some(&key), |from, tokens| {
			assert_eq!(from, got.len());
			got.extend_from_slice(tokens);
		})
		.await
		.unwrap();
		pusher.await.unwrap();
		assert_eq!((count, got), (Some(3), vec![3, 1, 4]));

		// Anyone else, signing as themselves: 403; another job: 404.
		assert_eq!(status_of(follow(&url, 7, &dev::eve(), None, |_, _| {}).await), 403);
		let other = format!("http://{addr}/jobs/8/stream");
		assert_eq!(status_of(follow(&other, 8, &dev::bob(), Some(&key), |_, _| {}).await), 404);
		// The client's signature for another job does not open this one.
		let signed_for_8 = raw_get(addr, "/jobs/7/stream", Some(8)).await;
		assert!(signed_for_8.starts_with("HTTP/1.1 401"), "{signed_for_8}");
		// Unsigned: 401.
		let unsigned = raw_get(addr, "/jobs/7/stream", None).await;
		assert!(unsigned.starts_with("HTTP/1.1 401"), "{unsigned}");
		// A sealed stream does not open without the client's key.
		let opened = follow(&url, 7, &dev::bob(), None, |_, _| {}).await;
		assert!(matches!(opened, Err(StreamError::Malformed(_))), "{opened:?}");
	}

	/// A GET by hand, signed by Bob for `job` if given.
	async fn raw_get(addr: std::net::SocketAddr, path: &str, job: Option<JobId>) -> String {
		use tokio::io::{AsyncReadExt, AsyncWriteExt};
		let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
		let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
		if let Some(job) = job {
			for (name, value) in output::sign(&dev::bob(), job, hypha_blobstore::auth::unix_now()) {
				request.push_str(&format!("{name}: {value}\r\n"));
			}
		}
		request.push_str("\r\n");
		stream.write_all(request.as_bytes()).await.unwrap();
		let mut response = String::new();
		let _ = tokio::time::timeout(
			std::time::Duration::from_secs(5),
			stream.read_to_string(&mut response),
		)
		.await;
		response
	}
}
