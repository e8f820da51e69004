//! Where a store's bytes live: a directory on this machine ([`Disk`]) or
//! an S3-compatible object store ([`crate::s3::S3`]).
//!
//! A backend only moves bytes and metadata records; the [`crate::BlobStore`]
//! above it checks digests, sizes, quotas and access, and keeps the index.
//! Every backend gives the same guarantee: an upload becomes visible in
//! one atomic step ([`Upload::publish`]), after its metadata record is
//! durable, so a crash leaves whole blobs or none, and [`Backend::load`]
//! drops whatever a crash left half done.

use std::io;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use futures::stream::BoxStream;

use crate::store::{BlobMeta, Digest, MetaFile};

/// A blob's bytes as they come off the backend.
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;

/// What [`Backend::load`] found.
#[derive(Debug, Default)]
pub struct Loaded {
	/// Every whole blob and its metadata.
	pub blobs: Vec<(Digest, BlobMeta)>,
	/// Uploads a crash interrupted, removed.
	pub unfinished: usize,
	/// Metadata without its blob (or the reverse), removed.
	pub orphans: usize,
}

/// The storage under a [`crate::BlobStore`].
#[async_trait::async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug {
	/// Removes what a crash left half done and returns every whole blob.
	async fn load(&self) -> io::Result<Loaded>;
	/// Starts receiving the bytes of `digest` (invisible until published).
	async fn begin(&self, digest: &Digest) -> io::Result<Box<dyn Upload>>;
	/// Writes `digest`'s metadata record, replacing the old one atomically.
	async fn write_meta(&self, digest: &Digest, meta: &BlobMeta) -> io::Result<()>;
	/// Removes the blob, then its metadata (a crash between the two leaves
	/// metadata without a blob, which `load` removes).
	async fn remove(&self, digest: &Digest) -> io::Result<()>;
	/// The blob's bytes from `offset` on; `None` if it is not there.
	async fn read(&self, digest: &Digest, offset: u64) -> io::Result<Option<ByteStream>>;
	/// Where the blob's bytes are on this machine's disk, for a local backend.
	fn local_path(&self, _digest: &Digest) -> Option<PathBuf> {
		None
	}
	/// A line for the logs: which backend, where.
	fn describe(&self) -> String;
}

/// One upload in progress. Dropped unpublished, it leaves nothing behind.
#[async_trait::async_trait]
pub trait Upload: Send {
	/// Appends `chunk`.
	async fn write(&mut self, chunk: Bytes) -> io::Result<()>;
	/// Makes every byte written durable (still invisible).
	async fn finish(&mut self) -> io::Result<()>;
	/// Makes the blob visible under its digest, in one atomic step.
	async fn publish(self: Box<Self>) -> io::Result<()>;
}

/// The store in a directory:
///
/// ```text
/// <dir>/blobs/<2 hex>/<64 hex>        the bytes of one blob
/// <dir>/meta/<2 hex>/<64 hex>.json    who may read it, who uploaded it, when
/// <dir>/tmp/                          uploads in progress
/// ```
///
/// An upload streams into a fresh file under `tmp/`, is synced, and is
/// renamed into `blobs/` after its metadata is written (to a temporary name,
/// synced, renamed). A rename is atomic.
#[derive(Debug, Clone)]
pub struct Disk {
	dir: PathBuf,
}

impl Disk {
	/// The store in `dir` (created if needed).
	pub fn new(dir: impl Into<PathBuf>) -> io::Result<Self> {
		let dir = dir.into();
		for sub in ["blobs", "meta", "tmp"] {
			std::fs::create_dir_all(dir.join(sub))?;
		}
		Ok(Self { dir })
	}

	/// The directory it lives in.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	fn blob_path(&self, digest: &Digest) -> PathBuf {
		self.dir.join("blobs").join(shard(digest)).join(digest.to_hex())
	}

	fn meta_path(&self, digest: &Digest) -> PathBuf {
		self.dir.join("meta").join(shard(digest)).join(format!("{}.json", digest.to_hex()))
	}

	fn load_blocking(&self) -> io::Result<Loaded> {
		let mut loaded = Loaded::default();
		for entry in std::fs::read_dir(self.dir.join("tmp"))? {
			std::fs::remove_file(entry?.path())?;
			loaded.unfinished += 1;
		}
		for shard in std::fs::read_dir(self.dir.join("meta"))? {
			let shard = shard?;
			if !shard.file_type()?.is_dir() {
				continue;
			}
			for entry in std::fs::read_dir(shard.path())? {
				let path = entry?.path();
				let Some(digest) = path
					.file_name()
					.and_then(|n| n.to_str())
					.and_then(|n| n.strip_suffix(".json"))
					.and_then(Digest::from_hex)
				else {
					// A metadata write that never got renamed into place.
					std::fs::remove_file(&path)?;
					continue;
				};
				let data = self.blob_path(&digest);
				let meta = std::fs::read(&path).ok().and_then(|bytes| MetaFile::parse(&bytes));
				match (meta, std::fs::metadata(&data)) {
					(Some(meta), Ok(file)) if file.len() == meta.size => {
						loaded.blobs.push((digest, meta))
					},
					_ => {
						std::fs::remove_file(&path)?;
						let _ = std::fs::remove_file(&data);
						loaded.orphans += 1;
					},
				}
			}
		}
		Ok(loaded)
	}

	fn write_meta_blocking(&self, digest: &Digest, bytes: &[u8]) -> io::Result<()> {
		let path = self.meta_path(digest);
		let parent = path.parent().unwrap_or(&self.dir);
		std::fs::create_dir_all(parent)?;
		std::fs::create_dir_all(self.blob_path(digest).parent().unwrap_or(&self.dir))?;
		let temp = parent.join(format!("{}.{}", digest.to_hex(), temp_suffix()));
		{
			use std::io::Write;
			let mut file = std::fs::File::create(&temp)?;
			file.write_all(bytes)?;
			file.sync_all()?;
		}
		std::fs::rename(&temp, &path)?;
		sync_dir(parent);
		Ok(())
	}
}

async fn blocking<T: Send + 'static>(
	work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
	tokio::task::spawn_blocking(work).await.map_err(io::Error::other)?
}

#[async_trait::async_trait]
impl Backend for Disk {
	async fn load(&self) -> io::Result<Loaded> {
		let disk = self.clone();
		blocking(move || disk.load_blocking()).await
	}

	async fn begin(&self, digest: &Digest) -> io::Result<Box<dyn Upload>> {
		let temp = self.dir.join("tmp").join(format!("{}-{}", digest.to_hex(), temp_suffix()));
		let file = tokio::fs::File::create(&temp).await?;
		Ok(Box::new(DiskUpload {
			// Buffered: one blocking-pool hop per MiB, not per network chunk.
			file: Some(tokio::io::BufWriter::with_capacity(crate::store::WRITE_BUFFER, file)),
			temp: Some(temp),
			target: self.blob_path(digest),
		}))
	}

	async fn write_meta(&self, digest: &Digest, meta: &BlobMeta) -> io::Result<()> {
		let bytes = MetaFile::render(meta)?;
		let (disk, digest) = (self.clone(), *digest);
		blocking(move || disk.write_meta_blocking(&digest, &bytes)).await
	}

	async fn remove(&self, digest: &Digest) -> io::Result<()> {
		let (blob, meta) = (self.blob_path(digest), self.meta_path(digest));
		blocking(move || {
			match std::fs::remove_file(blob) {
				Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
				_ => {},
			}
			let _ = std::fs::remove_file(meta);
			Ok(())
		})
		.await
	}

	async fn read(&self, digest: &Digest, offset: u64) -> io::Result<Option<ByteStream>> {
		use tokio::io::AsyncSeekExt;
		let mut file = match tokio::fs::File::open(self.blob_path(digest)).await {
			Ok(file) => file,
			Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
			Err(error) => return Err(error),
		};
		if offset > 0 {
			file.seek(io::SeekFrom::Start(offset)).await?;
		}
		Ok(Some(Box::pin(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024))))
	}

	fn local_path(&self, digest: &Digest) -> Option<PathBuf> {
		Some(self.blob_path(digest))
	}

	fn describe(&self) -> String {
		format!("disk at {}", self.dir.display())
	}
}

struct DiskUpload {
	file: Option<tokio::io::BufWriter<tokio::fs::File>>,
	temp: Option<PathBuf>,
	target: PathBuf,
}

#[async_trait::async_trait]
impl Upload for DiskUpload {
	async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
		use tokio::io::AsyncWriteExt;
		match &mut self.file {
			Some(file) => file.write_all(&chunk).await,
			None => Err(io::Error::other("the upload was already finished")),
		}
	}

	async fn finish(&mut self) -> io::Result<()> {
		use tokio::io::AsyncWriteExt;
		if let Some(mut file) = self.file.take() {
			file.flush().await?;
			file.into_inner().sync_all().await?;
		}
		Ok(())
	}

	async fn publish(mut self: Box<Self>) -> io::Result<()> {
		self.finish().await?;
		let temp = self.temp.take().ok_or_else(|| io::Error::other("no upload file"))?;
		let target = self.target.clone();
		blocking(move || {
			if let Err(error) = std::fs::rename(&temp, &target) {
				let _ = std::fs::remove_file(&temp);
				return Err(error);
			}
			if let Some(parent) = target.parent() {
				sync_dir(parent);
			}
			Ok(())
		})
		.await
	}
}

impl Drop for DiskUpload {
	fn drop(&mut self) {
		if let Some(temp) = self.temp.take() {
			let _ = std::fs::remove_file(temp);
		}
	}
}

pub(crate) fn temp_suffix() -> String {
	use std::sync::atomic::{AtomicU64, Ordering};
	static NEXT: AtomicU64 = AtomicU64::new(0);
	format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The first byte of the digest in hex: 256 directories (or key prefixes).
pub(crate) fn shard(digest: &Digest) -> String {
	hex::encode(&digest.0[..1])
}

fn sync_dir(dir: &Path) {
	// Makes the rename durable; not all platforms can open a directory.
	if let Ok(dir) = std::fs::File::open(dir) {
		let _ = dir.sync_all();
	}
}
