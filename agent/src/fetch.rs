//! Fetching a job's blobs: by the URI the chain holds, checked against the
//! digest the chain holds, within a size bound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hypha_blobstore::{BlobClient, BlobError, Digest, Progress};
use hypha_client::subxt_signer::sr25519::Keypair;

/// Why a job's blob could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
	/// The URI is not one this client can fetch. Permanent.
	#[error("unusable URI: {0}")]
	BadUri(String),
	/// The bytes (or the URI) do not match the job's declared digest, or
	/// exceed the bound. Permanent: the job is refused.
	#[error("the blob does not match the job: {0}")]
	Mismatch(String),
	/// The store did not answer or answered with an error. Maybe transient.
	#[error("the blob store is unavailable: {0}")]
	Unavailable(String),
}

impl FetchError {
	/// Whether trying again later may help.
	pub fn is_transient(&self) -> bool {
		matches!(self, FetchError::Unavailable(_))
	}
}

/// A blob URI, `http(s)://host:port/blobs/<digest>[?b3=<chunk root>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobUri {
	/// The store's base URL.
	pub base: String,
	/// The blob's blake2-256 digest.
	pub digest: Digest,
	/// The root of its BLAKE3 chunk manifest, if the URI names one: the
	/// download is then checked chunk by chunk (`hypha_blobstore::chunks`).
	pub chunks: Option<Digest>,
}

impl BlobUri {
	/// The URI of `digest` in the store at `base`, naming `chunks`' root.
	pub fn format(base: &str, digest: &Digest, chunks: Option<&Digest>) -> String {
		let base = base.trim_end_matches('/');
		match chunks {
			Some(root) => format!("{base}/blobs/{}?b3={}", digest.to_hex(), root.to_hex()),
			None => format!("{base}/blobs/{}", digest.to_hex()),
		}
	}
}

/// Parses a blob URI (see [`BlobUri`]).
pub fn parse_blob_uri(uri: &str) -> Result<BlobUri, FetchError> {
	let Some((base, rest)) = uri.rsplit_once("/blobs/") else {
		return Err(FetchError::BadUri(format!(
			"`{uri}` is not a blob store URI (expected http://HOST:PORT/blobs/<digest>)"
		)));
	};
	let (digest, query) = match rest.split_once('?') {
		Some((digest, query)) => (digest, Some(query)),
		None => (rest, None),
	};
	let digest = Digest::from_hex(digest).ok_or_else(|| {
		FetchError::BadUri(format!("`{uri}` does not end in a 64-hex-digit digest"))
	})?;
	let chunks = match query {
		None => None,
		Some(query) => {
			let root = query.strip_prefix("b3=").and_then(Digest::from_hex).ok_or_else(|| {
				FetchError::BadUri(format!(
					"`{uri}`: the only query a blob URI takes is b3=<64 hex digits>"
				))
			})?;
			Some(root)
		},
	};
	Ok(BlobUri { base: base.to_string(), digest, chunks })
}

/// Splits a blob URI into the store's base URL and the digest it names.
pub fn split_blob_uri(uri: &str) -> Result<(String, Digest), FetchError> {
	parse_blob_uri(uri).map(|parsed| (parsed.base, parsed.digest))
}

/// Fetches the blob at `uri`, which must hash to `digest` and be at most
/// `max_bytes` long. A URI naming another digest than `digest` is refused
/// before anything is downloaded; bytes that hash to anything else are
/// refused after (the store client hashes what it received).
///
/// With `reader`, the request is signed by that key as a party of that job,
/// so that a store holding the blob privately for the job's client lets the
/// job's provider and verifiers read it. Large downloads log their progress.
pub async fn fetch_blob(
	uri: &[u8],
	digest: &[u8; 32],
	max_bytes: u64,
	reader: Option<(&Keypair, u64)>,
) -> Result<Vec<u8>, FetchError> {
	let uri = std::str::from_utf8(uri).map_err(|_| FetchError::BadUri("not UTF-8".into()))?;
	let BlobUri { base, digest: named, chunks } = parse_blob_uri(uri)?;
	if named.0 != *digest {
		return Err(FetchError::Mismatch(format!(
			"{uri} names digest {named}, the job declares 0x{}",
			hex::encode(digest)
		)));
	}
	let store = BlobClient::new(base.clone()).map_err(|e| FetchError::BadUri(e.to_string()))?;
	let (store, job) = match reader {
		Some((key, job)) => (store.with_signer(key.clone()), Some(job)),
		None => (store, None),
	};
	let progress = || Some(log_progress(uri.to_string()));
	let mut got = store.get_checked(&named, chunks.as_ref(), max_bytes, job, progress()).await;
	if chunks.is_some() && matches!(got, Err(BlobError::Status { status: 404, .. })) {
		// A store (or blob) without chunk hashes: the whole-blob digest,
		// checked at the end, still decides.
		tracing::info!(blob = %uri, "the store serves no chunk hashes; checking the blob whole");
		got = store.get_through_job(&named, max_bytes, job, progress()).await;
	}
	match got {
		Ok(bytes) => Ok(bytes),
		Err(
			error @ (BlobError::DigestMismatch { .. }
			| BlobError::TooLarge { .. }
			| BlobError::Chunk { .. }),
		) => Err(FetchError::Mismatch(error.to_string())),
		Err(error) => Err(FetchError::Unavailable(error.to_string())),
	}
}

/// Bytes between two progress lines of a download.
const PROGRESS_STEP: u64 = 64 << 20;

/// A progress callback that logs every [`PROGRESS_STEP`] bytes of `what`.
pub fn log_progress(what: String) -> Progress {
	let logged = AtomicU64::new(0);
	Arc::new(move |done, total| {
		let step = done / PROGRESS_STEP;
		if step > logged.load(Ordering::Relaxed) {
			logged.store(step, Ordering::Relaxed);
			tracing::info!(blob = %what, mib = done >> 20, total_mib = total >> 20, "downloading");
		}
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn blob_uris_split_into_store_and_digest() {
		let hex = "ab".repeat(32);
		let (base, digest) = split_blob_uri(&format!("http://127.0.0.1:7300/blobs/{hex}")).unwrap();
		assert_eq!(base, "http://127.0.0.1:7300");
		assert_eq!(digest.0, [0xab; 32]);
		assert!(matches!(split_blob_uri("http://x/other/ab"), Err(FetchError::BadUri(_))));
		assert!(matches!(split_blob_uri("http://x/blobs/xyz"), Err(FetchError::BadUri(_))));
		let root = "cd".repeat(32);
		let parsed = parse_blob_uri(&format!("http://h:1/blobs/{hex}?b3={root}")).unwrap();
		assert_eq!(parsed.chunks, Some(Digest([0xcd; 32])));
		assert_eq!(
			BlobUri::format("http://h:1/", &parsed.digest, parsed.chunks.as_ref()),
			format!("http://h:1/blobs/{hex}?b3={root}")
		);
		assert!(matches!(
			parse_blob_uri(&format!("http://h:1/blobs/{hex}?b3=zz")),
			Err(FetchError::BadUri(_))
		));
		assert!(matches!(
			parse_blob_uri(&format!("http://h:1/blobs/{hex}?x=1")),
			Err(FetchError::BadUri(_))
		));
	}

	#[tokio::test]
	async fn a_uri_naming_another_digest_is_refused_before_any_request() {
		// Nothing listens on port 9: a request would come back Unavailable.
		let uri = format!("http://127.0.0.1:9/blobs/{}", "01".repeat(32));
		let error = fetch_blob(uri.as_bytes(), &[2; 32], 1024, None).await.unwrap_err();
		assert!(matches!(error, FetchError::Mismatch(_)), "{error}");
		let error = fetch_blob(uri.as_bytes(), &[1; 32], 1024, None).await.unwrap_err();
		assert!(error.is_transient(), "{error}");
	}
}
