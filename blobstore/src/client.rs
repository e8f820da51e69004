//! The client: uploads blobs and fetches them, checking size and digest
//! before anything uses the bytes.

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::auth;
use crate::store::Digest;

/// Why a fetch or upload failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
	/// Transport error.
	#[error("HTTP request to the blob store failed: {0}")]
	Http(#[from] reqwest::Error),
	/// The server answered with an error status.
	#[error("blob store answered {status}: {message}")]
	Status {
		/// HTTP status.
		status: u16,
		/// The server's message.
		message: String,
	},
	/// The body exceeds the caller's bound.
	#[error("blob exceeds the size bound of {limit} bytes")]
	TooLarge {
		/// The bound.
		limit: u64,
	},
	/// The bytes do not hash to the requested digest.
	#[error("blob digest mismatch: asked for {expected}, received bytes hashing to {actual}")]
	DigestMismatch {
		/// Requested.
		expected: Digest,
		/// Received.
		actual: Digest,
	},
	/// The server's reply to an upload is not the digest of what was sent.
	#[error("the store acknowledged the upload with {0:?}, not its digest")]
	BadAcknowledgement(String),
}

/// A client of one blob store.
#[derive(Debug, Clone)]
pub struct BlobClient {
	http: reqwest::Client,
	base_url: String,
	signer: Option<SigningKey>,
}

impl BlobClient {
	/// A client of the store at `base_url` (e.g. `http://127.0.0.1:7070`).
	pub fn new(base_url: impl Into<String>) -> Self {
		Self {
			http: reqwest::Client::new(),
			base_url: base_url.into().trim_end_matches('/').to_string(),
			signer: None,
		}
	}

	/// Signs reads with `key` (needed for restricted blobs).
	pub fn with_signer(mut self, key: SigningKey) -> Self {
		self.signer = Some(key);
		self
	}

	/// Uploads `bytes`, readable only by `readers` if not empty; checks the
	/// acknowledged digest.
	pub async fn put(&self, bytes: Vec<u8>, readers: &[VerifyingKey]) -> Result<Digest, BlobError> {
		let expected = Digest::of(&bytes);
		let mut request = self.http.put(format!("{}/blobs", self.base_url)).body(bytes);
		if !readers.is_empty() {
			let list: Vec<String> = readers.iter().map(|k| hex::encode(k.as_bytes())).collect();
			request = request.header(auth::READERS_HEADER, list.join(","));
		}
		let response = request.send().await?;
		let status = response.status();
		let text = response.text().await?;
		if !status.is_success() {
			return Err(BlobError::Status { status: status.as_u16(), message: text });
		}
		match Digest::from_hex(text.trim()) {
			Some(digest) if digest == expected => Ok(digest),
			_ => Err(BlobError::BadAcknowledgement(text)),
		}
	}

	/// Fetches the blob `digest`, refusing more than `max_bytes` and bytes
	/// that do not hash to `digest`.
	pub async fn get(&self, digest: &Digest, max_bytes: u64) -> Result<Vec<u8>, BlobError> {
		let mut request = self.http.get(format!("{}/blobs/{}", self.base_url, digest.to_hex()));
		if let Some(key) = &self.signer {
			for (name, value) in auth::sign(key, digest, auth::unix_now()) {
				request = request.header(name, value);
			}
		}
		let mut response = request.send().await?;
		let status = response.status();
		if !status.is_success() {
			let mut message = response.text().await.unwrap_or_default();
			message.truncate(512);
			return Err(BlobError::Status { status: status.as_u16(), message });
		}
		if response.content_length().is_some_and(|len| len > max_bytes) {
			return Err(BlobError::TooLarge { limit: max_bytes });
		}
		let mut bytes = Vec::new();
		while let Some(chunk) = response.chunk().await? {
			if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
				return Err(BlobError::TooLarge { limit: max_bytes });
			}
			bytes.extend_from_slice(&chunk);
		}
		let actual = Digest::of(&bytes);
		if actual != *digest {
			return Err(BlobError::DigestMismatch { expected: *digest, actual });
		}
		Ok(bytes)
	}
}
