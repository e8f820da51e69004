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

/// Splits a blob URI `http://host:port/blobs/<hex>` into the store's base URL
/// and the digest it names.
pub fn split_blob_uri(uri: &str) -> Result<(String, Digest), FetchError> {
	let Some((base, digest)) = uri.rsplit_once("/blobs/") else {
		return Err(FetchError::BadUri(format!(
			"`{uri}` is not a blob store URI (expected http://HOST:PORT/blobs/<digest>)"
		)));
	};
	let digest = Digest::from_hex(digest).ok_or_else(|| {
		FetchError::BadUri(format!("`{uri}` does not end in a 64-hex-digit digest"))
	})?;
	Ok((base.to_string(), digest))
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
	let (base, named) = split_blob_uri(uri)?;
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
	match store.get_through_job(&named, max_bytes, job, Some(log_progress(uri.to_string()))).await {
		Ok(bytes) => Ok(bytes),
		Err(error @ (BlobError::DigestMismatch { .. } | BlobError::TooLarge { .. })) => {
			Err(FetchError::Mismatch(error.to_string()))
		},
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
