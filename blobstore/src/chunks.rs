//! Verified streaming: a blob's BLAKE3 chunk hashes, so that a download is
//! checked MiB by MiB as it arrives.
//!
//! The chain names a blob by its blake2-256 digest, and that is what every
//! party checks in the end (the whole blob hashes to the digest the job
//! declares). A digest of the whole can only be checked once the last byte
//! is in: a store that serves 3 GiB with one bad byte at the start would
//! cost the reader all 3 GiB before it is caught. So a blob also has a
//! **chunk manifest**: its size and the BLAKE3 hash of each [`CHUNK_BYTES`]
//! chunk (the last may be shorter), 32 bytes per MiB. Its **root** is the
//! BLAKE3 hash (in `derive_key` mode, context [`ROOT_CONTEXT`]) of the
//! manifest's bytes. The uploader computes the root from its own bytes and
//! writes it into the blob's URI (`…/blobs/<digest>?b3=<root>`), which the
//! client signs into the job on chain; the store computes the manifest as the
//! upload arrives and serves it at `GET /blobs/<digest>/chunks`.
//!
//! A reader with a root fetches the manifest (refused unless it hashes to
//! the root), then checks each chunk as it completes: a bad byte stops the
//! download at the end of its chunk, and a download that broke off resumes
//! from the last whole chunk that checked. The blake2 digest is still
//! checked at the end; a manifest only makes a bad store fail early. A
//! root that does not belong to the blob's bytes (a client's mistake)
//! fails the download, exactly as a wrong digest would.

use crate::store::Digest;

/// Bytes per chunk.
pub const CHUNK_BYTES: u64 = 1 << 20;

/// The BLAKE3 `derive_key` context of a manifest's root.
pub const ROOT_CONTEXT: &str = "hypha blob chunk manifest v1";

/// Most chunks a manifest may list (a 64 GiB blob).
pub const MAX_CHUNKS: u64 = 1 << 16;

/// A blob's size and chunk hashes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
	/// The blob's size in bytes.
	pub size: u64,
	/// BLAKE3 of each chunk, in order.
	pub chunks: Vec<[u8; 32]>,
}

/// Why a manifest or a chunk did not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
	/// The manifest's bytes are not a manifest.
	#[error("the chunk manifest is malformed: {0}")]
	Malformed(&'static str),
	/// The manifest does not hash to the root the URI names.
	#[error("the chunk manifest hashes to {actual}, the blob's URI names {expected}")]
	WrongRoot {
		/// Named.
		expected: Digest,
		/// Served.
		actual: Digest,
	},
	/// A chunk's bytes are not what the manifest says.
	#[error("chunk {index} (bytes {offset}..) does not match the blob's chunk manifest")]
	BadChunk {
		/// Its index.
		index: u64,
		/// Its first byte.
		offset: u64,
	},
	/// More or fewer bytes than the manifest's size.
	#[error("the manifest says {expected} bytes, the store sent {actual}")]
	WrongSize {
		/// Per the manifest.
		expected: u64,
		/// Received (so far, if more).
		actual: u64,
	},
}

impl Manifest {
	/// The manifest of `bytes`.
	pub fn of(bytes: &[u8]) -> Self {
		let mut builder = Builder::default();
		builder.update(bytes);
		builder.finish()
	}

	/// The manifest of the file at `path`, read a chunk at a time.
	pub async fn of_file(path: &std::path::Path) -> std::io::Result<Self> {
		use tokio::io::AsyncReadExt;
		let mut file = tokio::fs::File::open(path).await?;
		let mut builder = Builder::default();
		let mut buffer = vec![0u8; CHUNK_BYTES as usize];
		loop {
			let read = file.read(&mut buffer).await?;
			if read == 0 {
				return Ok(builder.finish());
			}
			builder.update(&buffer[..read]);
		}
	}

	/// How many chunks a blob of `size` bytes has.
	pub fn chunk_count(size: u64) -> u64 {
		size.div_ceil(CHUNK_BYTES)
	}

	/// Its wire form: size and chunk size (u64 little-endian each), then
	/// the chunk hashes.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = Vec::with_capacity(16 + 32 * self.chunks.len());
		out.extend_from_slice(&self.size.to_le_bytes());
		out.extend_from_slice(&CHUNK_BYTES.to_le_bytes());
		for chunk in &self.chunks {
			out.extend_from_slice(chunk);
		}
		out
	}

	/// Parses the wire form, refusing anything inconsistent.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChunkError> {
		if bytes.len() < 16 || !(bytes.len() - 16).is_multiple_of(32) {
			return Err(ChunkError::Malformed("its length is not 16 + 32 × chunks"));
		}
		let word = |at: usize| {
			let mut le = [0u8; 8];
			le.copy_from_slice(&bytes[at..at + 8]);
			u64::from_le_bytes(le)
		};
		let (size, chunk_bytes) = (word(0), word(8));
		if chunk_bytes != CHUNK_BYTES {
			return Err(ChunkError::Malformed("its chunk size is not 1 MiB"));
		}
		let count = ((bytes.len() - 16) / 32) as u64;
		if count != Self::chunk_count(size) || count > MAX_CHUNKS {
			return Err(ChunkError::Malformed("its chunk count does not fit its size"));
		}
		let chunks = bytes[16..]
			.chunks_exact(32)
			.map(|hash| {
				let mut out = [0u8; 32];
				out.copy_from_slice(hash);
				out
			})
			.collect();
		Ok(Self { size, chunks })
	}

	/// The root a blob's URI names.
	pub fn root(&self) -> Digest {
		Digest(blake3::derive_key(ROOT_CONTEXT, &self.to_bytes()))
	}

	/// Parses `bytes` and checks that they hash to `root`.
	pub fn verified(bytes: &[u8], root: &Digest) -> Result<Self, ChunkError> {
		let actual = Digest(blake3::derive_key(ROOT_CONTEXT, bytes));
		if actual != *root {
			return Err(ChunkError::WrongRoot { expected: *root, actual });
		}
		Self::from_bytes(bytes)
	}

	/// The hex chunk list of a metadata record.
	pub(crate) fn chunks_hex(&self) -> String {
		self.chunks.iter().map(hex::encode).collect()
	}

	/// The manifest of a blob of `size` from a metadata record's hex list.
	pub(crate) fn from_hex(size: u64, text: &str) -> Option<Self> {
		let bytes = hex::decode(text).ok()?;
		let mut wire = Vec::with_capacity(16 + bytes.len());
		wire.extend_from_slice(&size.to_le_bytes());
		wire.extend_from_slice(&CHUNK_BYTES.to_le_bytes());
		wire.extend_from_slice(&bytes);
		Self::from_bytes(&wire).ok()
	}
}

/// Computes a manifest from bytes as they arrive, in pieces of any size.
#[derive(Debug, Default)]
pub struct Builder {
	hasher: blake3::Hasher,
	in_chunk: u64,
	manifest: Manifest,
}

impl Builder {
	/// Feeds the next bytes.
	pub fn update(&mut self, mut bytes: &[u8]) {
		while !bytes.is_empty() {
			let take = (CHUNK_BYTES - self.in_chunk).min(bytes.len() as u64) as usize;
			self.hasher.update(&bytes[..take]);
			self.in_chunk += take as u64;
			self.manifest.size += take as u64;
			bytes = &bytes[take..];
			if self.in_chunk == CHUNK_BYTES {
				self.close_chunk();
			}
		}
	}

	fn close_chunk(&mut self) {
		self.manifest.chunks.push(*self.hasher.finalize().as_bytes());
		self.hasher.reset();
		self.in_chunk = 0;
	}

	/// The manifest of everything fed.
	pub fn finish(mut self) -> Manifest {
		if self.in_chunk > 0 {
			self.close_chunk();
		}
		self.manifest
	}
}

/// Checks a download against a manifest, chunk by chunk, from a chunk
/// boundary on.
#[derive(Debug)]
pub struct Checker {
	manifest: Manifest,
	hasher: blake3::Hasher,
	/// Bytes checked or being checked: the next byte's offset.
	offset: u64,
	/// Where the chunk in progress starts.
	chunk_start: u64,
}

impl Checker {
	/// A checker for bytes from `offset`, which must be a chunk boundary
	/// (see [`Self::boundary_at_or_before`]).
	pub fn new(manifest: Manifest, offset: u64) -> Self {
		debug_assert_eq!(offset % CHUNK_BYTES, 0);
		Self { manifest, hasher: blake3::Hasher::new(), offset, chunk_start: offset }
	}

	/// The last chunk boundary at or before `offset`.
	pub fn boundary_at_or_before(offset: u64) -> u64 {
		offset - offset % CHUNK_BYTES
	}

	/// The manifest it checks against.
	pub fn manifest(&self) -> &Manifest {
		&self.manifest
	}

	/// Where the bytes checked whole end (a chunk boundary, or the size).
	pub fn verified_until(&self) -> u64 {
		self.chunk_start
	}

	/// Feeds the next bytes; an error names the first chunk that does not
	/// match (nothing after it should be used or kept).
	pub fn update(&mut self, mut bytes: &[u8]) -> Result<(), ChunkError> {
		if self.offset.saturating_add(bytes.len() as u64) > self.manifest.size {
			return Err(ChunkError::WrongSize {
				expected: self.manifest.size,
				actual: self.offset.saturating_add(bytes.len() as u64),
			});
		}
		while !bytes.is_empty() {
			let chunk_end = (self.chunk_start + CHUNK_BYTES).min(self.manifest.size);
			let take = (chunk_end - self.offset).min(bytes.len() as u64) as usize;
			self.hasher.update(&bytes[..take]);
			self.offset += take as u64;
			bytes = &bytes[take..];
			if self.offset == chunk_end {
				self.close_chunk()?;
			}
		}
		Ok(())
	}

	fn close_chunk(&mut self) -> Result<(), ChunkError> {
		let index = self.chunk_start / CHUNK_BYTES;
		let expected = self.manifest.chunks.get(index as usize);
		if expected != Some(self.hasher.finalize().as_bytes()) {
			return Err(ChunkError::BadChunk { index, offset: self.chunk_start });
		}
		self.hasher.reset();
		self.chunk_start = self.offset;
		Ok(())
	}

	/// Checks that every byte arrived.
	pub fn finish(&self) -> Result<(), ChunkError> {
		if self.offset != self.manifest.size {
			return Err(ChunkError::WrongSize {
				expected: self.manifest.size,
				actual: self.offset,
			});
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn blob(len: usize) -> Vec<u8> {
		(0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[2]).collect()
	}

	#[test]
	fn the_manifest_is_the_same_however_the_bytes_arrive() {
		let bytes = blob((3 << 20) + 17);
		let whole = Manifest::of(&bytes);
		assert_eq!(whole.chunks.len(), 4);
		let mut builder = Builder::default();
		for piece in bytes.chunks(65_537) {
			builder.update(piece);
		}
		assert_eq!(builder.finish(), whole);
		assert_eq!(Manifest::verified(&whole.to_bytes(), &whole.root()).unwrap(), whole);
		assert_eq!(Manifest::of(&[]).chunks.len(), 0);
		// Exactly one chunk: no empty chunk after it.
		assert_eq!(Manifest::of(&blob(1 << 20)).chunks.len(), 1);
	}

	#[test]
	fn a_flipped_byte_is_caught_in_its_chunk_and_the_chunks_before_it_stand() {
		let mut bytes = blob((5 << 20) + 3);
		let manifest = Manifest::of(&bytes);
		bytes[(2 << 20) + 1234] ^= 0x10;
		let mut checker = Checker::new(manifest.clone(), 0);
		let mut error = None;
		for piece in bytes.chunks(300_000) {
			if let Err(e) = checker.update(piece) {
				error = Some(e);
				break;
			}
		}
		assert_eq!(error, Some(ChunkError::BadChunk { index: 2, offset: 2 << 20 }));
		assert_eq!(checker.verified_until(), 2 << 20);
		// Resuming from the last good boundary with the right bytes passes.
		bytes[(2 << 20) + 1234] ^= 0x10;
		let mut resumed = Checker::new(manifest, 2 << 20);
		resumed.update(&bytes[2 << 20..]).unwrap();
		resumed.finish().unwrap();
	}

	#[test]
	fn manifests_that_do_not_fit_their_root_or_size_are_refused() {
		let manifest = Manifest::of(&blob(3 << 20));
		let mut wire = manifest.to_bytes();
		assert!(matches!(
			Manifest::verified(&wire, &Digest([0; 32])),
			Err(ChunkError::WrongRoot { .. })
		));
		wire[0] ^= 1; // the size no longer fits the chunk count
		assert!(matches!(Manifest::from_bytes(&wire), Err(ChunkError::Malformed(_))));
		assert!(matches!(Manifest::from_bytes(&wire[..20]), Err(ChunkError::Malformed(_))));
		// Too many or too few bytes for the manifest's size.
		let mut checker = Checker::new(manifest.clone(), 0);
		assert!(matches!(checker.update(&blob(4 << 20)), Err(ChunkError::WrongSize { .. })));
		let mut short = Checker::new(manifest, 0);
		short.update(&blob(1 << 20)).unwrap();
		assert!(matches!(short.finish(), Err(ChunkError::WrongSize { .. })));
		let parsed = Manifest::from_hex(3 << 20, &Manifest::of(&blob(3 << 20)).chunks_hex());
		assert_eq!(parsed, Some(Manifest::of(&blob(3 << 20))));
	}
}
