//! The blob store's questions to the chain: may this account read this
//! private blob through this job, and which blobs do live jobs need.
//!
//! A private blob of a job's client may be read by the job's provider and
//! its assigned verifiers while the job is live (and by every registered
//! provider while it is open, as each must check a job before it claims it
//! and each may claim it), and only if the job's
//! client is one of the blob's owners (an account that uploaded its bytes):
//! a stranger who posts a job naming someone else's digest becomes that
//! job's client, not an owner of the blob, and gains nothing.

use std::collections::HashSet;

use futures::future::BoxFuture;
use hypha_blobstore::{Account, Authorizer, Digest};
use hypha_client::{query, Client, JobStatus};

/// Answers from a node's finalized state, and from its best block where
/// the finalized state says no: a job submitted or claimed a block ago is
/// read by its provider before GRANDPA finalizes it (seconds a client would
/// otherwise wait on every job). A party the best block names is a party the
/// job's own client put on chain; a re-org that drops it leaves the client's
/// submission in the pool, not a stranger's read.
#[derive(Clone)]
pub struct ChainAuthorizer {
	client: Client,
	best: std::sync::Arc<std::sync::Mutex<Option<hypha_client::subxt::config::substrate::H256>>>,
}

impl ChainAuthorizer {
	/// Asks the node `client` is connected to, following its best blocks in
	/// a task of its own (call it inside a tokio runtime).
	pub fn new(client: Client) -> Self {
		let best = std::sync::Arc::new(std::sync::Mutex::new(None));
		let (follower, latest) = (client.clone(), best.clone());
		tokio::spawn(async move {
			loop {
				match crate::blocks::BestBlocks::subscribe(&follower).await {
					Ok(mut blocks) => {
						while let Some(block) = blocks.next().await {
							if let Ok(block) = block {
								*latest.lock().unwrap_or_else(|p| p.into_inner()) =
									Some(block.hash);
							}
						}
					},
					Err(error) => tracing::debug!(%error, "following best blocks for read checks"),
				}
				tokio::time::sleep(std::time::Duration::from_secs(1)).await;
			}
		});
		Self { client, best }
	}
}

/// Whether `reader` may read the blob `digest` through `job`: the job names
/// the blob as its program or input, is not final, and `reader` is its
/// provider or one of its assigned verifiers, any registered provider while
/// the job is open, or (with `client_reads`) its client. `Ok(None)`: no such
/// job. Returns the job's client with the answer.
pub async fn job_party(
	client: &Client,
	job: u64,
	digest: &Digest,
	reader: Account,
	client_reads: bool,
) -> Result<Option<(bool, Account)>, String> {
	job_party_at(client, None, job, digest, reader, client_reads).await
}

/// [`job_party`] as of block `at` (the finalized block if `None`).
pub async fn job_party_at(
	client: &Client,
	at: Option<hypha_client::subxt::config::substrate::H256>,
	job: u64,
	digest: &Digest,
	reader: Account,
	client_reads: bool,
) -> Result<Option<(bool, Account)>, String> {
	let record = match at {
		Some(block) => query::job_at(client, block, job).await,
		None => query::job(client, job).await,
	};
	let Some(record) = record.map_err(|e| e.to_string())? else {
		return Ok(None);
	};
	let spec = &*record.spec;
	let names_blob = spec.program_digest == digest.0 || spec.input_digest == digest.0;
	if !names_blob || record.status.is_final() {
		return Ok(Some((false, record.client.0)));
	}
	let is_client = client_reads && record.client.0 == reader;
	let account = hypha_client::AccountId::from(reader);
	let mut party = is_client || record.status.is_live_party(&account);
	if !party && matches!(*record.status, JobStatus::Open { .. }) && record.client.0 != reader {
		// A provider checks a job's blobs before it claims (a claim of a job
		// it cannot do would cost its collateral), and any bonded provider
		// may claim an open job: so every registered provider may read them.
		party = query::provider_capabilities(client, &account)
			.await
			.map_err(|e| e.to_string())?
			.is_some();
	}
	Ok(Some((party, record.client.0)))
}

impl Authorizer for ChainAuthorizer {
	fn may_read(
		&self,
		job: u64,
		digest: Digest,
		reader: Account,
		owners: Vec<Account>,
	) -> BoxFuture<'static, Result<bool, String>> {
		let client = self.client.clone();
		let best = *self.best.lock().unwrap_or_else(|p| p.into_inner());
		Box::pin(async move {
			let allowed = |answer: Option<(bool, Account)>| match answer {
				Some((party, job_client)) => party && owners.contains(&job_client),
				None => false,
			};
			if allowed(job_party(&client, job, &digest, reader, false).await?) {
				return Ok(true);
			}
			match best {
				Some(block) => Ok(allowed(
					job_party_at(&client, Some(block), job, &digest, reader, false).await?,
				)),
				None => Ok(false),
			}
		})
	}

	fn needed(&self) -> BoxFuture<'static, Result<HashSet<Digest>, String>> {
		let client = self.client.clone();
		Box::pin(async move {
			let live = query::live_jobs(&client).await.map_err(|e| e.to_string())?;
			Ok(live
				.iter()
				.flat_map(|(_, job)| {
					[Digest(job.spec.program_digest), Digest(job.spec.input_digest)]
				})
				.collect())
		})
	}
}
