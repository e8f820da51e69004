//! The content-addressed store: checks, quotas, access and retention,
//! over a [`Backend`] that holds the bytes (a directory, [`Disk`], or an
//! S3 bucket, [`crate::s3::S3`]).
//!
//! ## Crash safety
//!
//! An upload streams into the backend's invisible upload (a file under
//! `tmp/`, or an S3 multipart upload), hashing as it goes. Only when every
//! byte has arrived, the size is the declared one and the bytes hash to the
//! digest the uploader named, the upload is made durable, its metadata is
//! written (atomically), and then it is published in one atomic step (a
//! rename, or completing the multipart upload). A crash at any point
//! leaves either the whole blob or none of it; [`BlobStore::on`] has the
//! backend drop what a crash left half done and rebuilds the index (usage
//! per account) from the metadata.
//!
//! ## Quotas and retention
//!
//! A blob is charged to the account that first uploaded it, once: the same
//! bytes uploaded again by anyone add that account as an owner (who may read
//! and whose jobs' parties may read) but cost nothing. An upload is refused
//! before any byte is read if the declared size exceeds the per-blob limit,
//! the uploader's quota or the store's total. Space for uploads in progress
//! is reserved, so concurrent uploads cannot overshoot either bound.
//!
//! [`BlobStore::sweep`] evicts blobs that nothing needs: a blob whose
//! `needed` mark (set by [`BlobStore::mark_needed`] while a live job names it)
//! and upload time are both older than the retention period. The server runs
//! it only when it can ask the chain which blobs live jobs need.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest as _};
use serde::{Deserialize, Serialize};

pub use crate::backend::{Backend, ByteStream, Disk, Upload};
use crate::chunks::Manifest;

/// An account id (an sr25519 public key), as the chain's `AccountId32`.
pub type Account = [u8; 32];

/// A blake2-256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
	/// blake2-256 (BLAKE2b, 32-byte output) of `bytes`, as Substrate's `blake2_256`.
	pub fn of(bytes: &[u8]) -> Self {
		let mut hasher = Hasher::default();
		hasher.update(bytes);
		hasher.finish()
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

/// blake2-256 over bytes that arrive in pieces.
#[derive(Default)]
pub struct Hasher(Blake2b<U32>);

impl Hasher {
	/// Adds `bytes`.
	pub fn update(&mut self, bytes: &[u8]) {
		self.0.update(bytes);
	}

	/// The digest of everything added.
	pub fn finish(self) -> Digest {
		Digest(self.0.finalize().into())
	}
}

/// Who may read a blob, as its uploader asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
	/// Anyone may read it.
	pub public: bool,
	/// Accounts that may read it besides its owners and (through the chain)
	/// the parties of its owners' jobs.
	pub readers: Vec<Account>,
}

impl Access {
	/// Readable by anyone.
	pub fn public() -> Self {
		Self { public: true, readers: Vec::new() }
	}

	/// Readable by its owners, the parties of their jobs, and `readers`.
	pub fn private(readers: Vec<Account>) -> Self {
		Self { public: false, readers }
	}
}

/// What the store knows of one blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
	/// Its size in bytes.
	pub size: u64,
	/// Unix seconds of its first upload.
	pub created: u64,
	/// Unix seconds at which a live job last needed it (0: never seen needed).
	pub needed: u64,
	/// The account its space is charged to (its first uploader).
	pub charged_to: Account,
	/// Every account that uploaded it (who therefore holds its bytes).
	pub owners: Vec<Account>,
	/// Who may read it. Only ever grows: a private blob uploaded again as
	/// public becomes public (its uploader holds the bytes anyway).
	pub access: Access,
	/// The jobs an owner said this blob is the output of (at most
	/// [`MAX_OUTPUT_TAGS`]), so that a job's client can find its output
	/// here by the job's id.
	pub output_of: Vec<u64>,
	/// Its BLAKE3 chunk hashes, for readers that check as they download
	/// (`None` for a blob stored before the store computed them; the next
	/// upload of the same bytes fills them in). Shared: every read of the
	/// metadata clones it, and a 64 GiB blob's manifest is 2 MiB.
	pub chunks: Option<Arc<Manifest>>,
}

/// Bytes buffered between the network and a blob's file.
pub(crate) const WRITE_BUFFER: usize = 1 << 20;

/// Most jobs one blob can be tagged as the output of.
pub const MAX_OUTPUT_TAGS: usize = 8;

/// Most digests [`BlobStore::outputs_of`] returns.
pub const MAX_LISTED_OUTPUTS: usize = 64;

impl BlobMeta {
	/// Whether `account` may read this blob without asking the chain.
	pub fn readable_by(&self, account: &Account) -> bool {
		self.access.public || self.owners.contains(account) || self.access.readers.contains(account)
	}

	fn merge(&mut self, uploader: Account, access: &Access, chunks: &Arc<Manifest>) -> bool {
		let before = self.clone();
		if self.chunks.is_none() {
			self.chunks = Some(Arc::clone(chunks));
		}
		if !self.owners.contains(&uploader) {
			self.owners.push(uploader);
		}
		self.access.public |= access.public;
		for reader in &access.readers {
			if !self.access.readers.contains(reader) {
				self.access.readers.push(*reader);
			}
		}
		*self != before
	}
}

/// The store's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
	/// Largest blob accepted.
	pub max_blob_bytes: u64,
	/// Most bytes charged to one account.
	pub quota_per_account: u64,
	/// Most bytes stored in all.
	pub max_total_bytes: u64,
}

impl Limits {
	/// `max_blob_bytes` per blob, and no account or total bound beyond it.
	pub fn per_blob(max_blob_bytes: u64) -> Self {
		Self { max_blob_bytes, quota_per_account: u64::MAX, max_total_bytes: u64::MAX }
	}
}

/// Why an upload was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	/// The blob exceeds the per-blob limit.
	#[error("blob of {size} bytes exceeds the store's limit of {limit} bytes per blob")]
	TooLarge {
		/// Its size.
		size: u64,
		/// The limit.
		limit: u64,
	},
	/// The uploader's quota would be exceeded.
	#[error(
		"the uploader has {used} bytes stored; {size} more would exceed its quota of {quota} bytes"
	)]
	QuotaExceeded {
		/// Already charged to the uploader (including uploads in progress).
		used: u64,
		/// This blob's size.
		size: u64,
		/// The quota.
		quota: u64,
	},
	/// The store is full.
	#[error("the store holds {used} bytes; {size} more would exceed its total of {limit} bytes")]
	StoreFull {
		/// Stored and reserved.
		used: u64,
		/// This blob's size.
		size: u64,
		/// The total.
		limit: u64,
	},
	/// More or fewer bytes arrived than declared.
	#[error("the upload declared {declared} bytes and sent {received}")]
	SizeMismatch {
		/// Declared (`Content-Length`).
		declared: u64,
		/// Received (so far, if more).
		received: u64,
	},
	/// The bytes do not hash to the digest the uploader named.
	#[error("the uploaded bytes hash to {actual}, not {expected}")]
	DigestMismatch {
		/// Named.
		expected: Digest,
		/// Received.
		actual: Digest,
	},
	/// The body stopped with an error (the uploader went away).
	#[error("the upload stopped: {0}")]
	Body(String),
	/// The disk failed.
	#[error("the store's disk: {0}")]
	Io(#[from] io::Error),
}

/// Where each blob and the usage per account stand, in memory.
#[derive(Debug, Default)]
struct Index {
	blobs: HashMap<Digest, BlobMeta>,
	/// Bytes charged per account, stored plus reserved.
	charged: HashMap<Account, u64>,
	/// Bytes stored plus reserved.
	total: u64,
}

impl Index {
	fn charge(&mut self, account: Account, size: u64) {
		*self.charged.entry(account).or_default() += size;
		self.total += size;
	}

	fn release(&mut self, account: Account, size: u64) {
		if let Some(used) = self.charged.get_mut(&account) {
			*used = used.saturating_sub(size);
			if *used == 0 {
				self.charged.remove(&account);
			}
		}
		self.total = self.total.saturating_sub(size);
	}
}

/// A durable content-addressed store, shared between handlers.
#[derive(Debug, Clone)]
pub struct BlobStore {
	backend: Arc<dyn Backend>,
	limits: Limits,
	index: Arc<Mutex<Index>>,
	/// Metadata records are written one at a time, so that a record on the
	/// backend is never older than one written before it.
	writes: Arc<tokio::sync::Mutex<()>>,
}

/// Space reserved for an upload in progress; released when dropped unless
/// the upload became a stored blob.
struct Reservation {
	index: Arc<Mutex<Index>>,
	account: Account,
	size: u64,
}

impl Drop for Reservation {
	fn drop(&mut self) {
		lock(&self.index).release(self.account, self.size);
	}
}

fn lock(index: &Mutex<Index>) -> MutexGuard<'_, Index> {
	// A poisoned lock only means a thread panicked holding it; the index is
	// updated in single assignments and stays consistent.
	index.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Unix seconds now.
pub fn unix_now() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_secs())
		.unwrap_or(0)
}

impl BlobStore {
	/// Opens (creating if needed) the store in the directory `dir`.
	pub async fn open(dir: impl Into<PathBuf>, limits: Limits) -> io::Result<Self> {
		Self::on(Arc::new(Disk::new(dir)?), limits).await
	}

	/// Opens the store on `backend`: removes unfinished uploads and
	/// metadata without a blob, and indexes the rest.
	pub async fn on(backend: Arc<dyn Backend>, limits: Limits) -> io::Result<Self> {
		let loaded = backend.load().await?;
		let mut index = Index::default();
		for (digest, meta) in loaded.blobs {
			index.charge(meta.charged_to, meta.size);
			index.blobs.insert(digest, meta);
		}
		tracing::info!(
			backend = %backend.describe(),
			blobs = index.blobs.len(),
			bytes = index.total,
			unfinished = loaded.unfinished,
			orphans = loaded.orphans,
			"blob store opened"
		);
		Ok(Self {
			backend,
			limits,
			index: Arc::new(Mutex::new(index)),
			writes: Arc::new(tokio::sync::Mutex::new(())),
		})
	}

	/// The store's bounds.
	pub fn limits(&self) -> Limits {
		self.limits
	}

	/// Where the bytes live.
	pub fn backend(&self) -> &Arc<dyn Backend> {
		&self.backend
	}

	/// The blob's metadata, if stored.
	pub fn meta(&self, digest: &Digest) -> Option<BlobMeta> {
		lock(&self.index).blobs.get(digest).cloned()
	}

	/// The file holding the blob's bytes, on a disk backend.
	pub fn local_path(&self, digest: &Digest) -> Option<PathBuf> {
		self.backend.local_path(digest)
	}

	/// The blob's bytes from `offset` on; `None` if it is not stored (or
	/// was evicted since [`Self::meta`] said it was).
	pub async fn read(&self, digest: &Digest, offset: u64) -> io::Result<Option<ByteStream>> {
		self.backend.read(digest, offset).await
	}

	/// Bytes charged to `account` (stored and reserved).
	pub fn usage(&self, account: &Account) -> u64 {
		lock(&self.index).charged.get(account).copied().unwrap_or(0)
	}

	/// Bytes stored and reserved in all, and the number of blobs.
	pub fn totals(&self) -> (u64, usize) {
		let index = lock(&self.index);
		(index.total, index.blobs.len())
	}

	/// Every stored digest.
	pub fn digests(&self) -> Vec<Digest> {
		lock(&self.index).blobs.keys().copied().collect()
	}

	/// Stores the blob `digest` of `size` bytes uploaded by `uploader`, read
	/// from `body` as it arrives; returns its metadata. Refused before
	/// reading anything when over a bound; refused after reading when the
	/// bytes are not `size` long or do not hash to `digest`. Uploading bytes
	/// that are already stored adds `uploader` as an owner and widens the
	/// access, once the bytes have been checked.
	pub async fn put<S, E>(
		&self,
		digest: Digest,
		size: u64,
		uploader: Account,
		access: Access,
		mut body: S,
	) -> Result<BlobMeta, StoreError>
	where
		S: futures::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
		E: std::fmt::Display,
	{
		use futures::StreamExt;
		let reservation = self.reserve(digest, size, uploader)?;
		let mut upload = self.backend.begin(&digest).await?;
		let mut hasher = Hasher::default();
		let mut chunks = crate::chunks::Builder::default();
		let mut received = 0u64;
		while let Some(chunk) = body.next().await {
			let chunk = chunk.map_err(|error| StoreError::Body(error.to_string()))?;
			received += chunk.len() as u64;
			if received > size {
				return Err(StoreError::SizeMismatch { declared: size, received });
			}
			hasher.update(&chunk);
			chunks.update(&chunk);
			upload.write(chunk).await?;
		}
		if received != size {
			return Err(StoreError::SizeMismatch { declared: size, received });
		}
		let actual = hasher.finish();
		if actual != digest {
			return Err(StoreError::DigestMismatch { expected: digest, actual });
		}
		upload.finish().await?;
		let chunks = Arc::new(chunks.finish());
		self.commit(digest, size, uploader, &access, chunks, reservation, upload).await
	}

	/// Checks the bounds and reserves the space of an upload (nothing if the
	/// blob is already stored: a second upload only proves possession).
	fn reserve(
		&self,
		digest: Digest,
		size: u64,
		uploader: Account,
	) -> Result<Reservation, StoreError> {
		let limits = self.limits;
		if size > limits.max_blob_bytes {
			return Err(StoreError::TooLarge { size, limit: limits.max_blob_bytes });
		}
		let mut index = lock(&self.index);
		let charge = if index.blobs.contains_key(&digest) { 0 } else { size };
		let used = index.charged.get(&uploader).copied().unwrap_or(0);
		if used.saturating_add(charge) > limits.quota_per_account {
			return Err(StoreError::QuotaExceeded { used, size, quota: limits.quota_per_account });
		}
		if index.total.saturating_add(charge) > limits.max_total_bytes {
			return Err(StoreError::StoreFull {
				used: index.total,
				size,
				limit: limits.max_total_bytes,
			});
		}
		index.charge(uploader, charge);
		Ok(Reservation { index: self.index.clone(), account: uploader, size: charge })
	}

	/// Makes a checked, durable upload a stored blob (or merges it into the
	/// stored one with the same digest): its metadata first, then the
	/// upload published in one atomic step.
	async fn commit(
		&self,
		digest: Digest,
		size: u64,
		uploader: Account,
		access: &Access,
		chunks: Arc<Manifest>,
		mut reservation: Reservation,
		upload: Box<dyn Upload>,
	) -> Result<BlobMeta, StoreError> {
		let _writing = self.writes.lock().await;
		let stored = lock(&self.index).blobs.get(&digest).cloned();
		if let Some(mut meta) = stored {
			// Stored meanwhile or before: the reservation (if any) and the
			// upload go when they drop.
			if meta.merge(uploader, access, &chunks) {
				self.backend.write_meta(&digest, &meta).await?;
				lock(&self.index).blobs.insert(digest, meta.clone());
			}
			return Ok(meta);
		}
		let meta = BlobMeta {
			size,
			created: unix_now(),
			needed: 0,
			charged_to: uploader,
			owners: vec![uploader],
			access: Access { public: access.public, readers: dedup(&access.readers) },
			output_of: Vec::new(),
			chunks: Some(chunks),
		};
		if reservation.size == 0 {
			// Reserved as a second upload of a stored blob that was evicted
			// since: charge it now, as a first upload.
			lock(&self.index).charge(uploader, size);
			reservation.size = size;
		}
		self.backend.write_meta(&digest, &meta).await?;
		if let Err(error) = upload.publish().await {
			let _ = self.backend.remove(&digest).await;
			return Err(error.into());
		}
		// The space is now the blob's: keep the charge.
		reservation.size = 0;
		lock(&self.index).blobs.insert(digest, meta.clone());
		Ok(meta)
	}

	/// Changes `digest`'s metadata with `change` (which says whether it
	/// changed anything) and writes it; `None` if no such blob.
	async fn update(
		&self,
		digest: &Digest,
		change: impl FnOnce(&mut BlobMeta) -> bool,
	) -> io::Result<Option<BlobMeta>> {
		let _writing = self.writes.lock().await;
		let changed = {
			let mut index = lock(&self.index);
			let Some(meta) = index.blobs.get_mut(digest) else { return Ok(None) };
			let changed = change(meta);
			(changed, meta.clone())
		};
		if changed.0 {
			self.backend.write_meta(digest, &changed.1).await?;
		}
		Ok(Some(changed.1))
	}

	/// Tags `digest` as the output of `job`, as its owner `owner` says.
	/// `Ok(false)`: no such blob, or `owner` does not own it, or it carries
	/// [`MAX_OUTPUT_TAGS`] tags already.
	pub async fn tag_output(&self, digest: &Digest, owner: &Account, job: u64) -> io::Result<bool> {
		let mut tagged = false;
		self.update(digest, |meta| {
			if !meta.owners.contains(owner) {
				return false;
			}
			if meta.output_of.contains(&job) {
				tagged = true;
				return false;
			}
			if meta.output_of.len() >= MAX_OUTPUT_TAGS {
				return false;
			}
			meta.output_of.push(job);
			tagged = true;
			true
		})
		.await?;
		Ok(tagged)
	}

	/// The blobs that `owner` (the job's provider) uploaded and tagged as
	/// outputs of `job` and that `reader` may read, at most
	/// [`MAX_LISTED_OUTPUTS`] (a scan of the index: fine for the thousands
	/// of blobs one store holds). Only the owner's: anyone may tag blobs of
	/// their own with any job, and must not be able to push the provider's
	/// output off the list.
	pub fn outputs_of(&self, job: u64, reader: &Account, owner: &Account) -> Vec<Digest> {
		let index = lock(&self.index);
		let mut found: Vec<Digest> = index
			.blobs
			.iter()
			.filter(|(_, meta)| {
				meta.output_of.contains(&job)
					&& meta.owners.contains(owner)
					&& meta.readable_by(reader)
			})
			.map(|(digest, _)| *digest)
			.collect();
		found.sort_unstable();
		found.truncate(MAX_LISTED_OUTPUTS);
		found
	}

	/// Notes that a live job needs `digest` now (it will not be evicted for
	/// another retention period).
	pub async fn mark_needed(&self, digest: &Digest, now: u64) -> io::Result<()> {
		self.update(digest, |meta| {
			let older = meta.needed < now;
			if older {
				meta.needed = now;
			}
			older
		})
		.await
		.map(|_| ())
	}

	/// Evicts every blob not in `needed` whose upload and last need are both
	/// more than `retention_secs` before `now`; returns the evicted digests.
	pub async fn sweep(
		&self,
		needed: &HashSet<Digest>,
		now: u64,
		retention_secs: u64,
	) -> io::Result<Vec<Digest>> {
		for digest in needed {
			self.mark_needed(digest, now).await?;
		}
		let _writing = self.writes.lock().await;
		let stale: Vec<(Digest, BlobMeta)> = {
			let mut index = lock(&self.index);
			let stale: Vec<Digest> = index
				.blobs
				.iter()
				.filter(|(digest, meta)| {
					!needed.contains(digest)
						&& now.saturating_sub(meta.created.max(meta.needed)) > retention_secs
				})
				.map(|(digest, _)| *digest)
				.collect();
			// Out of the index first: no read or upload sees them after.
			stale.into_iter().filter_map(|d| index.blobs.remove(&d).map(|m| (d, m))).collect()
		};
		let mut evicted = Vec::with_capacity(stale.len());
		for (digest, meta) in stale {
			if let Err(error) = self.backend.remove(&digest).await {
				// Still there: back in the index, so that it is charged and served.
				lock(&self.index).blobs.insert(digest, meta);
				return Err(error);
			}
			lock(&self.index).release(meta.charged_to, meta.size);
			evicted.push(digest);
		}
		Ok(evicted)
	}
}

fn dedup(accounts: &[Account]) -> Vec<Account> {
	let mut out: Vec<Account> = Vec::with_capacity(accounts.len());
	for account in accounts {
		if !out.contains(account) {
			out.push(*account);
		}
	}
	out
}

/// The metadata file's JSON form (accounts as hex).
#[derive(Serialize, Deserialize)]
pub(crate) struct MetaFile {
	size: u64,
	created: u64,
	#[serde(default)]
	needed: u64,
	charged_to: String,
	owners: Vec<String>,
	public: bool,
	readers: Vec<String>,
	#[serde(default)]
	output_of: Vec<u64>,
	/// The BLAKE3 chunk hashes, in hex, one after another.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	chunks: Option<String>,
}

use crate::auth::parse_account;

impl MetaFile {
	/// A metadata record's bytes.
	pub(crate) fn render(meta: &BlobMeta) -> io::Result<Vec<u8>> {
		serde_json::to_vec_pretty(&Self::from_meta(meta)).map_err(io::Error::other)
	}

	/// The metadata in a record's bytes; `None` if they are not one.
	pub(crate) fn parse(bytes: &[u8]) -> Option<BlobMeta> {
		serde_json::from_slice::<Self>(bytes).ok().and_then(Self::into_meta)
	}

	fn from_meta(meta: &BlobMeta) -> Self {
		Self {
			size: meta.size,
			created: meta.created,
			needed: meta.needed,
			charged_to: hex::encode(meta.charged_to),
			owners: meta.owners.iter().map(hex::encode).collect(),
			public: meta.access.public,
			readers: meta.access.readers.iter().map(hex::encode).collect(),
			output_of: meta.output_of.clone(),
			chunks: meta.chunks.as_deref().map(Manifest::chunks_hex),
		}
	}

	fn into_meta(self) -> Option<BlobMeta> {
		Some(BlobMeta {
			size: self.size,
			created: self.created,
			needed: self.needed,
			charged_to: parse_account(&self.charged_to)?,
			owners: self.owners.iter().map(|a| parse_account(a)).collect::<Option<_>>()?,
			access: Access {
				public: self.public,
				readers: self.readers.iter().map(|a| parse_account(a)).collect::<Option<_>>()?,
			},
			output_of: self.output_of.into_iter().take(MAX_OUTPUT_TAGS).collect(),
			chunks: match &self.chunks {
				// A record whose list does not fit the size is not the store's.
				Some(text) => Some(Arc::new(Manifest::from_hex(self.size, text)?)),
				None => None,
			},
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn body(
		chunks: &[&[u8]],
	) -> impl futures::Stream<Item = Result<axum::body::Bytes, io::Error>> + Unpin {
		let chunks: Vec<Result<axum::body::Bytes, io::Error>> =
			chunks.iter().map(|c| Ok(axum::body::Bytes::copy_from_slice(c))).collect();
		futures::stream::iter(chunks)
	}

	const ALICE: Account = [1; 32];
	const BOB: Account = [2; 32];

	#[tokio::test]
	async fn a_stored_blob_survives_reopening_and_unfinished_uploads_do_not() {
		let dir = tempfile::tempdir().unwrap();
		let store = BlobStore::open(dir.path(), Limits::per_blob(1 << 20)).await.unwrap();
		let digest = Digest::of(b"hello world");
		store.put(digest, 11, ALICE, Access::public(), body(&[b"hello ", b"world"])).await.unwrap();
		std::fs::write(dir.path().join("tmp/partial"), b"half an upload").unwrap();
		drop(store);
		let store = BlobStore::open(dir.path(), Limits::per_blob(1 << 20)).await.unwrap();
		assert_eq!(std::fs::read(store.local_path(&digest).unwrap()).unwrap(), b"hello world");
		assert_eq!(store.usage(&ALICE), 11);
		assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
	}

	#[tokio::test]
	async fn wrong_bytes_or_sizes_leave_nothing_behind() {
		let dir = tempfile::tempdir().unwrap();
		let store = BlobStore::open(dir.path(), Limits::per_blob(1 << 20)).await.unwrap();
		let digest = Digest::of(b"genuine");
		let error = store.put(digest, 6, ALICE, Access::public(), body(&[b"forged"])).await;
		assert!(matches!(error, Err(StoreError::DigestMismatch { .. })), "{error:?}");
		let error = store.put(digest, 3, ALICE, Access::public(), body(&[b"genuine"])).await;
		assert!(matches!(error, Err(StoreError::SizeMismatch { received: 7, .. })), "{error:?}");
		let error = store.put(digest, 9, ALICE, Access::public(), body(&[b"genuine"])).await;
		assert!(matches!(error, Err(StoreError::SizeMismatch { received: 7, .. })), "{error:?}");
		assert_eq!(store.usage(&ALICE), 0);
		assert_eq!(store.totals(), (0, 0));
		assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
	}

	#[tokio::test]
	async fn quotas_count_the_first_uploader_once_and_refuse_before_reading() {
		let dir = tempfile::tempdir().unwrap();
		let limits = Limits { max_blob_bytes: 100, quota_per_account: 10, max_total_bytes: 15 };
		let store = BlobStore::open(dir.path(), limits).await.unwrap();
		let eight = vec![8u8; 8];
		let digest = Digest::of(&eight);
		store.put(digest, 8, ALICE, Access::private(vec![]), body(&[&eight])).await.unwrap();
		// The same bytes again cost nothing, for Alice or for Bob.
		store.put(digest, 8, ALICE, Access::private(vec![]), body(&[&eight])).await.unwrap();
		let meta =
			store.put(digest, 8, BOB, Access::private(vec![]), body(&[&eight])).await.unwrap();
		assert_eq!(meta.owners, vec![ALICE, BOB]);
		assert_eq!((store.usage(&ALICE), store.usage(&BOB)), (8, 0));
		let three = Digest::of(&[3; 3]);
		let error = store.put(three, 3, ALICE, Access::public(), body(&[&[3; 3]])).await;
		assert!(matches!(error, Err(StoreError::QuotaExceeded { used: 8, .. })), "{error:?}");
		let nine = Digest::of(&[9; 9]);
		let error = store.put(nine, 9, BOB, Access::public(), body(&[&[9; 9]])).await;
		assert!(matches!(error, Err(StoreError::StoreFull { used: 8, .. })), "{error:?}");
		let error = store.put(nine, 101, BOB, Access::public(), body(&[])).await;
		assert!(matches!(error, Err(StoreError::TooLarge { .. })), "{error:?}");
	}

	#[tokio::test]
	async fn access_only_grows() {
		let dir = tempfile::tempdir().unwrap();
		let store = BlobStore::open(dir.path(), Limits::per_blob(100)).await.unwrap();
		let digest = Digest::of(b"x");
		let meta =
			store.put(digest, 1, ALICE, Access::private(vec![BOB]), body(&[b"x"])).await.unwrap();
		assert!(meta.readable_by(&BOB) && !meta.readable_by(&[3; 32]));
		// Alice uploading again with no readers does not remove Bob.
		let meta =
			store.put(digest, 1, ALICE, Access::private(vec![]), body(&[b"x"])).await.unwrap();
		assert_eq!(meta.access.readers, vec![BOB]);
		let meta = store.put(digest, 1, [3; 32], Access::public(), body(&[b"x"])).await.unwrap();
		assert!(meta.access.public);
		drop(store);
		let store = BlobStore::open(dir.path(), Limits::per_blob(100)).await.unwrap();
		assert_eq!(store.meta(&digest), Some(meta));
	}

	#[tokio::test]
	async fn the_sweep_keeps_needed_and_recent_blobs() {
		let dir = tempfile::tempdir().unwrap();
		let store = BlobStore::open(dir.path(), Limits::per_blob(100)).await.unwrap();
		let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
		store.put(a, 1, ALICE, Access::public(), body(&[b"a"])).await.unwrap();
		store.put(b, 1, ALICE, Access::public(), body(&[b"b"])).await.unwrap();
		let now = unix_now();
		assert!(store.sweep(&HashSet::new(), now, 60).await.unwrap().is_empty());
		let needed: HashSet<Digest> = [a].into();
		assert_eq!(store.sweep(&needed, now + 61, 60).await.unwrap(), vec![b]);
		// `a` was needed at now + 61: kept for another 60 s after that.
		assert!(store.sweep(&HashSet::new(), now + 100, 60).await.unwrap().is_empty());
		assert_eq!(store.sweep(&HashSet::new(), now + 122, 60).await.unwrap(), vec![a]);
		assert_eq!(store.totals(), (0, 0));
		assert_eq!(store.usage(&ALICE), 0);
	}
}
