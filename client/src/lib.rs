//! # hypha-client
//!
//! The one interface between Hypha's off-chain code (worker, verifier, CLI,
//! end-to-end tests) and the chain. The types come from the runtime's metadata
//! in `metadata/hypha.scale` through subxt's code generation, never from
//! hand-copied call indices.
//!
//! ## Keeping the metadata in step
//!
//! `make metadata` rebuilds the node and rewrites `metadata/hypha.scale` with
//! `hypha-node export-metadata`. The runtime's test `metadata_is_fresh` fails
//! when the checked-in file no longer matches the runtime.
//!
//! ## Failure modes
//!
//! [`connect`] fails with [`Error::Connect`] when no node answers at the URL or
//! when the node's metadata cannot be read.

/// The generated interface: `api::tx()`, `api::storage()`, `api::constants()`,
/// events and runtime types.
#[subxt::subxt(
	runtime_metadata_path = "metadata/hypha.scale",
	derive_for_all_types = "Clone, PartialEq, Eq"
)]
pub mod api {}

pub use subxt;
pub use subxt_signer;

/// The chain's configuration as subxt sees it: `MultiAddress<AccountId32, ()>`
/// addresses, `MultiSignature`, u32 block numbers, BLAKE2-256 hashes, which is
/// what `PolkadotConfig` describes.
pub type HyphaConfig = subxt::PolkadotConfig;

/// A connected client.
pub type Client = subxt::OnlineClient<HyphaConfig>;

/// An account id on the chain.
pub type AccountId = subxt::utils::AccountId32;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// No node answered at the URL, or its metadata could not be read.
	#[error("cannot connect to a Hypha node at {url}: {source}. Is `hypha-node` running and is its RPC port right?")]
	Connect {
		/// The URL tried.
		url: String,
		/// Why it failed.
		#[source]
		source: Box<subxt::Error>,
	},
	/// A call to the node failed.
	#[error(transparent)]
	Subxt(#[from] Box<subxt::Error>),
}

impl From<subxt::Error> for Error {
	fn from(error: subxt::Error) -> Self {
		Error::Subxt(Box::new(error))
	}
}

/// Connects to a node's JSON-RPC endpoint (`ws://127.0.0.1:9944` for a local
/// node). Plain `ws://` is accepted: nodes usually listen on loopback.
pub async fn connect(url: &str) -> Result<Client, Error> {
	let result = if url.starts_with("ws://") || url.starts_with("http://") {
		Client::from_insecure_url(url).await
	} else {
		Client::from_url(url).await
	};
	result.map_err(|e| Error::Connect { url: url.to_string(), source: Box::new(e.into()) })
}

/// The free balance of `account` at the latest finalized block.
pub async fn free_balance(client: &Client, account: &AccountId) -> Result<u128, Error> {
	let at_block = client.at_current_block().await.map_err(subxt::Error::from)?;
	let entry =
		at_block.storage().entry(api::storage().system().account()).map_err(subxt::Error::from)?;
	let info = entry
		.fetch((*account,))
		.await
		.map_err(subxt::Error::from)?
		.decode()
		.map_err(subxt::Error::from)?;
	Ok(info.data.free)
}

/// The events a finalized transaction emitted.
pub type TxEvents = subxt::extrinsics::ExtrinsicEvents<HyphaConfig>;

/// Signs `call` with `signer`, submits it, and waits until it is finalized
/// and succeeded. A refused submission (bad nonce, no funds for the fee) and a
/// failed dispatch (the pallet's named error, e.g. `Jobs::JobNotOpen`) both
/// come back as [`Error::Subxt`], whose message names the cause.
pub async fn submit_and_wait<P: subxt::tx::Payload>(
	client: &Client,
	call: &P,
	signer: &subxt_signer::sr25519::Keypair,
) -> Result<TxEvents, Error> {
	let mut tx = client.tx().await.map_err(subxt::Error::from)?;
	let progress =
		tx.sign_and_submit_then_watch_default(call, signer).await.map_err(subxt::Error::from)?;
	Ok(progress.wait_for_finalized_success().await.map_err(subxt::Error::from)?)
}
