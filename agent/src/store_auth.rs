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

/// Answers from a node's finalized state.
#[derive(Clone)]
pub struct ChainAuthorizer {
	client: Client,
}

impl ChainAuthorizer {
	/// Asks the node `client` is connected to.
	pub fn new(client: Client) -> Self {
		Self { client }
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
	let Some(record) = query::job(client, job).await.map_err(|e| e.to_string())? else {
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
		Box::pin(async move {
			Ok(match job_party(&client, job, &digest, reader, false).await? {
				Some((party, job_client)) => party && owners.contains(&job_client),
				None => false,
			})
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
