//! The client: uploads blobs and fetches them, streaming, checking size and
//! digest before anything uses the bytes.
//!
//! Every request has a connect timeout and an idle timeout (no byte for
//! [`DEFAULT_TIMEOUT`]), redirects are never followed (a store that answers
//! `3xx` is an error, not a hop to another host), bodies are bounded while
//! they stream, and `https://` stores are reached over TLS (rustls, the
//! webpki roots).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use subxt_signer::sr25519;
use tokio::io::AsyncWriteExt;

use crate::auth;
use crate::chunks::{Checker, Manifest, CHUNK_BYTES};
use crate::store::{Access, Digest, Hasher};

/// How long a request may wait for the store's next byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The slowest a download may average once [`SLOW_GRACE`] has passed:
/// a store that trickles a byte now and then (a tarpit) never trips the
/// idle timeout, and would otherwise hold a worker's fetch slot forever.
pub const MIN_BYTES_PER_SECOND: u64 = 64 * 1024;

/// How long a download may run before [`MIN_BYTES_PER_SECOND`] applies.
pub const SLOW_GRACE: Duration = Duration::from_secs(30);

/// Called with (bytes done, bytes in all) as a transfer goes.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Why a fetch or upload failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
	/// The store's URL does not parse or names no host.
	#[error("`{0}` is not a blob store URL (expected http(s)://HOST:PORT)")]
	BadUrl(String),
	/// The store did not answer within the timeout.
	#[error("the store at {base} did not answer in {} s", seconds(.timeout))]
	Timeout {
		/// The store.
		base: String,
		/// The timeout.
		timeout: Duration,
	},
	/// Transport error.
	#[error("the request to the store at {base} failed: {source}")]
	Http {
		/// The store.
		base: String,
		/// The error.
		#[source]
		source: reqwest::Error,
	},
	/// The server answered with an error status.
	#[error("the store at {base} answered {status}: {message}")]
	Status {
		/// The store.
		base: String,
		/// HTTP status.
		status: u16,
		/// The server's message.
		message: String,
	},
	/// The blob is larger than the caller allows.
	#[error("the blob is {}, the bound here is {} ({size} > {limit} bytes)", human(*size), human(*limit))]
	TooLarge {
		/// Its size (as announced, or as far as it was read).
		size: u64,
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
	/// The store sends too slowly (see [`MIN_BYTES_PER_SECOND`]).
	#[error("the store at {base} sent {bytes} bytes in {seconds} s, slower than the floor of {floor} bytes/s: gave up")]
	TooSlow {
		/// The store.
		base: String,
		/// Received.
		bytes: u64,
		/// Since the request.
		seconds: u64,
		/// The floor.
		floor: u64,
	},
	/// The server's reply to an upload is not the digest of what was sent.
	#[error("the store acknowledged the upload with {0:?}, not its digest")]
	BadAcknowledgement(String),
	/// Uploads are signed; this client has no key.
	#[error("uploads must be signed: this client has no key")]
	NoSigner,
	/// The bytes do not match the blob's chunk manifest (or the manifest
	/// does not match the root the blob's URI names). The download stopped
	/// at the first bad chunk.
	#[error("the store at {base}: {source}")]
	Chunk {
		/// The store.
		base: String,
		/// What did not check.
		#[source]
		source: crate::chunks::ChunkError,
	},
	/// A local file could not be read or written.
	#[error("{path}: {source}")]
	Io {
		/// The file.
		path: String,
		/// The error.
		#[source]
		source: std::io::Error,
	},
}

fn seconds(duration: &Duration) -> String {
	if duration.subsec_millis() == 0 {
		duration.as_secs().to_string()
	} else {
		format!("{:.1}", duration.as_secs_f64())
	}
}

/// `bytes` for a person: `3.0 GiB`, `512.0 KiB`, `17 B`.
pub fn human(bytes: u64) -> String {
	const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
	if bytes < 1024 {
		return format!("{bytes} B");
	}
	let mut value = bytes as f64 / 1024.0;
	let mut unit = 0;
	while value >= 1024.0 && unit + 1 < UNITS.len() {
		value /= 1024.0;
		unit += 1;
	}
	format!("{value:.1} {}", UNITS[unit])
}

/// A client of one blob store.
#[derive(Clone)]
pub struct BlobClient {
	http: reqwest::Client,
	base_url: String,
	authority: String,
	timeout: Duration,
	/// Minimum average download rate, and how long before it applies.
	floor: (u64, Duration),
	signer: Option<sr25519::Keypair>,
}

/// Watches a download's average rate against a client's floor.
struct RateFloor {
	started: std::time::Instant,
	received: u64,
	floor: (u64, Duration),
}

impl RateFloor {
	fn new(floor: (u64, Duration)) -> Self {
		Self { started: std::time::Instant::now(), received: 0, floor }
	}

	/// Counts `bytes` more; an error once the grace is over and the average
	/// is below the floor.
	fn count(&mut self, bytes: usize, base: &str) -> Result<(), BlobError> {
		self.received += bytes as u64;
		let elapsed = self.started.elapsed();
		let (rate, grace) = self.floor;
		if elapsed > grace && (self.received as f64) < rate as f64 * elapsed.as_secs_f64() {
			return Err(BlobError::TooSlow {
				base: base.to_string(),
				bytes: self.received,
				seconds: elapsed.as_secs(),
				floor: rate,
			});
		}
		Ok(())
	}
}

impl std::fmt::Debug for BlobClient {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("BlobClient").field("base_url", &self.base_url).finish_non_exhaustive()
	}
}

/// The `host:port` of `url` (the port the scheme implies if none is given).
pub fn authority_of(url: &str) -> Option<String> {
	let parsed = reqwest::Url::parse(url).ok()?;
	let host = parsed.host_str()?;
	let port = parsed.port_or_known_default()?;
	Some(format!("{host}:{port}"))
}

impl BlobClient {
	/// A client of the store at `base_url` (e.g. `http://127.0.0.1:7300`),
	/// with [`DEFAULT_TIMEOUT`].
	pub fn new(base_url: impl Into<String>) -> Result<Self, BlobError> {
		Self::with_timeout(base_url, DEFAULT_TIMEOUT)
	}

	/// As [`Self::new`], waiting at most `timeout` for each next byte.
	pub fn with_timeout(base_url: impl Into<String>, timeout: Duration) -> Result<Self, BlobError> {
		let base_url = base_url.into().trim_end_matches('/').to_string();
		let authority =
			authority_of(&base_url).ok_or_else(|| BlobError::BadUrl(base_url.clone()))?;
		let http = reqwest::Client::builder()
			.connect_timeout(CONNECT_TIMEOUT.min(timeout))
			.read_timeout(timeout)
			.redirect(reqwest::redirect::Policy::none())
			.build()
			.map_err(|source| BlobError::Http { base: base_url.clone(), source })?;
		Ok(Self {
			http,
			base_url,
			authority,
			timeout,
			floor: (MIN_BYTES_PER_SECOND, SLOW_GRACE),
			signer: None,
		})
	}

	/// Gives up on a download averaging under `bytes_per_second` once
	/// `grace` has passed (default [`MIN_BYTES_PER_SECOND`], [`SLOW_GRACE`]).
	pub fn with_rate_floor(mut self, bytes_per_second: u64, grace: Duration) -> Self {
		self.floor = (bytes_per_second, grace);
		self
	}

	/// Signs uploads and reads with `key`.
	pub fn with_signer(mut self, key: sr25519::Keypair) -> Self {
		self.signer = Some(key);
		self
	}

	/// The store's base URL.
	pub fn base_url(&self) -> &str {
		&self.base_url
	}

	/// The URL of the blob `digest` in this store.
	pub fn blob_url(&self, digest: &Digest) -> String {
		format!("{}/blobs/{}", self.base_url, digest.to_hex())
	}

	fn transport(&self, source: reqwest::Error) -> BlobError {
		if source.is_timeout() {
			BlobError::Timeout { base: self.base_url.clone(), timeout: self.timeout }
		} else {
			BlobError::Http { base: self.base_url.clone(), source }
		}
	}

	async fn status_error(&self, response: reqwest::Response) -> BlobError {
		let status = response.status().as_u16();
		let mut message = if response.status().is_redirection() {
			"redirects are not followed".to_string()
		} else {
			response.text().await.unwrap_or_default()
		};
		message.truncate(512);
		BlobError::Status { base: self.base_url.clone(), status, message }
	}

	/// Uploads `bytes` with `access`; checks the acknowledged digest.
	pub async fn put(&self, bytes: Vec<u8>, access: &Access) -> Result<Digest, BlobError> {
		let digest = Digest::of(&bytes);
		let size = bytes.len() as u64;
		self.put_body(digest, size, access, reqwest::Body::from(bytes)).await
	}

	/// Uploads the file at `path` with `access`, streaming it (read once to
	/// hash it, once to send it); `progress` sees the bytes sent.
	pub async fn put_file(
		&self,
		path: &Path,
		access: &Access,
		progress: Option<Progress>,
	) -> Result<Digest, BlobError> {
		let io_error = |source| BlobError::Io { path: path.display().to_string(), source };
		let (digest, size) = hash_file(path).await.map_err(io_error)?;
		let file = tokio::fs::File::open(path).await.map_err(io_error)?;
		let mut sent = 0u64;
		let stream =
			tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024).map(move |chunk| {
				if let (Ok(chunk), Some(progress)) = (&chunk, &progress) {
					sent += chunk.len() as u64;
					progress(sent, size);
				}
				chunk
			});
		self.put_body(digest, size, access, reqwest::Body::wrap_stream(stream)).await
	}

	async fn put_body(
		&self,
		digest: Digest,
		size: u64,
		access: &Access,
		body: reqwest::Body,
	) -> Result<Digest, BlobError> {
		let mut request = self
			.http
			.put(self.blob_url(&digest))
			.header(reqwest::header::CONTENT_LENGTH, size)
			.header(auth::ACCESS_HEADER, if access.public { "public" } else { "private" })
			.body(body);
		if !access.readers.is_empty() {
			let list: Vec<String> = access.readers.iter().map(hex::encode).collect();
			request = request.header(auth::READERS_HEADER, list.join(","));
		}
		let response = self
			.send_signed(request, |ts| {
				auth::put_message(&self.authority, &digest, size, access, ts)
			})
			.await?;
		let text = response.text().await.map_err(|e| self.transport(e))?;
		match Digest::from_hex(text.trim()) {
			Some(acknowledged) if acknowledged == digest => Ok(digest),
			_ => Err(BlobError::BadAcknowledgement(text)),
		}
	}

	/// Sends `request` signed over `message` by this client's key; an
	/// error for a non-success status.
	async fn send_signed(
		&self,
		mut request: reqwest::RequestBuilder,
		message: impl FnOnce(u64) -> Vec<u8>,
	) -> Result<reqwest::Response, BlobError> {
		let signer = self.signer.as_ref().ok_or(BlobError::NoSigner)?;
		let timestamp = auth::unix_now();
		for (name, value) in auth::sign(signer, &message(timestamp), timestamp) {
			request = request.header(name, value);
		}
		let response = request.send().await.map_err(|e| self.transport(e))?;
		if !response.status().is_success() {
			return Err(self.status_error(response).await);
		}
		Ok(response)
	}

	/// Tags the stored blob `digest` (which this client's key uploaded) as
	/// the output of `job`.
	pub async fn tag_output(&self, digest: &Digest, job: u64) -> Result<(), BlobError> {
		let request = self.http.post(format!("{}/output-of/{job}", self.blob_url(digest)));
		self.send_signed(request, |ts| auth::tag_message(&self.authority, digest, job, ts)).await?;
		Ok(())
	}

	/// The blobs `owner` (the job's provider) uploaded and tagged as outputs
	/// of `job` that this client's key may read.
	pub async fn outputs_of(
		&self,
		job: u64,
		owner: &crate::Account,
	) -> Result<Vec<Digest>, BlobError> {
		let request =
			self.http.get(format!("{}/jobs/{job}/outputs/{}", self.base_url, hex::encode(owner)));
		let response =
			self.send_signed(request, |ts| auth::list_message(&self.authority, job, ts)).await?;
		let text = response.text().await.map_err(|e| self.transport(e))?;
		text.lines()
			.filter(|line| !line.trim().is_empty())
			.take(crate::store::MAX_LISTED_OUTPUTS)
			.map(|line| {
				Digest::from_hex(line.trim())
					.ok_or_else(|| BlobError::BadAcknowledgement(line.to_string()))
			})
			.collect()
	}

	/// A GET of `url`, signed as a read of `digest` if this client has a
	/// key (naming `job` if given).
	fn signed_get(
		&self,
		url: String,
		digest: &Digest,
		job: Option<u64>,
	) -> reqwest::RequestBuilder {
		let mut request = self.http.get(url);
		if let Some(key) = &self.signer {
			let timestamp = auth::unix_now();
			let message = auth::get_message(&self.authority, digest, job, timestamp);
			for (name, value) in auth::sign(key, &message, timestamp) {
				request = request.header(name, value);
			}
			if let Some(job) = job {
				request = request.header(auth::JOB_HEADER, job.to_string());
			}
		}
		request
	}

	/// Fetches the chunk manifest of `digest` and checks it against `root`
	/// (and the blob's size against `max_bytes`) before any byte of the
	/// blob is asked for.
	pub async fn chunks(
		&self,
		digest: &Digest,
		root: &Digest,
		max_bytes: u64,
		job: Option<u64>,
	) -> Result<Manifest, BlobError> {
		let url = format!("{}/chunks", self.blob_url(digest));
		let response =
			self.signed_get(url, digest, job).send().await.map_err(|e| self.transport(e))?;
		if !response.status().is_success() {
			return Err(self.status_error(response).await);
		}
		// 16 bytes and 32 per MiB of the largest blob allowed.
		let bound = 16 + 32 * max_bytes.div_ceil(CHUNK_BYTES);
		if response.content_length().is_some_and(|length| length > bound) {
			return Err(BlobError::TooLarge {
				size: response.content_length().unwrap_or(0),
				limit: bound,
			});
		}
		let bytes = self.read_bounded(response, bound).await?;
		let manifest =
			Manifest::verified(&bytes, root).map_err(|source| self.chunk_error(source))?;
		if manifest.size > max_bytes {
			return Err(BlobError::TooLarge { size: manifest.size, limit: max_bytes });
		}
		Ok(manifest)
	}

	/// Reads a response body of at most `bound` bytes (what is past it is
	/// not read), at no less than the client's rate floor.
	async fn read_bounded(
		&self,
		mut response: reqwest::Response,
		bound: u64,
	) -> Result<Vec<u8>, BlobError> {
		let mut bytes = Vec::new();
		let mut pace = RateFloor::new(self.floor);
		while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
			pace.count(chunk.len(), &self.base_url)?;
			if (bytes.len() + chunk.len()) as u64 > bound {
				break;
			}
			bytes.extend_from_slice(&chunk);
		}
		Ok(bytes)
	}

	fn chunk_error(&self, source: crate::chunks::ChunkError) -> BlobError {
		BlobError::Chunk { base: self.base_url.clone(), source }
	}

	/// Sends the GET for `digest` from byte `from`, signed if this client has
	/// a key (naming `job` if given); checks the status and the announced size.
	async fn open(
		&self,
		digest: &Digest,
		max_bytes: u64,
		job: Option<u64>,
		from: u64,
	) -> Result<reqwest::Response, BlobError> {
		let mut request = self.signed_get(self.blob_url(digest), digest, job);
		if from > 0 {
			request = request.header(reqwest::header::RANGE, format!("bytes={from}-"));
		}
		let response = request.send().await.map_err(|e| self.transport(e))?;
		if !response.status().is_success() {
			return Err(self.status_error(response).await);
		}
		if from > 0 && response.status() != reqwest::StatusCode::PARTIAL_CONTENT {
			return Err(BlobError::Status {
				base: self.base_url.clone(),
				status: response.status().as_u16(),
				message: "the store ignored the range of a resumed download".into(),
			});
		}
		if let Some(length) = response.content_length() {
			if from.saturating_add(length) > max_bytes {
				return Err(BlobError::TooLarge {
					size: from.saturating_add(length),
					limit: max_bytes,
				});
			}
		}
		Ok(response)
	}

	/// Fetches the blob `digest`, refusing more than `max_bytes` and bytes
	/// that do not hash to `digest`. Signed if this client has a key.
	pub async fn get(&self, digest: &Digest, max_bytes: u64) -> Result<Vec<u8>, BlobError> {
		self.get_through_job(digest, max_bytes, None, None).await
	}

	/// As [`Self::get`], asking as a party of `job` (for a private blob of
	/// the job's client); `progress` sees the bytes received.
	pub async fn get_through_job(
		&self,
		digest: &Digest,
		max_bytes: u64,
		job: Option<u64>,
		progress: Option<Progress>,
	) -> Result<Vec<u8>, BlobError> {
		self.get_checked(digest, None, max_bytes, job, progress).await
	}

	/// As [`Self::get_through_job`]; with `root` (the chunk root a blob's
	/// URI names), every chunk is checked as it arrives and the download
	/// stops at the first bad one.
	pub async fn get_checked(
		&self,
		digest: &Digest,
		root: Option<&Digest>,
		max_bytes: u64,
		job: Option<u64>,
		progress: Option<Progress>,
	) -> Result<Vec<u8>, BlobError> {
		let mut checker = match root {
			Some(root) => Some(Checker::new(self.chunks(digest, root, max_bytes, job).await?, 0)),
			None => None,
		};
		let mut response = self.open(digest, max_bytes, job, 0).await?;
		let total = response.content_length().unwrap_or(0);
		let mut bytes =
			Vec::with_capacity(response.content_length().unwrap_or(0).min(1 << 26) as usize);
		let mut hasher = Hasher::default();
		let mut pace = RateFloor::new(self.floor);
		while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
			pace.count(chunk.len(), &self.base_url)?;
			let size = bytes.len() as u64 + chunk.len() as u64;
			if size > max_bytes {
				return Err(BlobError::TooLarge { size, limit: max_bytes });
			}
			if let Some(checker) = &mut checker {
				checker.update(&chunk).map_err(|source| self.chunk_error(source))?;
			}
			hasher.update(&chunk);
			bytes.extend_from_slice(&chunk);
			if let Some(progress) = &progress {
				progress(size, total);
			}
		}
		if let Some(checker) = &checker {
			checker.finish().map_err(|source| self.chunk_error(source))?;
		}
		let actual = hasher.finish();
		if actual != *digest {
			return Err(BlobError::DigestMismatch { expected: *digest, actual });
		}
		Ok(bytes)
	}

	/// Downloads the blob `digest` to `path`, streaming (bounded memory),
	/// through `<path>.part`: a download that broke off resumes from the
	/// bytes already there. The file appears at `path` only once its digest
	/// is checked; a mismatch deletes the partial file.
	pub async fn get_to_file(
		&self,
		digest: &Digest,
		max_bytes: u64,
		job: Option<u64>,
		path: &Path,
		progress: Option<Progress>,
	) -> Result<u64, BlobError> {
		self.get_to_file_checked(digest, None, max_bytes, job, path, progress).await
	}

	/// As [`Self::get_to_file`]; with `root` (the chunk root a blob's URI
	/// names) every chunk is checked as it arrives. A bad chunk stops the
	/// download and leaves `<path>.part` holding exactly the chunks that
	/// checked, so that the next try (from this store or another) resumes
	/// after them; a resumed download first re-checks what the part file
	/// holds and keeps only its whole, good chunks.
	pub async fn get_to_file_checked(
		&self,
		digest: &Digest,
		root: Option<&Digest>,
		max_bytes: u64,
		job: Option<u64>,
		path: &Path,
		progress: Option<Progress>,
	) -> Result<u64, BlobError> {
		let part = path.with_extension(match path.extension() {
			Some(ext) => format!("{}.part", ext.to_string_lossy()),
			None => "part".into(),
		});
		let io_error = |source| BlobError::Io { path: part.display().to_string(), source };
		let manifest = match root {
			Some(root) => Some(self.chunks(digest, root, max_bytes, job).await?),
			None => None,
		};
		let had = match tokio::fs::metadata(&part).await {
			Ok(meta) if meta.len() <= max_bytes => meta.len(),
			_ => 0,
		};
		let (mut hasher, mut done, mut checker) = match manifest {
			Some(manifest) => {
				let (hasher, good) = check_prefix(&part, &manifest, had).await.map_err(io_error)?;
				(hasher, good, Some(Checker::new(manifest, good)))
			},
			None if had > 0 => (hash_prefix(&part).await.map_err(io_error)?, had, None),
			None => (Hasher::default(), 0, None),
		};
		let mut response = self.open(digest, max_bytes, job, done).await?;
		let total = done + response.content_length().unwrap_or(0);
		let file = tokio::fs::OpenOptions::new()
			.create(true)
			.write(true)
			.truncate(false)
			.open(&part)
			.await
			.map_err(io_error)?;
		// Keep exactly the bytes that checked (all, or none, without a manifest).
		file.set_len(done).await.map_err(io_error)?;
		let mut file = tokio::io::BufWriter::with_capacity(crate::store::WRITE_BUFFER, file);
		use tokio::io::AsyncSeekExt;
		file.seek(std::io::SeekFrom::Start(done)).await.map_err(io_error)?;
		// Buffered: a download that breaks off loses at most the buffer,
		// and resumes from what reached the file.
		let mut pace = RateFloor::new(self.floor);
		while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
			if let Err(slow) = pace.count(chunk.len(), &self.base_url) {
				// What arrived stays for a resume (checked again then).
				file.flush().await.map_err(io_error)?;
				return Err(slow);
			}
			done += chunk.len() as u64;
			if done > max_bytes {
				drop(file);
				let _ = tokio::fs::remove_file(&part).await;
				return Err(BlobError::TooLarge { size: done, limit: max_bytes });
			}
			if let Some(checker) = &mut checker {
				if let Err(source) = checker.update(&chunk) {
					// Keep the chunks that checked, drop the rest.
					file.flush().await.map_err(io_error)?;
					file.into_inner().set_len(checker.verified_until()).await.map_err(io_error)?;
					return Err(self.chunk_error(source));
				}
			}
			hasher.update(&chunk);
			file.write_all(&chunk).await.map_err(io_error)?;
			if let Some(progress) = &progress {
				progress(done, total);
			}
		}
		file.flush().await.map_err(io_error)?;
		let file = file.into_inner();
		file.sync_all().await.map_err(io_error)?;
		drop(file);
		if let Some(checker) = &checker {
			checker.finish().map_err(|source| self.chunk_error(source))?;
		}
		let actual = hasher.finish();
		if actual != *digest {
			let _ = tokio::fs::remove_file(&part).await;
			return Err(BlobError::DigestMismatch { expected: *digest, actual });
		}
		tokio::fs::rename(&part, path)
			.await
			.map_err(|source| BlobError::Io { path: path.display().to_string(), source })?;
		Ok(done)
	}
}

/// Checks the first `had` bytes of the part file at `path` against
/// `manifest`, whole chunks only: the blake2 state of the good chunks and
/// where they end (the file's last chunk, if short, is re-fetched unless it
/// is the blob's end).
async fn check_prefix(
	path: &Path,
	manifest: &Manifest,
	had: u64,
) -> std::io::Result<(Hasher, u64)> {
	use tokio::io::AsyncReadExt;
	let mut hasher = Hasher::default();
	if had == 0 {
		return Ok((hasher, 0));
	}
	let mut file = tokio::fs::File::open(path).await?;
	let mut checker = Checker::new(manifest.clone(), 0);
	let mut buffer = vec![0u8; CHUNK_BYTES as usize];
	let mut good = 0u64;
	while good < had && good < manifest.size {
		let want = CHUNK_BYTES.min(manifest.size - good).min(had - good) as usize;
		if want < CHUNK_BYTES.min(manifest.size - good) as usize {
			break; // a partial chunk: fetched again
		}
		file.read_exact(&mut buffer[..want]).await?;
		if checker.update(&buffer[..want]).is_err() {
			break;
		}
		hasher.update(&buffer[..want]);
		good += want as u64;
	}
	Ok((hasher, good))
}

async fn hash_prefix(path: &Path) -> std::io::Result<Hasher> {
	use tokio::io::AsyncReadExt;
	let mut file = tokio::fs::File::open(path).await?;
	let mut hasher = Hasher::default();
	let mut buffer = vec![0u8; 256 * 1024];
	loop {
		let read = file.read(&mut buffer).await?;
		if read == 0 {
			return Ok(hasher);
		}
		hasher.update(&buffer[..read]);
	}
}

/// The digest and size of the file at `path`, read in pieces.
pub async fn hash_file(path: &Path) -> std::io::Result<(Digest, u64)> {
	let size = tokio::fs::metadata(path).await?.len();
	Ok((hash_prefix(path).await?.finish(), size))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn sizes_read_as_people_say_them() {
		assert_eq!(human(17), "17 B");
		assert_eq!(human(1536), "1.5 KiB");
		assert_eq!(human(3 << 30), "3.0 GiB");
		let error = BlobError::TooLarge { size: 3 << 30, limit: 1 << 30 };
		assert_eq!(
			error.to_string(),
			"the blob is 3.0 GiB, the bound here is 1.0 GiB (3221225472 > 1073741824 bytes)"
		);
	}
}
