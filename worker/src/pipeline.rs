//! The job pipeline: from a candidate job to a committed result.
//!
//! 1. check the offer (open, not our own, a kind we run, a budget that
//!    covers our price and the verifier fees);
//! 2. fetch the program and input, digest-checked ([`hypha_agent::fetch`]),
//!    and check they fit in the memory offered;
//! 3. rebuild the job from them ([`hypha_agent::load::load_job`]: on a
//!    blocking thread, given up after a minute) and check
//!    that the compute units it declares are the ones its shapes give and
//!    that its output fits the bound it declares;
//! 4. claim it (recorded in the state directory first), once some verifier
//!    could audit it and this worker's pace says it can finish it in its
//!    result window behind the jobs already queued on its device; the job
//!    is read from the best block the worker follows, and computing starts
//!    as soon as a best block includes the claim, not at its finality;
//! 5. serve its program and input to its auditors (`/blobs/{digest}`) until
//!    it ends, wait for a compute slot on the device, compute, store the
//!    output on disk, serve it to the client;
//! 6. read the job again at the best block: if the chain no longer holds
//!    the claim (a re-org dropped it), the work is dropped (no commitment is
//!    sent, nothing is lost but the compute); else commit
//!    `digest_commitment(job, provider, output_digest)`. The attempt ends on
//!    the commitment's inclusion; its finality is watched in the background.
//!
//! Several attempts run at once (`max_jobs`); their calls pipeline through
//! the process's nonces ([`hypha_client::chain::submit_in_block`]).

use std::sync::atomic::Ordering;

use anyhow::{Context, Result};
use hypha_agent::fetch::{fetch_blob, FetchError};
use hypha_client::amount::format_hypha;
use hypha_client::{api, chain, query, Job, JobStatus};
use hypha_primitives::{JobId, MAX_INPUT_BYTES};

use crate::registration::fits_in_memory;
use crate::serve::{ServedOutput, ServedStream};
use crate::state::{HeldJob, Phase};
use crate::Shared;

/// How an attempt at a job ended.
#[derive(Debug)]
pub(crate) enum Attempt {
	/// The result is computed and its commitment is on its way to the chain.
	Committing,
	/// Not for this worker: claimed by another, no longer open, not its kind,
	/// or a budget below its price. Not retried unless the job reopens.
	Skipped(String),
	/// Its blobs do not match the job, do not form a valid job, or declare
	/// other work than they hold. Never retried.
	Refused(String),
	/// A blob store did not answer, or no verifier could audit the job yet;
	/// retried at a later block.
	Retry(String),
	/// The job was claimed but could not be finished.
	Failed(String),
}

/// Takes a job from candidate to committed result (or resumes one this
/// worker holds).
pub(crate) async fn attempt(shared: &Shared, job: JobId, resuming: bool) -> Attempt {
	match attempt_inner(shared, job, resuming).await {
		Ok(outcome) => outcome,
		Err(error) => Attempt::Failed(format!("{error:#}")),
	}
}

async fn attempt_inner(shared: &Shared, job: JobId, resuming: bool) -> Result<Attempt> {
	let Some(record) = shared.read_job(job).await? else {
		return Ok(Attempt::Skipped("no such job".into()));
	};
	// A candidate already assigned to this worker: a claim it sent before a
	// restart landed after the restarted worker read the chain. Finish it
	// (claiming again would fail, and the deadline would cost the penalty).
	let resuming = resuming || assigned_to(&record.status, &shared.account);
	let kind = record.spec.kind;
	if !resuming {
		if let Some(skip) = check_offer(shared, &record).await? {
			return Ok(Attempt::Skipped(skip));
		}
		// A job this worker cannot finish in its result window would cost it
		// a missed-deadline penalty: its pace so far says how long it takes,
		// behind the jobs already waiting for the device (back-pressure).
		// Checked before fetching, so that a job retried at every block while
		// the queue is full does not download its blobs every time.
		let window = u64::from(record.result_window);
		let queued =
			shared.queued_units.load(Ordering::Relaxed) / shared.config.compute_slots.max(1) as u64;
		let units = record.spec.compute_units;
		if let Some(needed) = shared.pace().blocks_needed(units.saturating_add(queued)) {
			if needed > window {
				return Ok(Attempt::Retry(format!(
					"at this worker's pace the job needs about {needed} blocks behind the {queued} units queued, its result window is {window}"
				)));
			}
		}
	}
	tracing::info!(job, %kind, units = record.spec.compute_units, "fetching the program and input");
	let spec = &*record.spec;
	let program = match fetch_blob(
		&spec.program_uri,
		&spec.program_digest,
		MAX_INPUT_BYTES,
		Some((&shared.signer, job)),
	)
	.await
	{
		Ok(bytes) => bytes,
		Err(error) => return Ok(fetch_outcome(error, "program", resuming)),
	};
	let input = match fetch_blob(
		&spec.input_uri,
		&spec.input_digest,
		MAX_INPUT_BYTES,
		Some((&shared.signer, job)),
	)
	.await
	{
		Ok(bytes) => bytes,
		Err(error) => return Ok(fetch_outcome(error, "input", resuming)),
	};
	let refuse = |why: String| if resuming { Attempt::Failed(why) } else { Attempt::Refused(why) };
	if !fits_in_memory(
		program.len() as u64,
		input.len() as u64,
		u64::from(spec.max_output_bytes),
		shared.memory_mib,
	) {
		return Ok(Attempt::Skipped(format!(
			"the job needs more than the {} MiB this worker offers",
			shared.memory_mib
		)));
	}
	let limit = hypha_agent::load::LOAD_TIMEOUT;
	let (compute_job, program, input) =
		match hypha_agent::load::load_job(kind, program, input, limit).await {
			Ok(loaded) => loaded,
			Err(error) => return Ok(refuse(error.to_string())),
		};
	// A language model's KV cache and temporaries come on top of its blobs.
	let working = hypha_compute::package::working_bytes(&compute_job);
	if working > 0
		&& !fits_in_memory(
			program.len() as u64,
			(input.len() as u64).saturating_add(working),
			u64::from(spec.max_output_bytes),
			shared.memory_mib,
		) {
		return Ok(Attempt::Skipped(format!(
			"the job needs {working} bytes of working memory besides its blobs, more than the {} MiB this worker offers",
			shared.memory_mib
		)));
	}
	let counted = hypha_compute::package::compute_units(&compute_job);
	if counted != spec.compute_units {
		return Ok(refuse(format!(
			"the job declares {} compute units, its program and input hold {counted}",
			spec.compute_units
		)));
	}
	let output_bytes = hypha_compute::package::output_bytes(&compute_job);
	if output_bytes > u64::from(spec.max_output_bytes) {
		// A job that cannot meet its own output bound would only cost this
		// worker its collateral at the deadline.
		return Ok(refuse(format!(
			"the job's output has {output_bytes} bytes, more than the {} it allows",
			spec.max_output_bytes
		)));
	}
	if let Some(key) = &spec.output_key {
		// A key nothing can be sealed to (a low-order point) would only
		// cost this worker its collateral once the output is computed.
		if let Err(error) = hypha_agent::seal::seal(job, key, &[]) {
			return Ok(refuse(format!("the job's output key is unusable: {error}")));
		}
	}
	tracing::info!(
		job,
		program_bytes = program.len(),
		input_bytes = input.len(),
		"program and input match their digests"
	);

	// The claim's inclusion, kept to learn its finality if the chain seems
	// to have lost it (`None` when resuming a claim the chain finalized).
	let mut claim: Option<chain::Included> = None;
	if !resuming {
		// The chain refuses a claim while nobody could audit the job
		// (`NoVerifier`): waiting for a verifier costs nothing, a refused
		// claim a fee. Checked last, so that a job this worker would refuse
		// anyway is refused now.
		let verifiers = query::verifiers(&shared.client).await?;
		if !verifiers.iter().any(|who| *who != shared.account && *who != record.client) {
			return Ok(Attempt::Retry("no verifier could audit it yet".into()));
		}
		let held = HeldJob { phase: Phase::Claiming, client: record.client.0, sealed_digest: None };
		shared.state().put(job, held.clone())?;
		// Computing starts on the claim's inclusion in a best block: the
		// commitment is checked against the chain before it is sent.
		match chain::submit_in_block(
			&shared.client,
			&api::tx().jobs().claim_job(job),
			&shared.signer,
		)
		.await
		{
			Ok(included) => {
				shared.metrics.claimed.inc();
				shared.state().put(job, HeldJob { phase: Phase::Claimed, ..held })?;
				tracing::info!(job, block = %included.block, "claimed (in a best block; computing now)");
				claim = Some(included);
			},
			Err(error) => {
				shared.state().forget(job)?;
				return Ok(match error.error_name() {
					Some(_) => Attempt::Skipped(error.to_string()),
					None => Attempt::Retry(error.to_string()),
				});
			},
		}
	}

	// From now until the job ends, its auditors can fetch its program and
	// input from this worker too (the client may stop serving them).
	shared.hold_inputs(job, vec![(spec.program_digest, program), (spec.input_digest, input)]);

	#[cfg(feature = "faults")]
	if shared.faults.compute_delay_ms > 0 {
		tokio::time::sleep(std::time::Duration::from_millis(shared.faults.compute_delay_ms)).await;
	}
	// Wait for the device: `compute_slots` jobs compute at once.
	let units = spec.compute_units;
	shared.queued_units.fetch_add(units, Ordering::Relaxed);
	let permit = shared.device.clone().acquire_owned().await;
	shared.queued_units.fetch_sub(units, Ordering::Relaxed);
	let _permit = permit.map_err(|_| anyhow::anyhow!("the device queue closed"))?;
	shared.metrics.computing.inc();
	tracing::info!(job, %kind, backend = %shared.backend.describe(), "computing");
	// A generate job's tokens go to its client as they come (a preview:
	// the client checks them against the commitment).
	let feed = (kind == hypha_primitives::WorkloadKind::Generate).then(|| {
		#[cfg(feature = "faults")]
		let feed = hypha_agent::stream::Feed::slowed(std::time::Duration::from_millis(
			shared.faults.token_delay_ms,
		));
		#[cfg(not(feature = "faults"))]
		let feed = hypha_agent::stream::Feed::new();
		let served =
			ServedStream { client: record.client.0, key: spec.output_key, feed: feed.clone() };
		shared.streams.write().unwrap_or_else(|p| p.into_inner()).insert(job, served);
		feed
	});
	let ran =
		hypha_agent::progress::run_job_streaming(job, compute_job, &shared.backend, feed.clone())
			.await;
	if let Some(feed) = &feed {
		// Also when the compute thread panicked: the readers learn the end.
		feed.finish();
	}
	shared.metrics.computing.dec();
	drop(_permit);
	let (output, seconds) = ran?;
	shared.metrics.compute_seconds.inc_by(seconds);
	shared.pace().observe(spec.compute_units, seconds);
	let bytes = output.canonical_bytes();
	anyhow::ensure!(
		bytes.len() as u64 <= u64::from(spec.max_output_bytes),
		"the output has {} bytes, the job allows {}",
		bytes.len(),
		spec.max_output_bytes
	);
	let digest = output.digest();
	tracing::info!(job, seconds = format!("{seconds:.3}"), output_bytes = bytes.len(), digest = %format!("0x{}", hex::encode(digest)), "computed");
	let served_digest = digest;
	#[cfg(feature = "faults")]
	let digest = if shared.faults.cheat {
		tracing::warn!(job, "fault injection: committing a wrong digest");
		let mut wrong = digest;
		wrong[0] ^= 0xff;
		wrong
	} else {
		digest
	};

	// Sealed to the client if the job names its key: the endpoint and the
	// copy in the client's store hold only ciphertext. The commitment and
	// the receipt bind the plaintext's digest.
	let bytes = match &spec.output_key {
		Some(key) => hypha_agent::seal::seal(job, key, &bytes)?,
		None => bytes,
	};
	let sealed_digest = spec.output_key.map(|_| hex::encode(served_digest));
	{
		let mut state = shared.state();
		state.write_output(job, &bytes)?;
		state
			.put(job, HeldJob { phase: Phase::Computed, client: record.client.0, sealed_digest })?;
	}
	// A copy in the client's store (where the program came from), private to
	// the client, so that it can fetch the output after this worker is gone.
	// In the background, beside the commitment: the store is the client's,
	// and a store that stalls (a tarpit) must not make this worker miss its
	// deadline and lose its collateral.
	#[cfg(feature = "faults")]
	let withhold = shared.faults.withhold_output;
	#[cfg(not(feature = "faults"))]
	let withhold = false;
	if withhold {
		tracing::warn!(job, "fault injection: withholding the output");
	} else {
		if let Some(store) = hypha_agent::output::client_store(spec) {
			let (signer, client, bytes) = (shared.signer.clone(), record.client.0, bytes.clone());
			tokio::spawn(async move {
				hypha_agent::output::deposit_within("provider", &store, &signer, job, client, bytes)
					.await
			});
		}
		shared.serve(job, record.client.0, bytes.into(), &served_digest);
	}

	match still_held(shared, job, claim).await? {
		Held::Assigned => {},
		Held::AlreadyCommitted => {
			// A resumed job whose commitment landed before the restart.
			tracing::info!(job, "the chain already holds this worker's commitment");
			return Ok(Attempt::Committing);
		},
		Held::Lost(now) => {
			// A claim that a re-org dropped for good is not on chain: the job
			// is open again (or someone else's). Committing would only cost
			// a fee; the work is dropped, and nothing else is lost (the
			// chain never held the claim, so no deadline penalty follows).
			shared.metrics.dropped.inc();
			shared.state().forget(job)?;
			shared.outputs.write().unwrap_or_else(|p| p.into_inner()).remove(&job);
			shared.drop_inputs(job);
			return Ok(Attempt::Retry(format!(
				"the chain no longer holds this worker's claim (the job is {now}): work dropped"
			)));
		},
	}
	let commitment = hypha_client::commitment(job, &shared.account, &digest);
	let output_uri = format!("{}/jobs/{job}/output", shared.public_url);
	let call = api::tx().jobs().submit_result(job, commitment, hypha_client::uri_arg(&output_uri));
	// The attempt ends when a best block includes the commitment; its
	// finality is watched in the background.
	let included = chain::submit_in_block(&shared.client, &call, &shared.signer)
		.await
		.context("committing the result")?;
	shared.metrics.committed.inc();
	tracing::info!(job, block = %included.block, "result committed (in a best block); waiting for settlement");
	let watcher = shared.clone();
	let finality = tokio::spawn(async move {
		let shared = watcher;
		match included.finalized().await {
			Ok(_) => {
				let mut state = shared.state();
				if let Some(mut held) = state.get(job).cloned() {
					held.phase = Phase::Committed;
					if let Err(error) = state.put(job, held) {
						tracing::warn!(job, %error, "recording the commitment");
					}
				}
			},
			Err(error) => {
				// A re-org dropped it and the pool did not include it again:
				// while the job is still this worker's, send it once more
				// (the output is on disk and served; the deadline stands).
				tracing::warn!(job, %error, "the commitment did not reach a finalized block");
				let status = query::job(&shared.client, job).await.ok().flatten();
				if status.is_some_and(|record| assigned_to(&record.status, &shared.account)) {
					match chain::submit(&shared.client, &call, &shared.signer).await {
						Ok(_) => tracing::info!(job, "result committed again"),
						Err(error) => {
							tracing::error!(job, %error, "committing the result again failed")
						},
					}
				}
			},
		}
	});
	let mut background = shared.background.lock().unwrap_or_else(|p| p.into_inner());
	// Only the watchers still running are kept, not one per job ever.
	background.retain(|task| !task.is_finished());
	background.push(finality);
	Ok(Attempt::Committing)
}

/// Whether `status` is a job assigned to `account` that waits for its result.
fn assigned_to(status: &JobStatus, account: &hypha_client::AccountId) -> bool {
	matches!(status, JobStatus::Assigned { provider, .. } if provider == account)
}

/// Where this worker's claim on a computed job stands, just before committing.
enum Held {
	/// The job is assigned to it and waits for its result: commit.
	Assigned,
	/// Its commitment is already on chain (a job resumed after a restart).
	AlreadyCommitted,
	/// The chain does not hold the claim; the job's status, by name.
	Lost(String),
}

/// How often, and how many times, [`still_held`] reads a job again at the
/// best block before it waits for its claim's finality.
const CLAIM_LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
const CLAIM_LOOKS: u32 = 8;

/// Reads the job at the best block. If it does not look assigned to this
/// worker there, that may be a re-org to a fork that does not include the
/// claim *yet*: the claim is still in the pool and may land again, and
/// dropping the work then would cost the deadline penalty. So the claim's
/// finality decides (`claim`: its inclusion; `None` for a claim the chain
/// had finalized when the worker resumed it), then the finalized state.
async fn still_held(shared: &Shared, job: JobId, claim: Option<chain::Included>) -> Result<Held> {
	let judge = |record: Option<Job>| match record.map(|record| record.status) {
		Some(status) if assigned_to(&status, &shared.account) => Held::Assigned,
		Some(status) if status.provider() == Some(&shared.account) && !status.is_final() => {
			Held::AlreadyCommitted
		},
		status => Held::Lost(status.map_or("gone".to_string(), |s| s.name().to_string())),
	};
	let mut at_best = judge(shared.read_job(job).await?);
	// A job that computes in milliseconds is done before this worker's
	// follower has taken the block that included its claim as its best:
	// look again for a couple of blocks before waiting for the claim's
	// finality (which cost such a job about four blocks).
	let mut looks = 0;
	while matches!(at_best, Held::Lost(_)) && claim.is_some() && looks < CLAIM_LOOKS {
		tokio::time::sleep(CLAIM_LOOK_EVERY).await;
		at_best = judge(shared.read_job(job).await?);
		looks += 1;
	}
	if !matches!(at_best, Held::Lost(_)) {
		return Ok(at_best);
	}
	if let Some(claim) = claim {
		if let Err(error) = claim.finalized().await {
			tracing::warn!(job, %error, "the claim did not reach a finalized block");
		}
	}
	Ok(judge(query::job(&shared.client, job).await?))
}

fn fetch_outcome(error: FetchError, what: &str, resuming: bool) -> Attempt {
	match error {
		FetchError::Unavailable(why) if !resuming => Attempt::Retry(format!("{what}: {why}")),
		FetchError::Unavailable(why) => Attempt::Failed(format!("{what}: {why}")),
		other if !resuming => Attempt::Refused(format!("{what}: {other}")),
		other => Attempt::Failed(format!("{what}: {other}")),
	}
}

/// Why this worker will not take the job, if it will not.
async fn check_offer(shared: &Shared, record: &Job) -> Result<Option<String>> {
	if !matches!(*record.status, JobStatus::Open { .. }) {
		return Ok(Some(format!("the job is {}", record.status.name())));
	}
	if record.client == shared.account {
		return Ok(Some("own job".into()));
	}
	if !shared.config.job_kinds.contains(&record.spec.kind) {
		return Ok(Some(format!("{} jobs are not offered", record.spec.kind)));
	}
	let params = query::params(&shared.client).await?;
	let price = shared.config.price_per_unit.saturating_mul(u128::from(record.spec.compute_units));
	let cost = price.saturating_add(query::max_verifier_fees(&params));
	if cost > record.budget {
		return Ok(Some(format!(
			"budget {} is below price {} plus verifier fees",
			format_hypha(record.budget),
			format_hypha(price)
		)));
	}
	Ok(None)
}

impl Shared {
	/// Serves `bytes` (whose blake2-256 is `digest`) as `job`'s output to
	/// `client`, with a receipt.
	pub(crate) fn serve(
		&self,
		job: JobId,
		client: [u8; 32],
		bytes: std::sync::Arc<[u8]>,
		digest: &[u8; 32],
	) {
		let receipt = hypha_agent::output::sign_receipt(&self.receipt_key, job, digest);
		self.outputs
			.write()
			.unwrap_or_else(|p| p.into_inner())
			.insert(job, ServedOutput { client, bytes, receipt });
	}
}

/// How fast this worker computes, learned from the jobs it ran: seconds per
/// compute unit, the slowest recent rate (a job runs no faster than the
/// slowest of the last few, with a margin, before it is claimed).
#[derive(Debug, Default)]
pub(crate) struct Pace {
	/// Seconds per compute unit of the most recent jobs, newest last.
	recent: std::collections::VecDeque<f64>,
}

impl Pace {
	/// How many rates it remembers.
	const KEPT: usize = 8;
	/// Blocks a job needs besides computing: fetching its blobs, the claim's
	/// inclusion, the commitment's.
	const OVERHEAD_BLOCKS: u64 = 4;
	/// Margin on the computing time.
	const MARGIN: f64 = 2.0;

	/// Records a job of `units` that took `seconds`.
	pub(crate) fn observe(&mut self, units: u64, seconds: f64) {
		if units == 0 || !seconds.is_finite() || seconds < 0.0 {
			return;
		}
		if self.recent.len() == Self::KEPT {
			self.recent.pop_front();
		}
		self.recent.push_back(seconds / units as f64);
	}

	/// Blocks a job of `units` needs from claim to commitment at this pace,
	/// `None` before the first job (nothing is known yet).
	pub(crate) fn blocks_needed(&self, units: u64) -> Option<u64> {
		let slowest = self
			.recent
			.iter()
			.copied()
			.fold(None, |max: Option<f64>, rate| Some(max.map_or(rate, |max| max.max(rate))))?;
		let block_seconds = hypha_primitives::MILLISECS_PER_BLOCK as f64 / 1000.0;
		let computing = (units as f64 * slowest * Self::MARGIN / block_seconds).ceil();
		Some((computing as u64).saturating_add(Self::OVERHEAD_BLOCKS))
	}
}

#[cfg(test)]
mod tests {
	use super::Pace;

	#[test]
	fn the_deadline_trap_a_job_longer_than_its_window_at_this_workers_pace_is_not_claimed() {
		let mut pace = Pace::default();
		assert_eq!(pace.blocks_needed(1_000), None, "nothing known before the first job");
		// 100 units in 5 s: 0.05 s per unit.
		pace.observe(100, 5.0);
		// 1000 units: 50 s, doubled, plus 4 blocks of overhead.
		assert_eq!(pace.blocks_needed(1_000), Some(104));
		// A faster job later does not hide the slow one.
		pace.observe(100, 0.5);
		assert_eq!(pace.blocks_needed(1_000), Some(104));
		// Small jobs need little more than the overhead.
		assert_eq!(pace.blocks_needed(1), Some(5));
		// Nonsense observations are ignored.
		pace.observe(0, 1.0);
		pace.observe(10, f64::NAN);
		assert_eq!(pace.recent.len(), 2);
	}

	#[test]
	fn the_pace_forgets_old_jobs() {
		let mut pace = Pace::default();
		pace.observe(1, 100.0);
		for _ in 0..Pace::KEPT {
			pace.observe(100, 1.0);
		}
		assert_eq!(pace.blocks_needed(100), Some(2 + Pace::OVERHEAD_BLOCKS));
	}
}
