//! The store over HTTP.
//!
//! - `PUT /blobs` (if uploads are enabled): the body is the blob; an optional
//!   `x-hypha-readers` header (comma-separated hex ed25519 keys) restricts
//!   reads. Answers `201` with the digest (64 hex digits) as the body, `413`
//!   over the size limit, `400` for a malformed reader list.
//! - `GET /blobs/{digest}`: the bytes, `404` if unknown; restricted blobs
//!   need a signed request (see [`crate::auth`]): `401` without a valid
//!   fresh signature, `403` for a signer who is not a reader.

use std::future::Future;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;

use crate::auth::{self, AuthError};
use crate::store::{BlobStore, Digest, StoreError};

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
	/// Accept `PUT /blobs`. A worker that inserts its outputs in-process
	/// turns this off so strangers cannot fill its memory.
	pub accept_uploads: bool,
}

impl Default for ServerConfig {
	fn default() -> Self {
		Self { accept_uploads: true }
	}
}

#[derive(Clone)]
struct AppState {
	store: BlobStore,
}

/// The router for `store`.
pub fn router(store: BlobStore, config: &ServerConfig) -> Router {
	// Leave room above the blob limit so an oversized body reaches the handler
	// check as a clear 413 instead of a truncated read.
	let body_limit =
		usize::try_from(store.max_blob_bytes()).unwrap_or(usize::MAX).saturating_add(1);
	let mut app = Router::new().route("/blobs/{digest}", get(get_blob));
	if config.accept_uploads {
		app = app.route("/blobs", put(put_blob));
	}
	app.layer(DefaultBodyLimit::max(body_limit)).with_state(AppState { store })
}

/// Serves `store` on `listener` until `shutdown` completes.
pub async fn serve(
	listener: tokio::net::TcpListener,
	store: BlobStore,
	config: ServerConfig,
	shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
	axum::serve(listener, router(store, &config)).with_graceful_shutdown(shutdown).await
}

async fn put_blob(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
	let readers = match headers.get(auth::READERS_HEADER) {
		None => None,
		Some(value) => {
			let parsed: Option<Vec<_>> =
				value.to_str().ok().and_then(|text| text.split(',').map(auth::parse_key).collect());
			match parsed {
				Some(keys) if !keys.is_empty() => Some(keys),
				_ => {
					return (StatusCode::BAD_REQUEST, "malformed x-hypha-readers header")
						.into_response()
				},
			}
		},
	};
	match state.store.insert(body.to_vec(), readers) {
		Ok(digest) => (StatusCode::CREATED, digest.to_hex()).into_response(),
		Err(error @ StoreError::TooLarge { .. }) => {
			(StatusCode::PAYLOAD_TOO_LARGE, error.to_string()).into_response()
		},
	}
}

async fn get_blob(
	State(state): State<AppState>,
	Path(digest): Path<String>,
	headers: HeaderMap,
) -> Response {
	let Some(digest) = Digest::from_hex(&digest) else {
		return (StatusCode::BAD_REQUEST, "the digest must be 64 hex digits").into_response();
	};
	let Some(blob) = state.store.get(&digest) else {
		return (StatusCode::NOT_FOUND, "no blob with this digest").into_response();
	};
	if let Some(readers) = &blob.readers {
		let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
		match auth::verify(
			&digest,
			header(auth::KEY_HEADER),
			header(auth::TIMESTAMP_HEADER),
			header(auth::SIGNATURE_HEADER),
			auth::unix_now(),
		) {
			Ok(key) if readers.contains(&key) => {},
			Ok(_) => {
				return (StatusCode::FORBIDDEN, "the signer may not read this blob").into_response()
			},
			Err(error @ (AuthError::Malformed(_) | AuthError::Stale | AuthError::BadSignature)) => {
				return (StatusCode::UNAUTHORIZED, error.to_string()).into_response()
			},
		}
	}
	(StatusCode::OK, Bytes::copy_from_slice(&blob.bytes)).into_response()
}
