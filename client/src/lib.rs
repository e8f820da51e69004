//! # hypha-client
//!
//! The one interface between Hypha's off-chain code (worker, verifier, CLI,
//! end-to-end tests) and the chain. Nothing else in the workspace talks to a
//! node.
//!
//! - [`api`]: the interface subxt generates from the runtime's metadata in
//!   `metadata/hypha.scale`, never hand-copied call indices. The types the
//!   runtime takes from `hypha-primitives` ([`JobSpec`], [`JobStatus`],
//!   [`WorkloadKind`], [`ProviderCapabilities`], ...) are substituted back
//!   onto those same Rust types (`substitute_type`), so the chain, the
//!   daemons and the CLI share one definition by construction.
//! - [`chain`]: connecting (with retry), submitting calls with nonces handed
//!   out per process and errors that name the pallet error ([`ChainError`]).
//! - [`query`]: jobs, parameters and balances at the finalized block.
//! - [`keys`]: loading a signing key from a secret URI or a key file.
//! - [`amount`]: HYPHA amounts as people write them (`2`, `0.5`, `2 HYPHA`,
//!   `5 units`), one parser for every flag of every binary.
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
//! when the node's metadata cannot be read; [`chain::submit`] returns a
//! [`ChainError`] that says whether the runtime refused the call (and with
//! which pallet error) or the call never reached a finalized block.

pub mod amount;
pub mod chain;
pub mod keys;
pub mod models;
pub mod query;

/// The generated interface: `api::tx()`, `api::storage()`, `api::constants()`,
/// events and runtime types. The `hypha_primitives` types are the crate's
/// own (wrapped in [`subxt::utils::Static`], which encodes them with their
/// SCALE codec: the same code the runtime runs), with the chain's concrete
/// account, balance and block number types: subxt's derives cannot bound a
/// substituted type's generic parameters by SCALE's traits.
#[subxt::subxt(
	runtime_metadata_path = "metadata/hypha.scale",
	derive_for_all_types = "Clone, PartialEq, Eq",
	substitute_type(
		path = "hypha_primitives::JobSpec",
		with = "::subxt::utils::Static<::hypha_primitives::JobSpec>"
	),
	substitute_type(
		path = "hypha_primitives::JobStatus<A, B, C>",
		with = "::subxt::utils::Static<::hypha_primitives::JobStatus<::subxt::utils::AccountId32, u128, u32>>"
	),
	substitute_type(
		path = "hypha_primitives::WorkloadKind",
		with = "::subxt::utils::Static<::hypha_primitives::WorkloadKind>"
	),
	substitute_type(
		path = "hypha_primitives::JobKinds",
		with = "::subxt::utils::Static<::hypha_primitives::JobKinds>"
	),
	substitute_type(
		path = "hypha_primitives::Backend",
		with = "::subxt::utils::Static<::hypha_primitives::Backend>"
	),
	substitute_type(
		path = "hypha_primitives::ProviderCapabilities<B>",
		with = "::subxt::utils::Static<::hypha_primitives::ProviderCapabilities<u128>>"
	),
	substitute_type(
		path = "hypha_primitives::VerifierSlot<A>",
		with = "::subxt::utils::Static<::hypha_primitives::VerifierSlot<::subxt::utils::AccountId32>>"
	)
)]
pub mod api {}

pub use chain::{connect, connect_with_retry, submit, submit_in_block, ChainError, Included};
pub use hypha_primitives::{
	Backend, Digest, JobId, JobKinds, JobSpec, SpecError, Uri, VerifierSlot, WorkloadKind,
};
pub use query::free_balance;
pub use subxt;
pub use subxt::utils::Static;
pub use subxt_signer;

/// The chain's configuration as subxt sees it: `MultiAddress<AccountId32, ()>`
/// addresses, `MultiSignature`, u32 block numbers, BLAKE2-256 hashes, which is
/// what `PolkadotConfig` describes.
pub type HyphaConfig = subxt::PolkadotConfig;

/// A connected client.
pub type Client = subxt::OnlineClient<HyphaConfig>;

/// An account id on the chain.
pub type AccountId = subxt::utils::AccountId32;

/// A balance in the smallest unit (10^-12 HYPHA).
pub type Balance = hypha_primitives::Balance;

/// A block number.
pub type BlockNumber = hypha_primitives::BlockNumber;

/// A job's status with the chain's account, balance and block types.
pub type JobStatus = hypha_primitives::JobStatus<AccountId, Balance, BlockNumber>;

/// A provider's offer with the chain's balance type.
pub type ProviderCapabilities = hypha_primitives::ProviderCapabilities<Balance>;

/// A job as stored on chain (`Jobs::Jobs`). Its `spec` and `status` are the
/// primitives' types behind [`Static`] (`*job.status` is a [`JobStatus`]).
pub type Job = api::runtime_types::pallet_jobs::pallet::Job<AccountId, Balance, BlockNumber>;

/// The marketplace parameters (`Jobs::Params`).
pub type JobParams = api::runtime_types::pallet_jobs::pallet::JobParams<Balance, BlockNumber>;

/// A finalized block as subxt follows it.
pub type Block = subxt::client::Block<HyphaConfig>;

/// The events of one block.
pub type Events = subxt::events::Events<HyphaConfig>;

/// The events a finalized transaction emitted.
pub type TxEvents = subxt::extrinsics::ExtrinsicEvents<HyphaConfig>;

/// Errors of this crate other than a refused call ([`ChainError`]).
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
	/// A signing key could not be loaded.
	#[error("{0}")]
	Key(String),
}

impl From<subxt::Error> for Error {
	fn from(error: subxt::Error) -> Self {
		Error::Subxt(Box::new(error))
	}
}

/// Turns any subxt error into [`Error`] (subxt has one error type per
/// operation, each convertible into `subxt::Error`).
pub(crate) trait OrClientError<T> {
	fn or_client(self) -> Result<T, Error>;
}

impl<T, E> OrClientError<T> for Result<T, E>
where
	subxt::Error: From<E>,
{
	fn or_client(self) -> Result<T, Error> {
		self.map_err(|error| Error::from(subxt::Error::from(error)))
	}
}

/// The commitment the chain expects from `party` for `output_digest`:
/// [`hypha_primitives::digest_commitment`] with the chain's account type.
pub fn commitment(job: JobId, party: &AccountId, output_digest: &Digest) -> Digest {
	hypha_primitives::digest_commitment(job, &party.0, output_digest)
}

/// A [`Uri`] as the chain's calls take it (the generated `BoundedVec`).
pub fn uri_arg(uri: &str) -> api::runtime_types::bounded_collections::bounded_vec::BoundedVec<u8> {
	api::runtime_types::bounded_collections::bounded_vec::BoundedVec(uri.as_bytes().to_vec())
}
