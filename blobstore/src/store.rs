//! The content-addressed store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest as _};
use ed25519_dalek::VerifyingKey;

/// A blake2-256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
	/// blake2-256 (BLAKE2b, 32-byte output) of `bytes`, as Substrate's `blake2_256`.
	pub fn of(bytes: &[u8]) -> Self {
		let mut hasher = Blake2b::<U32>::new();
		hasher.update(bytes);
		Self(hasher.finalize().into())
	}

	/// Lowercase hex, no prefix (the form used in URLs).
	pub fn to_hex(&self) -> String {
		hex::encode(self.0)
	}

	/// Parses 64 hex digits, with or without `0x`.
	pub fn from_hex(text: &str) -> Option<Self> {
		let text = text.strip_prefix("0x").unwrap_or(text);
		let mut out = [0u8; 32];
		hex::decode_to_slice(text, &mut out).ok()?;
		Some(Self(out))
	}
}

impl std::fmt::Display for Digest {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "0x{}", self.to_hex())
	}
}

/// One stored blob.
#[derive(Debug, Clone)]
pub struct Blob {
	/// The bytes.
	pub bytes: Arc<[u8]>,
	/// `None`: anyone may read. `Some(keys)`: only requests signed by one of `keys`.
	pub readers: Option<Vec<VerifyingKey>>,
}

/// Why a blob was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
	/// The blob exceeds the store's limit.
	#[error("blob of {size} bytes exceeds the limit of {limit} bytes")]
	TooLarge {
		/// Its size.
		size: u64,
		/// The limit.
		limit: u64,
	},
}

/// An in-memory content-addressed store, shared between handlers.
#[derive(Debug, Clone)]
pub struct BlobStore {
	blobs: Arc<RwLock<HashMap<Digest, Blob>>>,
	max_blob_bytes: u64,
}

impl BlobStore {
	/// An empty store accepting blobs of at most `max_blob_bytes`.
	pub fn new(max_blob_bytes: u64) -> Self {
		Self { blobs: Default::default(), max_blob_bytes }
	}

	/// The per-blob size limit.
	pub fn max_blob_bytes(&self) -> u64 {
		self.max_blob_bytes
	}

	/// Stores `bytes` (restricted to `readers` if given) and returns its
	/// digest. Storing the same bytes again replaces the reader list.
	pub fn insert(
		&self,
		bytes: Vec<u8>,
		readers: Option<Vec<VerifyingKey>>,
	) -> Result<Digest, StoreError> {
		let size = bytes.len() as u64;
		if size > self.max_blob_bytes {
			return Err(StoreError::TooLarge { size, limit: self.max_blob_bytes });
		}
		let digest = Digest::of(&bytes);
		let blob = Blob { bytes: bytes.into(), readers };
		// A poisoned lock only means a handler panicked mid-insert; the map is still valid.
		self.blobs.write().unwrap_or_else(|p| p.into_inner()).insert(digest, blob);
		Ok(digest)
	}

	/// The blob with this digest, if stored.
	pub fn get(&self, digest: &Digest) -> Option<Blob> {
		self.blobs.read().unwrap_or_else(|p| p.into_inner()).get(digest).cloned()
	}
}
