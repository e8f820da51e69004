//! Talking to the chain: keys, connecting, submitting calls with readable
//! errors, and reading jobs. Shared by the worker, the verifier and the CLI.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hypha_client::api::{self, runtime_types};
use hypha_client::subxt::error::{
	DispatchError, TransactionEventsError, TransactionFinalizedSuccessError,
};
use hypha_client::subxt::extrinsics::ExtrinsicEvents;
use hypha_client::subxt::transactions::Payload;
use hypha_client::subxt_signer::{sr25519::Keypair, SecretUri};
use hypha_client::{AccountId, Client, HyphaConfig};
use hypha_primitives::JobId;

/// A job as stored on chain, in the generated types.
pub type ChainJob = runtime_types::pallet_jobs::pallet::Job<AccountId, u128, u32>;

/// A job's status, in the generated types.
pub type ChainStatus = runtime_types::hypha_primitives::JobStatus<AccountId, u128, u32>;

/// The marketplace parameters, in the generated types.
pub type ChainParams = runtime_types::pallet_jobs::pallet::JobParams<u128, u32>;

/// The signing key of a daemon or of the CLI: a secret URI (`//Alice` on dev
/// chains, a mnemonic or `0x` seed otherwise) given directly or read from a
/// key file (the file holds the URI on its first line).
pub fn load_signer(seed: Option<&str>, key_file: Option<&Path>) -> Result<Keypair> {
	let uri = match (seed, key_file) {
		(Some(seed), None) => seed.to_string(),
		(None, Some(path)) => std::fs::read_to_string(path)
			.with_context(|| format!("reading the key file {}", path.display()))?
			.lines()
			.next()
			.unwrap_or_default()
			.trim()
			.to_string(),
		(Some(_), Some(_)) => bail!("give either a seed or a key file, not both"),
		(None, None) => bail!(
			"no key: pass --seed (a dev seed such as //Eve on dev chains) or --key-file (a file holding a secret URI or mnemonic)"
		),
	};
	let uri: SecretUri = uri.parse().context("the key is not a valid secret URI")?;
	Keypair::from_uri(&uri).context("deriving the key from the secret URI")
}

/// The account id of `signer`.
pub fn account_of(signer: &Keypair) -> AccountId {
	signer.public_key().into()
}

/// Connects to `url`, retrying for up to `patience` while the node starts.
pub async fn connect(url: &str, patience: Duration) -> Result<Client> {
	let deadline = Instant::now() + patience;
	loop {
		match hypha_client::connect(url).await {
			Ok(client) => return Ok(client),
			Err(error) if Instant::now() >= deadline => return Err(error.into()),
			Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
		}
	}
}

/// A call the chain refused, or a failure to get it there.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
	/// The runtime rejected the call with a pallet error.
	#[error("the chain refused {call}: {pallet}::{error} ({docs})")]
	Refused {
		/// `Pallet.call` that failed.
		call: String,
		/// The pallet.
		pallet: String,
		/// The error variant's name.
		error: String,
		/// The variant's documentation.
		docs: String,
	},
	/// The call failed with a dispatch error other than a pallet's.
	#[error("the chain refused {call}: {reason}")]
	Dispatch {
		/// `Pallet.call` that failed.
		call: String,
		/// The dispatch error.
		reason: String,
	},
	/// The call never made it into a finalized block.
	#[error("submitting {call} failed: {reason}. Is the node running, and does the account hold enough HYPHA for fees?")]
	Transport {
		/// `Pallet.call` that failed.
		call: String,
		/// What went wrong.
		reason: String,
	},
}

impl ChainError {
	/// The pallet error's name (`JobNotOpen`, ...) if the runtime refused the call.
	pub fn error_name(&self) -> Option<&str> {
		match self {
			ChainError::Refused { error, .. } => Some(error),
			_ => None,
		}
	}
}

fn explain(call: String, error: TransactionFinalizedSuccessError) -> ChainError {
	if let TransactionFinalizedSuccessError::SuccessError(
		TransactionEventsError::ExtrinsicFailed(dispatch),
	) = &error
	{
		if let DispatchError::Module(module) = dispatch {
			if let Ok(details) = module.details() {
				return ChainError::Refused {
					call,
					pallet: details.pallet.name().to_string(),
					error: details.variant.name.clone(),
					docs: details.variant.docs.join(" ").trim().to_string(),
				};
			}
		}
		return ChainError::Dispatch { call, reason: dispatch.to_string() };
	}
	ChainError::Transport { call, reason: error.to_string() }
}

/// Signs `payload` with `signer`, submits it and waits until it is in a
/// finalized block and succeeded; returns its events.
pub async fn submit<Call: Payload>(
	client: &Client,
	payload: &Call,
	signer: &Keypair,
) -> Result<ExtrinsicEvents<HyphaConfig>, ChainError> {
	// A daemon may have a transaction in flight (a commitment finalizing)
	// while it signs the next (a claim). subxt takes the nonce from the
	// chain's state, which does not count transactions still in the pool, so
	// the second would reuse the first's nonce and be refused as outdated.
	// Nonces are therefore handed out here, one signing at a time per process:
	// the larger of the chain's nonce and the one after the last submitted.
	static NEXT_NONCE: tokio::sync::Mutex<Option<([u8; 32], u64)>> =
		tokio::sync::Mutex::const_new(None);
	let call = format!("{}.{}", payload.pallet_name(), payload.call_name());
	let transport = |reason: String| ChainError::Transport { call: call.clone(), reason };
	let account = signer.public_key().0;
	let submitted = {
		let mut next = NEXT_NONCE.lock().await;
		let mut tx = client.tx().await.map_err(|e| transport(e.to_string()))?;
		let on_chain =
			tx.account_nonce(&account.into()).await.map_err(|e| transport(e.to_string()))?;
		let nonce = match *next {
			Some((who, pending)) if who == account => pending.max(on_chain),
			_ => on_chain,
		};
		let params = hypha_client::subxt::config::polkadot::PolkadotExtrinsicParamsBuilder::<
			HyphaConfig,
		>::new()
		.nonce(nonce)
		.build();
		let submitted = tx.sign_and_submit_then_watch(payload, signer, params).await;
		*next = submitted.is_ok().then_some((account, nonce + 1));
		submitted
	};
	let progress = submitted.map_err(|e| transport(e.to_string()))?;
	let result = progress.wait_for_finalized_success().await.map_err(|e| explain(call.clone(), e));
	if matches!(result, Err(ChainError::Transport { .. })) {
		// The transaction may never make it: ask the chain next time.
		*NEXT_NONCE.lock().await = None;
	}
	result
}

/// The job `job` at the latest finalized block, if it exists.
pub async fn fetch_job(client: &Client, job: JobId) -> Result<Option<ChainJob>> {
	let at = client.at_current_block().await.context("reading the finalized block")?;
	let entry = at.storage().entry(api::storage().jobs().jobs())?;
	match entry.try_fetch((job,)).await.context("reading Jobs storage")? {
		Some(value) => Ok(Some(value.decode().context("decoding a job")?)),
		None => Ok(None),
	}
}

/// Every job at the latest finalized block, with its id.
pub async fn all_jobs(client: &Client) -> Result<Vec<(JobId, ChainJob)>> {
	let at = client.at_current_block().await.context("reading the finalized block")?;
	let entry = at.storage().entry(api::storage().jobs().jobs())?;
	let mut iter = entry.iter(()).await.context("listing Jobs storage")?;
	let mut jobs = Vec::new();
	while let Some(item) = iter.next().await {
		let item = item.context("reading a job")?;
		let (id,) =
			item.key().context("decoding a job key")?.decode().context("decoding a job key")?;
		let job = item.value().decode().context("decoding a job")?;
		jobs.push((id, job));
	}
	jobs.sort_by_key(|(id, _)| *id);
	Ok(jobs)
}

/// The marketplace parameters at the latest finalized block.
pub async fn params(client: &Client) -> Result<ChainParams> {
	let at = client.at_current_block().await.context("reading the finalized block")?;
	let entry = at.storage().entry(api::storage().jobs().params())?;
	Ok(entry.fetch(()).await.context("reading Jobs.Params")?.decode()?)
}

/// The most verifier fees a job can pay out: the auditor and a full panel
/// (what the jobs pallet reserves from the budget when a provider claims).
pub fn max_verifier_fees(params: &ChainParams) -> u128 {
	params.verifier_fee.saturating_mul(u128::from(params.dispute_verifiers) + 1)
}

/// A short name for a status, for logs and the CLI.
pub fn status_name(status: &ChainStatus) -> &'static str {
	match status {
		ChainStatus::Open { .. } => "open",
		ChainStatus::Assigned { .. } => "assigned",
		ChainStatus::Committed { .. } => "committed",
		ChainStatus::Audit { .. } => "audit",
		ChainStatus::Dispute { .. } => "dispute",
		ChainStatus::Settled { .. } => "settled",
		ChainStatus::Refunded { .. } => "refunded",
		ChainStatus::Slashed { .. } => "slashed",
	}
}

/// Whether the job is over.
pub fn is_final(status: &ChainStatus) -> bool {
	matches!(
		status,
		ChainStatus::Settled { .. } | ChainStatus::Refunded { .. } | ChainStatus::Slashed { .. }
	)
}

/// The commitment the chain expects for `output_digest` from `party`.
pub fn commitment(job: JobId, party: &AccountId, output_digest: &[u8; 32]) -> [u8; 32] {
	hypha_primitives::digest_commitment(job, &party.0, output_digest)
}

/// Formats an amount in the smallest unit as HYPHA with all 12 decimals.
pub fn format_hypha(amount: u128) -> String {
	let whole = amount / hypha_primitives::HYPHA;
	let fraction = amount % hypha_primitives::HYPHA;
	if fraction == 0 {
		format!("{whole} HYPHA")
	} else {
		let digits = format!("{fraction:012}");
		format!("{whole}.{} HYPHA", digits.trim_end_matches('0'))
	}
}

/// Parses a decimal HYPHA amount (`1.5`) into the smallest unit.
pub fn parse_hypha(text: &str) -> Result<u128> {
	let text = text.trim().trim_end_matches("HYPHA").trim();
	let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
	anyhow::ensure!(
		fraction.len() <= 12 && (!whole.is_empty() || !fraction.is_empty()),
		"`{text}` is not an amount of HYPHA (at most 12 decimals)"
	);
	let whole: u128 = if whole.is_empty() {
		0
	} else {
		whole.parse().with_context(|| format!("`{text}` is not a number"))?
	};
	let fraction: u128 = if fraction.is_empty() {
		0
	} else {
		format!("{fraction:0<12}").parse().with_context(|| format!("`{text}` is not a number"))?
	};
	whole
		.checked_mul(hypha_primitives::HYPHA)
		.and_then(|w| w.checked_add(fraction))
		.context("amount too large")
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_round_trip_through_text() {
		assert_eq!(parse_hypha("1.5").unwrap(), 1_500_000_000_000);
		assert_eq!(parse_hypha("100").unwrap(), 100 * hypha_primitives::HYPHA);
		assert_eq!(parse_hypha("0.000000000001").unwrap(), 1);
		assert_eq!(format_hypha(1_500_000_000_000), "1.5 HYPHA");
		assert_eq!(format_hypha(100 * hypha_primitives::HYPHA), "100 HYPHA");
		assert!(parse_hypha("1.0000000000001").is_err());
		assert!(parse_hypha("abc").is_err());
	}

	#[test]
	fn dev_seeds_and_key_files_give_the_same_key() {
		let dir = std::env::temp_dir().join(format!("hypha-key-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let file = dir.join("key");
		std::fs::write(&file, "//Eve\n").unwrap();
		let from_seed = load_signer(Some("//Eve"), None).unwrap();
		let from_file = load_signer(None, Some(&file)).unwrap();
		assert_eq!(from_seed.public_key().0, from_file.public_key().0);
		assert!(load_signer(None, None).is_err());
	}
}
