//! `hypha store serve`: a content-addressed blob store for job programs and inputs.

use anyhow::{Context, Result};

/// A content-addressed blob store.
#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
	/// Serve a blob store (in memory) until Ctrl-C: `PUT /blobs`, `GET /blobs/<digest>`.
	Serve {
		/// Address to listen on.
		#[arg(long, default_value = "127.0.0.1:7300")]
		listen: std::net::SocketAddr,
		/// Largest blob accepted, in MiB.
		#[arg(long, default_value_t = 256)]
		max_blob_mib: u64,
	},
}

impl StoreCommand {
	/// Runs the command.
	pub fn run(self) -> Result<()> {
		let StoreCommand::Serve { listen, max_blob_mib } = self;
		let runtime = tokio::runtime::Runtime::new()?;
		runtime.block_on(serve_store(
			listen,
			max_blob_mib.saturating_mul(1 << 20),
			|address| {
				println!("blob store: serving http://{address}/blobs (in memory; Ctrl-C stops it)");
				tracing::info!(%address, "blob store listening");
			},
			hypha_agent::process::shutdown_signal(),
		))
	}
}

/// Runs a blob store on `listen` until `shutdown` completes; `ready` gets the
/// bound address.
pub async fn serve_store(
	listen: std::net::SocketAddr,
	max_blob_bytes: u64,
	ready: impl FnOnce(std::net::SocketAddr),
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
	let listener = tokio::net::TcpListener::bind(listen)
		.await
		.with_context(|| format!("listening on {listen}"))?;
	ready(listener.local_addr()?);
	hypha_blobstore::serve(
		listener,
		hypha_blobstore::BlobStore::new(max_blob_bytes),
		hypha_blobstore::ServerConfig::default(),
		shutdown,
	)
	.await
	.context("serving blobs")
}
