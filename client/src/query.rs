//! Reading the chain's state: at the latest finalized block, or at a
//! block named by its hash (a best block a daemon follows, the block that
//! included its call).

use subxt::config::substrate::H256;

use crate::{api, AccountId, Balance, Client, Error, Job, JobId, JobParams, OrClientError};

/// The job `job`, if it exists.
pub async fn job(client: &Client, job: JobId) -> Result<Option<Job>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().jobs().jobs()).or_client()?;
	match entry.try_fetch((job,)).await.or_client()? {
		Some(value) => Ok(Some(value.decode().or_client()?)),
		None => Ok(None),
	}
}

/// The job `job` as of the block `block` (a block of the best chain, not
/// final yet: what a daemon acting on inclusion reads).
pub async fn job_at(client: &Client, block: H256, job: JobId) -> Result<Option<Job>, Error> {
	let at = client.at_block(block).await.or_client()?;
	let entry = at.storage().entry(api::storage().jobs().jobs()).or_client()?;
	match entry.try_fetch((job,)).await.or_client()? {
		Some(value) => Ok(Some(value.decode().or_client()?)),
		None => Ok(None),
	}
}

/// Every job that has not ended, with its id, in id order: found through
/// the jobs pallet's agenda (every job that has not ended has a timed step
/// waiting there or in its overflow), so the cost is that of the jobs
/// alive, not of every job the chain ever had. What a daemon reads at
/// startup; after that it follows events.
pub async fn live_jobs(client: &Client) -> Result<Vec<(JobId, Job)>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let mut ids = std::collections::BTreeSet::new();
	let agenda = at.storage().entry(api::storage().jobs().agenda()).or_client()?;
	let mut iter = agenda.iter(()).await.or_client()?;
	while let Some(item) = iter.next().await {
		let steps = item.or_client()?.value().decode().or_client()?;
		ids.extend(steps.0.iter().map(|(job, _)| *job));
	}
	let overflow = at.storage().entry(api::storage().jobs().overflow()).or_client()?;
	ids.extend(
		overflow
			.fetch(())
			.await
			.or_client()?
			.decode()
			.or_client()?
			.0
			.iter()
			.map(|(_, job, _)| *job),
	);
	let jobs = at.storage().entry(api::storage().jobs().jobs()).or_client()?;
	// The agenda also holds steps of jobs that have ended (an `Expire` left
	// behind by a claim is skipped when its block comes), so there may be
	// many more ids than live jobs: read them 32 at a time, not one after
	// the other (a restarted daemon spent half a minute here).
	let reads = ids.into_iter().map(|id| {
		let jobs = &jobs;
		async move {
			match jobs.try_fetch((id,)).await.or_client()? {
				Some(value) => Ok::<_, Error>(Some((id, value.decode().or_client()?))),
				None => Ok(None),
			}
		}
	});
	let mut read: Vec<(JobId, Job)> = Vec::new();
	let mut stream = futures::StreamExt::buffer_unordered(futures::stream::iter(reads), 32);
	while let Some(found) = futures::StreamExt::next(&mut stream).await {
		if let Some((id, job)) = found? {
			if !job.status.is_final() {
				read.push((id, job));
			}
		}
	}
	read.sort_by_key(|(id, _)| *id);
	Ok(read)
}

/// Every job with its id, in id order (the chain's whole history: for
/// tools and tests, not for daemons).
pub async fn all_jobs(client: &Client) -> Result<Vec<(JobId, Job)>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().jobs().jobs()).or_client()?;
	let mut iter = entry.iter(()).await.or_client()?;
	let mut jobs = Vec::new();
	while let Some(item) = iter.next().await {
		let item = item.or_client()?;
		let (id,) = item.key().or_client()?.decode().or_client()?;
		jobs.push((id, item.value().decode().or_client()?));
	}
	jobs.sort_by_key(|(id, _)| *id);
	Ok(jobs)
}

/// The marketplace parameters.
pub async fn params(client: &Client) -> Result<JobParams, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().jobs().params()).or_client()?;
	entry.fetch(()).await.or_client()?.decode().or_client()
}

/// The most the verifiers of a job can be paid under `params`: what the
/// jobs pallet reserves from the budget when a provider claims
/// ([`hypha_primitives::max_verifier_fees`]).
pub fn max_verifier_fees(params: &JobParams) -> Balance {
	hypha_primitives::max_verifier_fees(params.verifier_fee, params.dispute_verifiers)
}

/// The offer `provider` registered, `None` if it is no provider.
pub async fn provider_capabilities(
	client: &Client,
	provider: &AccountId,
) -> Result<Option<crate::ProviderCapabilities>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().stake().providers()).or_client()?;
	match entry.try_fetch((*provider,)).await.or_client()? {
		Some(info) => Ok(Some(info.decode().or_client()?.capabilities.0)),
		None => Ok(None),
	}
}

/// The registered verifiers, in the stake pallet's order.
pub async fn verifiers(client: &Client) -> Result<Vec<AccountId>, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().stake().verifiers()).or_client()?;
	Ok(entry.fetch(()).await.or_client()?.decode().or_client()?.0)
}

/// The free balance of `account`.
pub async fn free_balance(client: &Client, account: &AccountId) -> Result<Balance, Error> {
	let at = client.at_current_block().await.or_client()?;
	let entry = at.storage().entry(api::storage().system().account()).or_client()?;
	let info = entry.fetch((*account,)).await.or_client()?.decode().or_client()?;
	Ok(info.data.free)
}
