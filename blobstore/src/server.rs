//! The store over HTTP.
//!
//! - `PUT /blobs/{digest}` (if uploads are enabled): the body is the blob,
//!   streamed to disk and hashed as it arrives. `Content-Length` is
//!   required (`411` without); the request is signed by the uploader
//!   ([`crate::auth`]: `401` unsigned, stale, replayed or for another store).
//!   [`auth::ACCESS_HEADER`] is `public` (the default) or `private`;
//!   [`auth::READERS_HEADER`] lists extra readers of a private blob. Answers
//!   `201` (stored) or `200` (already stored; the uploader is now an owner)
//!   with the digest as the body; `413` over the per-blob limit and `507`
//!   over the uploader's quota or the store's total, both before reading the
//!   body; `400` if the bytes are not the declared size or do not hash to
//!   `{digest}` (nothing is kept).
//! - `GET /blobs/{digest}`: the bytes, streamed from disk; `Range: bytes=N-`
//!   resumes at byte `N` (`206`). `404` if unknown. A private blob needs a
//!   signed request ([`auth::get_message`]) by an owner, a listed reader, or
//!   (with an [`Authorizer`], through [`auth::JOB_HEADER`]) a party of a job
//!   of an owner that names the blob: `401` without a valid fresh signature,
//!   `403` for anyone else, `503` if the chain could not be asked.
//! - `POST /blobs/{digest}/output-of/{job}` (if uploads are enabled), signed
//!   ([`auth::tag_message`]) by an owner of the blob: tags it as the output
//!   of `job` (`403` for anyone else, or past 8 tags).
//! - `GET /jobs/{job}/outputs/{owner}`, signed ([`auth::list_message`]):
//!   the digests `owner` (hex account id: the job's provider) uploaded and
//!   tagged as outputs of `job` that the signer may read, one per line (at
//!   most 64).

// Handlers refuse early with the response itself; boxing it would only add
// noise to every `return`.
#![allow(clippy::result_large_err)]

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus::{IntCounter, IntGauge};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::future::BoxFuture;

use crate::auth::{self, AuthError, ReplayGuard};
use crate::store::{Access, Account, BlobStore, Digest, StoreError};

/// Answers, from the chain, the questions the store cannot answer alone.
pub trait Authorizer: Send + Sync + 'static {
	/// Whether `reader` may read `digest` through `job`: the job's client is
	/// one of `owners`, the job names `digest` (its program or its input),
	/// and `reader` is the job's client, its provider or one of its assigned
	/// verifiers.
	fn may_read(
		&self,
		job: u64,
		digest: Digest,
		reader: Account,
		owners: Vec<Account>,
	) -> BoxFuture<'static, Result<bool, String>>;

	/// The digests that live jobs name (kept by the retention sweep).
	fn needed(&self) -> BoxFuture<'static, Result<HashSet<Digest>, String>>;
}

/// Server settings.
#[derive(Clone, Default)]
pub struct ServerConfig {
	/// Refuse `PUT /blobs/...` (a read-only mirror).
	pub read_only: bool,
	/// The `host:port` signed requests must name. `None`: the request's
	/// `Host` header (a store reachable under several names; a request
	/// signed for another store that shares a name is then accepted).
	pub authority: Option<String>,
	/// Asks the chain for job-bound reads and the retention sweep.
	pub authorizer: Option<Arc<dyn Authorizer>>,
	/// Evict blobs no live job has needed for this long (needs `authorizer`;
	/// `None` keeps everything).
	pub retention: Option<Duration>,
	/// How often the retention sweep runs (`None`: every 10 minutes).
	pub sweep_every: Option<Duration>,
	/// Counts uploads, reads, refusals and stored bytes here (the caller
	/// serves the registry, e.g. at `/metrics` through `extra_routes`).
	pub metrics: Option<prometheus::Registry>,
	/// More routes served beside the store's (a `/metrics` endpoint).
	pub extra_routes: Option<Router>,
}

/// The store's Prometheus metrics.
#[derive(Clone)]
struct Metrics {
	uploads: IntCounter,
	uploaded_bytes: IntCounter,
	uploads_refused: IntCounter,
	reads: IntCounter,
	reads_refused: IntCounter,
	blobs: IntGauge,
	stored_bytes: IntGauge,
}

impl Metrics {
	fn register(
		registry: &prometheus::Registry,
		store: &BlobStore,
	) -> Result<Self, prometheus::Error> {
		let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
			let counter = IntCounter::new(name, help)?;
			registry.register(Box::new(counter.clone()))?;
			Ok(counter)
		};
		let gauge = |name: &str, help: &str| -> Result<IntGauge, prometheus::Error> {
			let gauge = IntGauge::new(name, help)?;
			registry.register(Box::new(gauge.clone()))?;
			Ok(gauge)
		};
		let metrics = Self {
			uploads: counter("uploads_total", "Uploads stored (new blobs and re-uploads)")?,
			uploaded_bytes: counter("uploaded_bytes_total", "Bytes received in stored uploads")?,
			uploads_refused: counter(
				"uploads_refused_total",
				"Uploads refused (signature, size, quota, digest)",
			)?,
			reads: counter("reads_total", "Blob reads served")?,
			reads_refused: counter(
				"reads_refused_total",
				"Reads of private blobs refused (401 or 403)",
			)?,
			blobs: gauge("blobs", "Blobs stored")?,
			stored_bytes: gauge("stored_bytes", "Bytes stored")?,
		};
		metrics.observe(store);
		Ok(metrics)
	}

	fn observe(&self, store: &BlobStore) {
		let (bytes, count) = store.totals();
		self.blobs.set(i64::try_from(count).unwrap_or(i64::MAX));
		self.stored_bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
	}
}

impl std::fmt::Debug for ServerConfig {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("ServerConfig")
			.field("read_only", &self.read_only)
			.field("authority", &self.authority)
			.field("authorizer", &self.authorizer.is_some())
			.field("retention", &self.retention)
			.field("sweep_every", &self.sweep_every)
			.field("metrics", &self.metrics.is_some())
			.field("extra_routes", &self.extra_routes.is_some())
			.finish()
	}
}

#[derive(Clone)]
struct AppState {
	store: BlobStore,
	config: ServerConfig,
	replays: Arc<ReplayGuard>,
	metrics: Option<Metrics>,
}

impl AppState {
	fn count(&self, pick: impl FnOnce(&Metrics)) {
		if let Some(metrics) = &self.metrics {
			pick(metrics);
		}
	}
}

/// The router for `store`.
pub fn router(store: BlobStore, config: ServerConfig) -> Router {
	let metrics = register_metrics(&config, &store);
	router_with(store, config, metrics)
}

fn register_metrics(config: &ServerConfig, store: &BlobStore) -> Option<Metrics> {
	let registry = config.metrics.as_ref()?;
	match Metrics::register(registry, store) {
		Ok(metrics) => Some(metrics),
		Err(error) => {
			tracing::warn!(%error, "the blob store's metrics could not be registered");
			None
		},
	}
}

fn router_with(store: BlobStore, config: ServerConfig, metrics: Option<Metrics>) -> Router {
	let read_only = config.read_only;
	let extra = config.extra_routes.clone();
	let state = AppState { store, config, replays: Arc::default(), metrics };
	let blob = if read_only { get(get_blob) } else { get(get_blob).put(put_blob) };
	let mut router = Router::new()
		.route("/blobs/{digest}", blob)
		.route("/blobs/{digest}/chunks", get(get_chunks))
		.route("/jobs/{job}/outputs/{owner}", get(list_outputs));
	if !read_only {
		router = router.route("/blobs/{digest}/output-of/{job}", axum::routing::post(tag_output));
	}
	let router = router.with_state(state);
	match extra {
		Some(extra) => router.merge(extra),
		None => router,
	}
}

/// Serves `store` on `listener` until `shutdown` completes; runs the
/// retention sweep (every ten minutes unless `config.sweep_every` says
/// otherwise) if `config` asks for one.
pub async fn serve(
	listener: tokio::net::TcpListener,
	store: BlobStore,
	config: ServerConfig,
	shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
	let metrics = register_metrics(&config, &store);
	let sweeper = match (&config.authorizer, config.retention) {
		(Some(authorizer), Some(retention)) => Some(tokio::spawn(sweep_forever(
			store.clone(),
			authorizer.clone(),
			retention,
			config.sweep_every.unwrap_or(Duration::from_secs(600)),
			metrics.clone(),
		))),
		_ => None,
	};
	let served = axum::serve(listener, router_with(store, config, metrics))
		.with_graceful_shutdown(shutdown)
		.await;
	if let Some(sweeper) = sweeper {
		sweeper.abort();
	}
	served
}

/// Every `period`: asks which blobs live jobs need and evicts those that
/// have not been needed for `retention`.
async fn sweep_forever(
	store: BlobStore,
	authorizer: Arc<dyn Authorizer>,
	retention: Duration,
	period: Duration,
	metrics: Option<Metrics>,
) {
	let mut ticks = tokio::time::interval(period);
	loop {
		ticks.tick().await;
		let needed = match authorizer.needed().await {
			Ok(needed) => needed,
			Err(error) => {
				tracing::warn!(%error, "retention sweep skipped: the chain did not say which blobs live jobs need");
				continue;
			},
		};
		match store.sweep(&needed, auth::unix_now(), retention.as_secs()).await {
			Ok(evicted) if !evicted.is_empty() => {
				if let Some(metrics) = &metrics {
					metrics.observe(&store);
				}
				tracing::info!(
					evicted = evicted.len(),
					"retention sweep evicted blobs no live job needs"
				)
			},
			Ok(_) => {},
			Err(error) => tracing::warn!(%error, "retention sweep failed"),
		}
	}
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
	(status, message.into()).into_response()
}

fn authority(state: &AppState, headers: &HeaderMap) -> Option<String> {
	state
		.config
		.authority
		.clone()
		.or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_string))
}

fn header_text(headers: &HeaderMap) -> impl Fn(&str) -> Option<String> + '_ {
	|name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Checks a signed request over `message`, including replays.
fn check_signature(
	state: &AppState,
	headers: &HeaderMap,
	message: impl FnOnce(u64) -> Vec<u8>,
	authority: &str,
) -> Result<Account, AuthError> {
	let signed = auth::parse(header_text(headers))?;
	let now = auth::unix_now();
	signed.verify(&message(signed.timestamp), authority, now)?;
	state.replays.check(&signed, now)?;
	Ok(signed.account)
}

/// The signer of a request signed over `message(authority, timestamp)`,
/// or the response that refuses it.
fn signer_of(
	state: &AppState,
	headers: &HeaderMap,
	message: impl FnOnce(&str, u64) -> Vec<u8>,
) -> Result<Account, Response> {
	let Some(authority) = authority(state, headers) else {
		return Err(error(StatusCode::BAD_REQUEST, "no Host header"));
	};
	check_signature(state, headers, |timestamp| message(&authority, timestamp), &authority)
		.map_err(|refused| error(StatusCode::UNAUTHORIZED, refused.to_string()))
}

fn parse_access(headers: &HeaderMap) -> Result<Access, Response> {
	let text = header_text(headers);
	let public = match text(auth::ACCESS_HEADER).as_deref().map(str::trim) {
		None | Some("public") => true,
		Some("private") => false,
		Some(_) => {
			return Err(error(StatusCode::BAD_REQUEST, "x-hypha-access must be public or private"))
		},
	};
	let readers = match text(auth::READERS_HEADER) {
		None => Vec::new(),
		Some(list) if list.trim().is_empty() => Vec::new(),
		Some(list) => match list.split(',').map(auth::parse_account).collect::<Option<Vec<_>>>() {
			Some(readers) if readers.len() <= 64 => readers,
			_ => {
				return Err(error(
					StatusCode::BAD_REQUEST,
					"x-hypha-readers must be at most 64 comma-separated hex account ids",
				))
			},
		},
	};
	if public && !readers.is_empty() {
		return Err(error(StatusCode::BAD_REQUEST, "a public blob has no reader list"));
	}
	Ok(Access { public, readers })
}

async fn put_blob(
	State(state): State<AppState>,
	Path(digest): Path<String>,
	headers: HeaderMap,
	body: Body,
) -> Response {
	let Some(digest) = Digest::from_hex(&digest) else {
		return error(StatusCode::BAD_REQUEST, "the digest must be 64 hex digits");
	};
	let Some(size) = headers
		.get(header::CONTENT_LENGTH)
		.and_then(|v| v.to_str().ok())
		.and_then(|v| v.parse::<u64>().ok())
	else {
		return error(StatusCode::LENGTH_REQUIRED, "an upload must declare its Content-Length");
	};
	let access = match parse_access(&headers) {
		Ok(access) => access,
		Err(response) => return response,
	};
	let uploader = match signer_of(&state, &headers, |authority, timestamp| {
		auth::put_message(authority, &digest, size, &access, timestamp)
	}) {
		Ok(account) => account,
		Err(refused) => {
			state.count(|m| m.uploads_refused.inc());
			return refused;
		},
	};
	let existed = state.store.meta(&digest).is_some();
	let started = Instant::now();
	match state.store.put(digest, size, uploader, access, body.into_data_stream()).await {
		Ok(_) => {
			let seconds = started.elapsed().as_secs_f64();
			tracing::info!(
				%digest,
				bytes = size,
				uploader = %hex::encode(uploader),
				mib_per_s = format!("{:.1}", size as f64 / (1 << 20) as f64 / seconds.max(1e-9)),
				"blob stored"
			);
			state.count(|m| {
				m.uploads.inc();
				m.uploaded_bytes.inc_by(size);
				m.observe(&state.store);
			});
			let status = if existed { StatusCode::OK } else { StatusCode::CREATED };
			(status, digest.to_hex()).into_response()
		},
		Err(refused) => {
			let status = match &refused {
				StoreError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
				StoreError::QuotaExceeded { .. } | StoreError::StoreFull { .. } => {
					StatusCode::INSUFFICIENT_STORAGE
				},
				StoreError::SizeMismatch { .. }
				| StoreError::DigestMismatch { .. }
				| StoreError::Body(_) => StatusCode::BAD_REQUEST,
				StoreError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
			};
			state.count(|m| m.uploads_refused.inc());
			tracing::info!(%digest, bytes = size, error = %refused, "upload refused");
			error(status, refused.to_string())
		},
	}
}

/// `POST /blobs/{digest}/output-of/{job}`: an owner of the blob tags it as
/// the output of `job` (a worker, for the job's client to find it).
async fn tag_output(
	State(state): State<AppState>,
	Path((digest, job)): Path<(String, u64)>,
	headers: HeaderMap,
) -> Response {
	let Some(digest) = Digest::from_hex(&digest) else {
		return error(StatusCode::BAD_REQUEST, "the digest must be 64 hex digits");
	};
	let owner = match signer_of(&state, &headers, |authority, timestamp| {
		auth::tag_message(authority, &digest, job, timestamp)
	}) {
		Ok(account) => account,
		Err(refused) => return refused,
	};
	match state.store.tag_output(&digest, &owner, job).await {
		Ok(true) => (StatusCode::OK, "tagged").into_response(),
		Ok(false) => error(
			StatusCode::FORBIDDEN,
			"only an owner of a stored blob may tag it, and at most 8 times",
		),
		Err(failure) => error(StatusCode::INTERNAL_SERVER_ERROR, failure.to_string()),
	}
}

/// `GET /jobs/{job}/outputs`, signed: the digests tagged as outputs of
/// `job` that the signer may read, one per line.
async fn list_outputs(
	State(state): State<AppState>,
	Path((job, owner)): Path<(u64, String)>,
	headers: HeaderMap,
) -> Response {
	let Some(owner) = auth::parse_account(&owner) else {
		return error(StatusCode::BAD_REQUEST, "the owner must be a 64-hex-digit account id");
	};
	let reader = match signer_of(&state, &headers, |authority, timestamp| {
		auth::list_message(authority, job, timestamp)
	}) {
		Ok(account) => account,
		Err(refused) => return refused,
	};
	let listed: Vec<String> =
		state.store.outputs_of(job, &reader, &owner).iter().map(Digest::to_hex).collect();
	(StatusCode::OK, listed.join("\n")).into_response()
}

/// The first byte a `Range: bytes=N-` header asks for.
fn range_start(headers: &HeaderMap) -> Result<Option<u64>, Response> {
	let Some(value) = headers.get(header::RANGE) else { return Ok(None) };
	let start = value
		.to_str()
		.ok()
		.and_then(|v| v.trim().strip_prefix("bytes="))
		.and_then(|v| v.strip_suffix('-'))
		.and_then(|v| v.parse::<u64>().ok());
	match start {
		Some(start) => Ok(Some(start)),
		None => Err(error(StatusCode::RANGE_NOT_SATISFIABLE, "only `Range: bytes=N-` is served")),
	}
}

/// The blob's metadata if the request may read it (public, or signed by
/// an account that may, directly or as a party of the job it names);
/// else the answer to send.
async fn readable(
	state: &AppState,
	digest: &str,
	headers: &HeaderMap,
) -> Result<(Digest, crate::BlobMeta), Response> {
	let Some(digest) = Digest::from_hex(digest) else {
		return Err(error(StatusCode::BAD_REQUEST, "the digest must be 64 hex digits"));
	};
	let Some(meta) = state.store.meta(&digest) else {
		return Err(error(StatusCode::NOT_FOUND, "no blob with this digest"));
	};
	if meta.access.public {
		return Ok((digest, meta));
	}
	let job = match header_text(headers)(auth::JOB_HEADER) {
		None => None,
		Some(text) => match text.trim().parse::<u64>() {
			Ok(job) => Some(job),
			Err(_) => return Err(error(StatusCode::BAD_REQUEST, "x-hypha-job must be a job id")),
		},
	};
	let reader = match signer_of(state, headers, |authority, timestamp| {
		auth::get_message(authority, &digest, job, timestamp)
	}) {
		Ok(account) => account,
		Err(refused) => {
			state.count(|m| m.reads_refused.inc());
			return Err(refused);
		},
	};
	if meta.readable_by(&reader) {
		return Ok((digest, meta));
	}
	let allowed = match (job, &state.config.authorizer) {
		(Some(job), Some(authorizer)) => {
			match authorizer.may_read(job, digest, reader, meta.owners.clone()).await {
				Ok(allowed) => allowed,
				Err(failure) => {
					return Err(error(
						StatusCode::SERVICE_UNAVAILABLE,
						format!("could not ask the chain about job {job}: {failure}"),
					))
				},
			}
		},
		_ => false,
	};
	if !allowed {
		state.count(|m| m.reads_refused.inc());
		tracing::info!(%digest, reader = %hex::encode(reader), ?job, "private read refused");
		return Err(error(StatusCode::FORBIDDEN, "the signer may not read this blob"));
	}
	Ok((digest, meta))
}

/// `GET /blobs/{digest}/chunks`: the blob's chunk manifest (see
/// [`crate::chunks`]), to whoever may read the blob.
async fn get_chunks(
	State(state): State<AppState>,
	Path(digest): Path<String>,
	headers: HeaderMap,
) -> Response {
	let meta = match readable(&state, &digest, &headers).await {
		Ok((_, meta)) => meta,
		Err(response) => return response,
	};
	match meta.chunks {
		Some(manifest) => {
			([(header::CONTENT_TYPE, "application/octet-stream")], manifest.to_bytes())
				.into_response()
		},
		None => error(
			StatusCode::NOT_FOUND,
			"this blob was stored without chunk hashes; upload it again to add them",
		),
	}
}

async fn get_blob(
	State(state): State<AppState>,
	Path(digest): Path<String>,
	headers: HeaderMap,
) -> Response {
	let (digest, meta) = match readable(&state, &digest, &headers).await {
		Ok(found) => found,
		Err(response) => return response,
	};
	let start = match range_start(&headers) {
		Ok(start) => start,
		Err(response) => return response,
	};
	if start.is_some_and(|start| start > meta.size) {
		return error(StatusCode::RANGE_NOT_SATISFIABLE, "the range starts past the blob's end");
	}
	let offset = start.unwrap_or(0);
	let stream = match state.store.read(&digest, offset).await {
		Ok(Some(stream)) => stream,
		// Evicted between the lookup and the read.
		Ok(None) => return error(StatusCode::NOT_FOUND, "no blob with this digest"),
		Err(failure) => {
			tracing::warn!(%digest, %failure, "reading a blob from the backend failed");
			return error(
				StatusCode::SERVICE_UNAVAILABLE,
				format!("the store's backend: {failure}"),
			);
		},
	};
	state.count(|m| m.reads.inc());
	let mut response = Response::new(Body::from_stream(stream));
	let headers = response.headers_mut();
	headers.insert(header::CONTENT_LENGTH, (meta.size - offset).into());
	headers.insert(header::ACCEPT_RANGES, header::HeaderValue::from_static("bytes"));
	if start.is_some() {
		*response.status_mut() = StatusCode::PARTIAL_CONTENT;
		if let Ok(range) = header::HeaderValue::from_str(&format!(
			"bytes {offset}-{}/{}",
			meta.size.saturating_sub(1),
			meta.size
		)) {
			response.headers_mut().insert(header::CONTENT_RANGE, range);
		}
	}
	response
}
