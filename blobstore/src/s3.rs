//! The store on an S3-compatible object store (AWS S3, Ceph RGW, MinIO,
//! Garage, s3s-fs…), through the `object_store` crate.
//!
//! ```text
//! <prefix>/blobs/<2 hex>/<64 hex>        the bytes of one blob
//! <prefix>/meta/<2 hex>/<64 hex>.json    its metadata record
//! ```
//!
//! An upload streams as a multipart upload (8 MiB parts, at most four in
//! flight, so a store process holds about 40 MiB per upload whatever the
//! blob's size) to the blob's final key. S3 shows nothing of a multipart
//! upload until it is completed, and completing it is atomic: that is
//! [`Upload::publish`], called after the metadata record is written. An
//! upload that fails or is refused is aborted. One the store's process did
//! not live to abort (a crash) stays invisible and is not charged to
//! anyone; S3 keeps its parts until a lifecycle rule
//! (`AbortIncompleteMultipartUpload`) removes them, and docs/DATA.md says to
//! set one.

use std::io;
use std::sync::Arc;

use axum::body::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};

use crate::backend::{shard, Backend, ByteStream, Loaded, Upload};
use crate::store::{BlobMeta, Digest, MetaFile};

/// Multipart part size: S3 wants at least 5 MiB for all but the last.
const PART_BYTES: usize = 8 << 20;
/// Parts uploading at once per blob.
const PARTS_IN_FLIGHT: usize = 4;

/// Where the bucket is and how to sign for it.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
	/// `http(s)://host:port` of the S3 API; `None` for AWS itself.
	pub endpoint: Option<String>,
	/// The bucket (it must exist).
	pub bucket: String,
	/// The region (`us-east-1` where the server does not care).
	pub region: String,
	/// Key prefix inside the bucket (`""` for the bucket's root).
	pub prefix: String,
	/// Credentials; `None` reads `AWS_ACCESS_KEY_ID` and
	/// `AWS_SECRET_ACCESS_KEY` (and the rest of the AWS environment).
	pub credentials: Option<(String, String)>,
}

/// The store in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3 {
	store: Arc<dyn ObjectStore>,
	prefix: String,
	describe: String,
}

impl S3 {
	/// Connects to the bucket `config` names (nothing is sent yet).
	pub fn new(config: &S3Config) -> io::Result<Self> {
		let mut builder = object_store::aws::AmazonS3Builder::from_env()
			.with_bucket_name(&config.bucket)
			.with_region(&config.region);
		if let Some(endpoint) = &config.endpoint {
			builder = builder
				.with_endpoint(endpoint)
				.with_allow_http(endpoint.starts_with("http://"))
				.with_virtual_hosted_style_request(false);
		}
		if let Some((key, secret)) = &config.credentials {
			builder = builder.with_access_key_id(key).with_secret_access_key(secret);
		}
		let store = builder.build().map_err(to_io)?;
		let prefix = config.prefix.trim_matches('/').to_string();
		let describe = format!(
			"S3 bucket {} at {}{}",
			config.bucket,
			config.endpoint.as_deref().unwrap_or("AWS"),
			if prefix.is_empty() { String::new() } else { format!(", prefix {prefix}/") }
		);
		Ok(Self { store: Arc::new(store), prefix, describe })
	}

	/// The object store underneath (tests use it to tamper with a blob).
	pub fn object_store(&self) -> Arc<dyn ObjectStore> {
		self.store.clone()
	}

	fn key(&self, rest: String) -> Key {
		if self.prefix.is_empty() {
			Key::from(rest)
		} else {
			Key::from(format!("{}/{rest}", self.prefix))
		}
	}

	/// The key holding the blob's bytes.
	pub fn blob_key(&self, digest: &Digest) -> Key {
		self.key(format!("blobs/{}/{}", shard(digest), digest.to_hex()))
	}

	fn meta_key(&self, digest: &Digest) -> Key {
		self.key(format!("meta/{}/{}.json", shard(digest), digest.to_hex()))
	}

	/// `(digest, size)` of every object under `dir`, whose last path part
	/// (less `suffix`) is a digest; other keys are returned as strays.
	async fn list(&self, dir: &str, suffix: &str) -> io::Result<(Vec<(Digest, u64)>, Vec<Key>)> {
		let mut objects = self.store.list(Some(&self.key(dir.to_string())));
		let (mut found, mut strays) = (Vec::new(), Vec::new());
		while let Some(object) = objects.try_next().await.map_err(to_io)? {
			let digest = object
				.location
				.filename()
				.and_then(|name| name.strip_suffix(suffix))
				.and_then(Digest::from_hex);
			match digest {
				Some(digest) => found.push((digest, object.size)),
				None => strays.push(object.location),
			}
		}
		Ok((found, strays))
	}

	/// The digests of every blob object in the bucket, with or without a
	/// metadata record (what an operator or a test sees behind the store).
	pub async fn blob_objects(&self) -> io::Result<Vec<Digest>> {
		Ok(self.list("blobs", "").await?.0.into_iter().map(|(digest, _)| digest).collect())
	}

	async fn delete(&self, key: &Key) -> io::Result<()> {
		match self.store.delete(key).await {
			Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
			Err(error) => Err(to_io(error)),
		}
	}
}

fn to_io(error: object_store::Error) -> io::Error {
	match error {
		object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, error),
		error => io::Error::other(error),
	}
}

#[async_trait::async_trait]
impl Backend for S3 {
	async fn load(&self) -> io::Result<Loaded> {
		let (metas, meta_strays) = self.list("meta", ".json").await?;
		let (blobs, blob_strays) = self.list("blobs", "").await?;
		let sizes: std::collections::HashMap<Digest, u64> = blobs.into_iter().collect();
		let mut loaded = Loaded::default();
		let mut described = std::collections::HashSet::new();
		for (digest, _) in metas {
			let record = match self.store.get(&self.meta_key(&digest)).await {
				Ok(got) => got.bytes().await.ok().and_then(|bytes| MetaFile::parse(&bytes)),
				Err(object_store::Error::NotFound { .. }) => continue,
				Err(error) => return Err(to_io(error)),
			};
			match (record, sizes.get(&digest)) {
				(Some(meta), Some(&size)) if size == meta.size => {
					described.insert(digest);
					loaded.blobs.push((digest, meta));
				},
				_ => {
					self.remove(&digest).await?;
					loaded.orphans += 1;
				},
			}
		}
		// Bytes without a record: the blob of a record a crash left
		// unwritten, or a stray object. Not the store's: removed.
		for digest in sizes.keys().filter(|digest| !described.contains(digest)) {
			self.delete(&self.blob_key(digest)).await?;
			loaded.unfinished += 1;
		}
		for key in meta_strays.iter().chain(&blob_strays) {
			self.delete(key).await?;
			loaded.orphans += 1;
		}
		Ok(loaded)
	}

	async fn begin(&self, digest: &Digest) -> io::Result<Box<dyn Upload>> {
		let upload = self.store.put_multipart(&self.blob_key(digest)).await.map_err(to_io)?;
		Ok(Box::new(S3Upload {
			writer: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
		}))
	}

	async fn write_meta(&self, digest: &Digest, meta: &BlobMeta) -> io::Result<()> {
		let bytes = MetaFile::render(meta)?;
		// A single PUT replaces an object atomically.
		self.store
			.put(&self.meta_key(digest), PutPayload::from(bytes))
			.await
			.map(|_| ())
			.map_err(to_io)
	}

	async fn remove(&self, digest: &Digest) -> io::Result<()> {
		self.delete(&self.blob_key(digest)).await?;
		self.delete(&self.meta_key(digest)).await
	}

	async fn read(&self, digest: &Digest, offset: u64) -> io::Result<Option<ByteStream>> {
		let options = GetOptions {
			range: (offset > 0).then_some(GetRange::Offset(offset)),
			..GetOptions::default()
		};
		match self.store.get_opts(&self.blob_key(digest), options).await {
			Ok(got) => Ok(Some(got.into_stream().map_err(to_io).boxed())),
			Err(object_store::Error::NotFound { .. }) => Ok(None),
			Err(error) => Err(to_io(error)),
		}
	}

	fn describe(&self) -> String {
		self.describe.clone()
	}
}

struct S3Upload {
	writer: Option<WriteMultipart>,
}

#[async_trait::async_trait]
impl Upload for S3Upload {
	async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
		let writer =
			self.writer.as_mut().ok_or_else(|| io::Error::other("the upload was published"))?;
		// Back-pressure: at most PARTS_IN_FLIGHT parts uploading.
		writer.wait_for_capacity(PARTS_IN_FLIGHT).await.map_err(to_io)?;
		writer.put(chunk);
		Ok(())
	}

	async fn finish(&mut self) -> io::Result<()> {
		// The parts are durable in S3 once uploaded; completing the upload
		// (publishing) sends the last one.
		Ok(())
	}

	async fn publish(mut self: Box<Self>) -> io::Result<()> {
		let writer = self.writer.take().ok_or_else(|| io::Error::other("published twice"))?;
		writer.finish().await.map(|_| ()).map_err(to_io)
	}
}

impl Drop for S3Upload {
	fn drop(&mut self) {
		if let Some(writer) = self.writer.take() {
			// Refused or failed: abort so that S3 drops the parts.
			if let Ok(runtime) = tokio::runtime::Handle::try_current() {
				runtime.spawn(async move {
					if let Err(error) = writer.abort().await {
						tracing::debug!(%error, "aborting a multipart upload failed");
					}
				});
			}
		}
	}
}

/// A local S3-compatible server, `s3s-fs` (the `s3s` project's file-backed
/// server, installed by `scripts/setup.sh`), run as a child process for the
/// tests and the benchmark. Killed when dropped.
#[derive(Debug)]
pub struct LocalS3 {
	child: std::process::Child,
	endpoint: String,
	_root: Option<tempfile::TempDir>,
}

/// The credentials a [`LocalS3`] accepts.
pub const LOCAL_S3_KEYS: (&str, &str) = ("hypha-test", "hypha-test-secret");

impl LocalS3 {
	/// Where the `s3s-fs` binary is: `$HYPHA_S3S_FS`, else where
	/// `scripts/setup.sh` installs it, else `s3s-fs` on the `PATH`.
	pub fn binary() -> std::path::PathBuf {
		if let Some(path) = std::env::var_os("HYPHA_S3S_FS") {
			return path.into();
		}
		if let Some(home) = std::env::var_os("HOME") {
			let installed = std::path::Path::new(&home).join(".cache/hypha-tools/bin/s3s-fs");
			if installed.exists() {
				return installed;
			}
		}
		"s3s-fs".into()
	}

	/// Starts a server on a free loopback port over a fresh temporary
	/// directory, with one bucket, `bucket`; returns once it answers.
	pub async fn start(bucket: &str) -> io::Result<Self> {
		let root = tempfile::tempdir()?;
		let mut server = Self::start_in(root.path(), bucket).await?;
		server._root = Some(root);
		Ok(server)
	}

	/// Starts a server over `root` (kept when the server goes), with the
	/// bucket `bucket` (created if missing).
	pub async fn start_in(root: &std::path::Path, bucket: &str) -> io::Result<Self> {
		std::fs::create_dir_all(root.join(bucket))?;
		let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
		let binary = Self::binary();
		let child = std::process::Command::new(&binary)
			.args(["--host", "127.0.0.1", "--port", &port.to_string()])
			.args(["--access-key", LOCAL_S3_KEYS.0, "--secret-key", LOCAL_S3_KEYS.1])
			.arg(root)
			.stdout(std::process::Stdio::null())
			.stderr(std::process::Stdio::null())
			.spawn()
			.map_err(|error| {
				io::Error::new(
					error.kind(),
					format!(
						"could not start the S3 test server {} ({error}); `bash scripts/setup.sh` installs it",
						binary.display()
					),
				)
			})?;
		let mut server = Self { child, endpoint: format!("http://127.0.0.1:{port}"), _root: None };
		for _ in 0..200 {
			if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
				return Ok(server);
			}
			if let Some(status) = server.child.try_wait()? {
				return Err(io::Error::other(format!("s3s-fs exited at start: {status}")));
			}
			tokio::time::sleep(std::time::Duration::from_millis(50)).await;
		}
		Err(io::Error::new(io::ErrorKind::TimedOut, "s3s-fs did not listen within 10 s"))
	}

	/// `http://127.0.0.1:port`.
	pub fn endpoint(&self) -> &str {
		&self.endpoint
	}

	/// How to reach `bucket` on it, under `prefix`.
	pub fn config(&self, bucket: &str, prefix: &str) -> S3Config {
		S3Config {
			endpoint: Some(self.endpoint.clone()),
			bucket: bucket.to_string(),
			region: "us-east-1".to_string(),
			prefix: prefix.to_string(),
			credentials: Some((LOCAL_S3_KEYS.0.to_string(), LOCAL_S3_KEYS.1.to_string())),
		}
	}
}

impl Drop for LocalS3 {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}
