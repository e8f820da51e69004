//! `hypha store serve`: a durable, content-addressed blob store for job
//! programs, inputs and models (docs/DATA.md).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hypha_blobstore::{BlobStore, Limits, ServerConfig};

/// A content-addressed blob store.
#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
	/// Serve a blob store until Ctrl-C: `PUT /blobs/<digest>` (signed by an
	/// account), `GET /blobs/<digest>`, Prometheus metrics at `/metrics`. Blobs are files under --dir and
	/// survive restarts; an upload is visible only once all of it arrived
	/// and hashed to its digest.
	Serve(ServeArgs),
	/// Upload a file, streamed, signed by --seed's account (counted against
	/// its quota); prints the digest. A bar shows progress.
	Put {
		/// The file.
		file: PathBuf,
		/// The store's URL.
		#[arg(long, env = "HYPHA_STORE", default_value = "http://127.0.0.1:7300")]
		store: String,
		/// The uploading account, as a secret URI (`//Alice` on dev chains).
		#[arg(long, env = "HYPHA_SEED")]
		seed: String,
		/// Readable only by the uploader, the --reader accounts, and (through
		/// a store run with --node) the parties of the uploader's live jobs
		/// that name it.
		#[arg(long)]
		private: bool,
		/// An account (SS58) that may read the private blob too; repeat.
		#[arg(long = "reader", requires = "private")]
		readers: Vec<String>,
	},
	/// Download a blob to a file, streamed and digest-checked; a download
	/// that broke off resumes from `<out>.part`. A bar shows progress.
	Get {
		/// The blob's digest (64 hex digits, `0x` optional).
		digest: String,
		/// Where to write it.
		#[arg(long)]
		out: PathBuf,
		/// The store's URL.
		#[arg(long, env = "HYPHA_STORE", default_value = "http://127.0.0.1:7300")]
		store: String,
		/// Sign the read (for a private blob), as a secret URI.
		#[arg(long, env = "HYPHA_SEED")]
		seed: Option<String>,
		/// Read through this job, as its provider or verifier.
		#[arg(long)]
		job: Option<u64>,
		/// Refuse a blob larger than this, in MiB.
		#[arg(long, default_value_t = 1024)]
		max_mib: u64,
		/// The blob's chunk root (the `b3=` of its URI, as `hypha store put`
		/// prints it): every MiB is checked as it arrives, a bad one stops
		/// the download, and a retry resumes after the chunks that checked.
		#[arg(long, value_name = "ROOT")]
		b3: Option<String>,
	},
}

/// Flags of `hypha store serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
	/// Address to listen on.
	#[arg(long, default_value = "127.0.0.1:7300")]
	pub listen: std::net::SocketAddr,
	/// Where blobs live (default: $XDG_DATA_HOME/hypha/store, else
	/// ~/.local/share/hypha/store).
	#[arg(long)]
	pub dir: Option<PathBuf>,
	/// Largest blob accepted, in MiB.
	#[arg(long, default_value_t = 1024)]
	pub max_blob_mib: u64,
	/// Most MiB charged to one uploading account (a blob is charged once,
	/// to its first uploader).
	#[arg(long, default_value_t = 8192)]
	pub quota_mib: u64,
	/// Most GiB stored in all.
	#[arg(long, default_value_t = 64)]
	pub max_total_gib: u64,
	/// The `host:port` clients reach this store under, which signed
	/// requests must name (default: the request's Host header).
	#[arg(long)]
	pub authority: Option<String>,
	/// A node's JSON-RPC endpoint. With it, a private blob may be read by
	/// the provider and the verifiers of a live job of its owner, checked
	/// against the chain, and blobs no live job needs expire after
	/// --retention-hours. Without it, private blobs are readable by their
	/// owners and listed readers only, and nothing expires.
	#[arg(long)]
	pub node: Option<String>,
	/// Keep a blob this many hours after the last live job that needs it
	/// ended (with --node).
	#[arg(long, default_value_t = 168)]
	pub retention_hours: u64,
	/// How often (seconds) the retention sweep asks the chain which blobs
	/// live jobs need (with --node).
	#[arg(long, default_value_t = 600)]
	pub sweep_every_secs: u64,
	/// Refuse uploads (a mirror).
	#[arg(long)]
	pub read_only: bool,
	/// Keep the blobs in this S3 bucket instead of --dir (it must exist).
	/// Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	/// See docs/DATA.md for when to use which.
	#[arg(long, value_name = "BUCKET", conflicts_with = "dir")]
	pub s3_bucket: Option<String>,
	/// The S3 API's `http(s)://host:port` (default: AWS itself), for Ceph
	/// RGW, MinIO, Garage, s3s-fs and the like.
	#[arg(long, value_name = "URL", requires = "s3_bucket")]
	pub s3_endpoint: Option<String>,
	/// The bucket's region.
	#[arg(long, default_value = "us-east-1", requires = "s3_bucket")]
	pub s3_region: String,
	/// Key prefix inside the bucket (several stores can share one bucket).
	#[arg(long, default_value = "", requires = "s3_bucket")]
	pub s3_prefix: String,
}

impl StoreCommand {
	/// Runs the command.
	pub fn run(self) -> Result<()> {
		let runtime = tokio::runtime::Runtime::new()?;
		let args = match self {
			StoreCommand::Serve(args) => args,
			StoreCommand::Put { file, store, seed, private, readers } => {
				return runtime.block_on(put(&file, &store, &seed, private, &readers))
			},
			StoreCommand::Get { digest, out, store, seed, job, max_mib, b3 } => {
				let read = Read { seed: seed.as_deref(), job, max_mib, b3: b3.as_deref() };
				return runtime.block_on(get(&digest, &out, &store, read));
			},
		};
		runtime.block_on(serve_store(
			args,
			|address, backend| {
				println!(
					"blob store: serving http://{address}/blobs from the {backend} (Ctrl-C stops it)"
				);
				tracing::info!(%address, %backend, "blob store listening");
			},
			hypha_agent::process::shutdown_signal(),
		))
	}
}

/// A progress bar for `what` that the blob client drives.
pub fn progress_bar(what: &str) -> (indicatif::ProgressBar, hypha_blobstore::Progress) {
	let bar = indicatif::ProgressBar::new(0);
	bar.set_style(
		indicatif::ProgressStyle::with_template(
			"{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
		)
		.unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
		.progress_chars("=> "),
	);
	bar.set_message(what.to_string());
	let driven = bar.clone();
	(
		bar,
		Arc::new(move |done, total| {
			if total > 0 && driven.length() != Some(total) {
				driven.set_length(total);
			}
			driven.set_position(done);
		}),
	)
}

async fn put(
	file: &std::path::Path,
	store: &str,
	seed: &str,
	private: bool,
	readers: &[String],
) -> Result<()> {
	let key = hypha_client::keys::signer_from_uri(seed)?;
	let access = if private {
		let readers = readers
			.iter()
			.map(|text| {
				text.parse::<hypha_client::AccountId>().map(|id| id.0).map_err(|e| {
					anyhow::anyhow!("--reader `{text}` is not an SS58 account id: {e:?}")
				})
			})
			.collect::<Result<Vec<_>>>()?;
		hypha_blobstore::Access::private(readers)
	} else {
		hypha_blobstore::Access::public()
	};
	let client = hypha_blobstore::BlobClient::new(store.to_string())
		.with_context(|| format!("--store {store}"))?
		.with_signer(key);
	let (bar, progress) = progress_bar("uploading");
	let digest = client
		.put_file(file, &access, Some(progress))
		.await
		.with_context(|| format!("uploading {} to the blob store at {store}", file.display()))?;
	bar.finish_and_clear();
	let root = hypha_blobstore::chunks::Manifest::of_file(file)
		.await
		.with_context(|| format!("hashing the chunks of {}", file.display()))?
		.root();
	println!("{}", hypha_agent::fetch::BlobUri::format(store, &digest, Some(&root)));
	println!("digest 0x{}", digest.to_hex());
	println!("chunks 0x{}", root.to_hex());
	Ok(())
}

/// How `hypha store get` reads.
struct Read<'a> {
	seed: Option<&'a str>,
	job: Option<u64>,
	max_mib: u64,
	b3: Option<&'a str>,
}

async fn get(digest: &str, out: &std::path::Path, store: &str, read: Read<'_>) -> Result<()> {
	let Read { seed, job, max_mib, b3 } = read;
	let parsed = hypha_blobstore::Digest::from_hex(digest.trim_start_matches("0x"))
		.with_context(|| format!("`{digest}` is not a 64-hex-digit digest"))?;
	let root = match b3 {
		Some(text) => Some(
			hypha_blobstore::Digest::from_hex(text.trim_start_matches("0x"))
				.with_context(|| format!("--b3 `{text}` is not 64 hex digits"))?,
		),
		None => None,
	};
	let mut client = hypha_blobstore::BlobClient::new(store.to_string())
		.with_context(|| format!("--store {store}"))?;
	if let Some(seed) = seed {
		client = client.with_signer(hypha_client::keys::signer_from_uri(seed)?);
	}
	let (bar, progress) = progress_bar("downloading");
	let bytes = client
		.get_to_file_checked(
			&parsed,
			root.as_ref(),
			max_mib.saturating_mul(1 << 20),
			job,
			out,
			Some(progress),
		)
		.await
		.with_context(|| format!("downloading {digest} from the blob store at {store}"))?;
	bar.finish_and_clear();
	let checked =
		if root.is_some() { "every chunk and the digest checked" } else { "digest checked" };
	println!("wrote {bytes} bytes to {} ({checked})", out.display());
	Ok(())
}

/// The default store directory.
pub fn default_dir() -> Result<PathBuf> {
	let data = match std::env::var_os("XDG_DATA_HOME") {
		Some(dir) if !dir.is_empty() => PathBuf::from(dir),
		_ => PathBuf::from(std::env::var_os("HOME").context("neither --dir nor $HOME is set")?)
			.join(".local/share"),
	};
	Ok(data.join("hypha/store"))
}

/// Runs a blob store as `args` say until `shutdown` completes; `ready` gets
/// the bound address and where the blobs live.
pub async fn serve_store(
	args: ServeArgs,
	ready: impl FnOnce(std::net::SocketAddr, &str),
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
	let backend: Arc<dyn hypha_blobstore::Backend> = match &args.s3_bucket {
		Some(bucket) => Arc::new(
			hypha_blobstore::S3::new(&hypha_blobstore::S3Config {
				endpoint: args.s3_endpoint.clone(),
				bucket: bucket.clone(),
				region: args.s3_region.clone(),
				prefix: args.s3_prefix.clone(),
				credentials: None,
			})
			.with_context(|| format!("configuring the S3 bucket {bucket}"))?,
		),
		None => {
			let dir = match &args.dir {
				Some(dir) => dir.clone(),
				None => default_dir()?,
			};
			Arc::new(
				hypha_blobstore::Disk::new(&dir)
					.with_context(|| format!("creating the blob store in {}", dir.display()))?,
			)
		},
	};
	let where_ = backend.describe();
	let limits = Limits {
		max_blob_bytes: args.max_blob_mib.saturating_mul(1 << 20),
		quota_per_account: args.quota_mib.saturating_mul(1 << 20),
		max_total_bytes: args.max_total_gib.saturating_mul(1 << 30),
	};
	let store = BlobStore::on(backend, limits)
		.await
		.with_context(|| format!("opening the blob store on the {where_}"))?;
	let (bytes, count) = store.totals();
	tracing::info!(blobs = count, mib = bytes >> 20, "blob store opened");
	let authorizer: Option<Arc<dyn hypha_blobstore::Authorizer>> = match &args.node {
		Some(url) => {
			let client = hypha_client::connect(url)
				.await
				.with_context(|| format!("connecting to the node at {url}"))?;
			Some(Arc::new(hypha_agent::store_auth::ChainAuthorizer::new(client)))
		},
		None => None,
	};
	let registry = hypha_agent::metrics::registry("hypha_store")?;
	let config = ServerConfig {
		read_only: args.read_only,
		authority: args.authority,
		retention: authorizer
			.as_ref()
			.map(|_| Duration::from_secs(args.retention_hours.saturating_mul(3600))),
		authorizer,
		sweep_every: Some(Duration::from_secs(args.sweep_every_secs.max(1))),
		metrics: Some(registry.clone()),
		extra_routes: Some(hypha_agent::metrics::router(registry)),
	};
	let listener = tokio::net::TcpListener::bind(args.listen)
		.await
		.with_context(|| format!("listening on {}", args.listen))?;
	ready(listener.local_addr()?, &where_);
	hypha_blobstore::serve(listener, store, config, shutdown).await.context("serving blobs")
}
