//! # hypha-verifier
//!
//! The verifier daemon of the Hypha marketplace: it stakes HYPHA, re-executes
//! the jobs the chain assigns to it and submits the output digest it gets.
//!
//! What [`run`] does:
//!
//! 1. loads the verifier's key, connects, and registers as a verifier with a
//!    bond unless the account already is one;
//! 2. follows the best blocks for work: an `AuditAssigned` naming this
//!    verifier, a `DisputeOpened` whose panel includes it, or a
//!    `RevealOpened` of a dispute it sits on queues the job, read as of that
//!    block (at startup, jobs still waiting for its verdict are queued too,
//!    by [`hypha_client::JobStatus::verdict_due`], the chain's own rule, from
//!    the jobs alive only); and the finalized blocks for what it counts
//!    (verdicts recorded, slashes, ends of jobs);
//! 3. for each queued job: fetches the program and input from the URIs of the
//!    job's spec (digest-checked, [`hypha_agent::fetch`]), builds the same
//!    compute job as the worker ([`hypha_agent::load::load_job`]), runs it,
//!    and answers what the chain asks of it: as auditor, a digest that backs
//!    the provider's commitment is revealed at once (`submit_verdict`) and
//!    one that does not is committed (`commit_verdict`, opening a dispute);
//!    on a panel, the digest is committed, then revealed in the reveal
//!    phase. The verifier never sees the provider's digest, and no seat sees
//!    another's before it has committed its own, so nobody can copy.
//!
//! A verifier whose output backs the provider's commitment first leaves its
//! own copy of the output in the client's store (sealed to the client's key
//! if the job names one), so that a provider that withholds its output is
//! never paid on a verdict while the client cannot read it (issue 11,
//! attack 10; the client forces such an audit with `report_undelivered`).
//!
//! Prometheus metrics at `/metrics` ([`metrics`]): audits and dispute seats
//! assigned, verdicts, agreements, disagreements, slashes, output copies
//! left in clients' stores and those that failed.
//!
//! Up to `max_audits` jobs are worked on at once, each its own task, with
//! `compute_slots` re-executions at a time on the device. A verdict acts on
//! its inclusion in a best block; its finality is watched in the
//! background, and a verdict a re-org dropped is queued again (the task
//! reads the chain first, so an answer already recorded is not sent twice).
//!
//! ## Layout
//!
//! [`config`], [`cli`] (flags; the binary's `main.rs` is three lines),
//! [`metrics`], and this file: the loop and the re-execution.
//!
//! ## Failure modes
//!
//! Startup errors end [`run`]. A job whose program or input comes from
//! neither the client's store nor the provider (after [`FETCH_ROUNDS`]
//! tries of both), arrives with the wrong digest, or does not form a job
//! (within [`hypha_agent::load::LOAD_TIMEOUT`]: a hostile model file cannot
//! stall the verifier past its deadline),
//! is answered [`INPUTS_UNAVAILABLE`], committed and revealed like any
//! verdict: a dispute panel tries the same sources, and if a majority of its
//! seats agree the job is refunded and no verifier loses anything (a
//! client and provider who withhold the inputs cannot drain the auditors'
//! stakes). A job that fails to run for another reason is logged and
//! counted as failed; without a verdict in the audit window the chain
//! penalizes the verifier (`no_show_slash`) and picks another. On
//! shutdown a re-execution in flight is abandoned; a restart finds the job
//! still waiting for its verdict and does it again.
//!
//! ## Feature `faults`
//!
//! Test-only misbehaviour ([`config::Faults`]: a lying verifier) for the
//! end-to-end tests' own verifier binary; the `hypha-verifier` binary has no
//! flag for it.

pub mod cli;
pub mod config;
pub mod metrics;

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hypha_agent::blocks::{BestBlocks, FinalizedBlocks};
use hypha_agent::fetch::fetch_blob;
use hypha_client::amount::format_hypha;
use hypha_client::subxt::config::substrate::H256;
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{api, chain, keys, query, AccountId, Client, Events};
use hypha_compute::Backend;
use hypha_primitives::{
	digest_commitment, Digest, JobId, VerdictDue, INPUTS_UNAVAILABLE, MAX_INPUT_BYTES,
};

pub use config::VerifierConfig;
use metrics::Metrics;

struct Shared {
	client: Client,
	signer: Keypair,
	account: AccountId,
	backend: Backend,
	metrics: Metrics,
	/// Digests computed and committed but not revealed yet, so that the
	/// reveal does not re-execute (after a restart it does).
	committed: std::sync::Mutex<std::collections::HashMap<JobId, Digest>>,
	/// The device's queue: `compute_slots` permits.
	device: Arc<tokio::sync::Semaphore>,
	/// Jobs whose verdict a re-org dropped, to answer again.
	requeue: tokio::sync::mpsc::UnboundedSender<JobId>,
	#[cfg(feature = "faults")]
	faults: config::Faults,
}

/// Runs the verifier until `shutdown` completes.
pub async fn run(config: VerifierConfig, shutdown: impl Future<Output = ()>) -> Result<()> {
	let signer = keys::load_signer(config.seed.as_deref(), config.key_file.as_deref())?;
	let account = keys::account_of(&signer);
	anyhow::ensure!(config.max_audits >= 1, "max_audits must be at least 1");
	anyhow::ensure!(config.compute_slots >= 1, "compute_slots must be at least 1");
	let backend = Backend::select(config.backend).context("selecting the compute backend")?;
	let listener = tokio::net::TcpListener::bind(config.metrics_listen)
		.await
		.with_context(|| format!("listening on {}", config.metrics_listen))?;
	let client =
		hypha_client::connect_with_retry(&config.node_url, Duration::from_secs(120)).await?;
	tracing::info!(account = %account, node = %config.node_url, "verifier starting");
	ensure_registered(&client, &signer, &account, config.bond).await?;

	let metrics = Metrics::new()?;
	let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
	tracing::info!(listen = %listener.local_addr()?, "serving metrics at /metrics");
	let server = hypha_agent::metrics::serve(
		listener,
		hypha_agent::metrics::router(metrics.registry.clone()),
		async {
			let _ = server_stopped.await;
		},
	);
	let (requeue, requeued) = tokio::sync::mpsc::unbounded_channel();
	let shared = Arc::new(Shared {
		client,
		signer,
		account,
		backend,
		metrics,
		committed: Default::default(),
		device: Arc::new(tokio::sync::Semaphore::new(config.compute_slots)),
		requeue,
		#[cfg(feature = "faults")]
		faults: config.faults.clone(),
	});
	#[cfg(feature = "faults")]
	if shared.faults.lie || shared.faults.verdict_delay_ms > 0 {
		tracing::warn!(faults = ?shared.faults, "fault injection on (end-to-end tests only)");
	}
	let result = follow(&shared, config.max_audits, requeued, shutdown).await;
	let _ = stop_server.send(());
	let _ = server.await;
	result
}

/// The main loop: assignments in, up to `max_audits` at once, until `shutdown`.
async fn follow(
	shared: &Arc<Shared>,
	max_audits: usize,
	mut requeued: tokio::sync::mpsc::UnboundedReceiver<JobId>,
	shutdown: impl Future<Output = ()>,
) -> Result<()> {
	// Subscribed before the state is read, so that no assignment falls in
	// between: one finalized before the read is in the state, one after it
	// comes in a finalized block (a restarted verifier missed the ones in
	// that gap and was slashed as absent).
	let mut best = BestBlocks::subscribe(&shared.client).await?;
	let mut finalized = FinalizedBlocks::subscribe(&shared.client).await?;
	// Each queued job with the best block it was seen in (`None`: the
	// finalized state, at startup).
	let mut queue: VecDeque<(JobId, Option<H256>)> =
		pending_at_startup(shared).await?.into_iter().map(|job| (job, None)).collect();
	let mut queued: HashSet<JobId> = queue.iter().map(|(job, _)| *job).collect();
	let mut in_flight: HashSet<JobId> = HashSet::new();
	// Jobs answered (or found to need no answer) since the start, until they
	// end: what the finalized blocks' assignments are checked against.
	let mut answered: HashSet<JobId> = HashSet::new();
	let mut tasks: tokio::task::JoinSet<(JobId, Result<()>)> = tokio::task::JoinSet::new();
	futures::pin_mut!(shutdown);
	loop {
		// A job already being answered waits for that task to finish (a
		// reveal opened while the commit is on its way).
		while tasks.len() < max_audits {
			let Some(index) = queue.iter().position(|(job, _)| !in_flight.contains(job)) else {
				break;
			};
			let Some((job, block)) = queue.remove(index) else { break };
			queued.remove(&job);
			in_flight.insert(job);
			let shared = shared.clone();
			tasks.spawn(async move { (job, verify(&shared, job, block).await) });
		}
		shared.metrics.in_flight.set(tasks.len() as i64);
		tokio::select! {
			_ = &mut shutdown => {
				tracing::info!("shutting down");
				break;
			},
			Some(finished) = tasks.join_next(), if !tasks.is_empty() => {
				match finished {
					Ok((job, Ok(()))) => { in_flight.remove(&job); answered.insert(job); },
					Ok((job, Err(error))) => {
						in_flight.remove(&job);
						tracing::error!(job, error = format!("{error:#}"), "verification failed");
						shared.metrics.failed.inc();
					},
					Err(error) => {
						tracing::error!(%error, "verification task panicked");
						shared.metrics.failed.inc();
					},
				}
			},
			Some(job) = requeued.recv() => {
				if queued.insert(job) {
					queue.push_back((job, None));
				}
			},
			block = best.next() => {
				let Some(block) = block else { anyhow::bail!("the node closed the best-block subscription") };
				let block = match block {
					Ok(block) => block,
					Err(error) => { tracing::warn!(%error, "reading a best block"); continue; },
				};
				match assigned_in(shared, &block.events) {
					Ok(jobs) => for job in jobs {
						if queued.insert(job) {
							queue.push_back((job, Some(block.hash)));
						}
					},
					Err(error) => tracing::warn!(%error, number = block.number, "reading a best block's events"),
				}
			},
			block = finalized.next() => {
				let Some(block) = block else { anyhow::bail!("the node closed the finalized-block subscription") };
				let block = match block {
					Ok(block) => block,
					Err(error) => { tracing::warn!(%error, "reading a finalized block"); continue; },
				};
				match count_finalized(shared, &block.events) {
					Ok(seen) => {
						for job in seen.ended {
							answered.remove(&job);
						}
						// An assignment never seen in a best block (it came
						// while this verifier was starting: after the state
						// it read, before its subscription), or whose answer
						// failed: answered now, at the finalized state, or
						// its deadline would cost the no-show slash.
						for job in seen.assigned {
							if !answered.contains(&job) && !in_flight.contains(&job) && queued.insert(job) {
								tracing::info!(job, "an assignment not answered yet, seen in a finalized block");
								queue.push_back((job, None));
							}
						}
					},
					Err(error) => tracing::warn!(%error, number = block.number, "reading a finalized block's events"),
				}
			},
		}
	}
	if !tasks.is_empty() {
		tracing::info!(
			jobs = tasks.len(),
			"stopped with re-executions in flight; a restart does them again"
		);
		tasks.abort_all();
	}
	Ok(())
}

async fn ensure_registered(
	client: &Client,
	signer: &Keypair,
	account: &AccountId,
	bond: u128,
) -> Result<()> {
	let at = client.at_current_block().await?;
	let existing = at
		.storage()
		.entry(api::storage().stake().verifier_bonds())?
		.try_fetch((*account,))
		.await?
		.map(|v| v.decode())
		.transpose()?;
	match existing {
		Some(bonded) => {
			tracing::info!(bonded = %format_hypha(bonded), "already registered as a verifier")
		},
		None => {
			tracing::info!(bond = %format_hypha(bond), "registering as a verifier");
			chain::submit(client, &api::tx().stake().register_verifier(bond), signer)
				.await
				.context("registering as a verifier")?;
		},
	}
	Ok(())
}

async fn pending_at_startup(shared: &Shared) -> Result<Vec<JobId>> {
	let jobs = query::live_jobs(&shared.client).await?;
	Ok(jobs
		.into_iter()
		.filter(|(_, job)| job.status.awaits_verdict_from(&shared.account))
		.map(|(id, _)| id)
		.collect())
}

/// The jobs a best block asks this verifier to answer.
fn assigned_in(shared: &Shared, events: &Events) -> Result<Vec<JobId>> {
	use api::jobs::events;
	let mut jobs = Vec::new();
	for event in events.find::<events::AuditAssigned>() {
		let event = event?;
		if event.verifier == shared.account {
			shared.metrics.assigned.inc();
			tracing::info!(job = event.job, deadline = event.deadline, "audit assigned");
			jobs.push(event.job);
		}
	}
	for event in events.find::<events::DisputeOpened>() {
		let event = event?;
		if event.panel.contains(&shared.account) {
			shared.metrics.assigned.inc();
			tracing::info!(job = event.job, deadline = event.deadline, "seat on a dispute panel");
			jobs.push(event.job);
		}
	}
	for event in events.find::<events::RevealOpened>() {
		let event = event?;
		if shared.committed.lock().map(|held| held.contains_key(&event.job)).unwrap_or(false) {
			tracing::info!(job = event.job, deadline = event.deadline, "reveal opened");
			jobs.push(event.job);
		}
	}
	Ok(jobs)
}

/// What a finalized block says to this verifier.
struct FinalizedSeen {
	/// Jobs that ended.
	ended: Vec<JobId>,
	/// Audits and panel seats assigned to this verifier.
	assigned: Vec<JobId>,
}

/// Counts a finalized block's verdicts and slashes of this verifier,
/// forgets what it committed for jobs that ended, and lists the jobs that
/// ended and the ones assigned to it.
fn count_finalized(shared: &Shared, events: &Events) -> Result<FinalizedSeen> {
	use api::jobs::events;
	let mut assigned = Vec::new();
	for event in events.find::<events::AuditAssigned>() {
		let event = event?;
		if event.verifier == shared.account {
			assigned.push(event.job);
		}
	}
	for event in events.find::<events::DisputeOpened>() {
		let event = event?;
		if event.panel.contains(&shared.account) {
			assigned.push(event.job);
		}
	}
	// A job that ended needs no reveal: forget what was committed for it.
	let mut ended: Vec<JobId> = Vec::new();
	for event in events.find::<events::JobSettled>() {
		ended.push(event?.job);
	}
	for event in events.find::<events::JobRefunded>() {
		ended.push(event?.job);
	}
	for event in events.find::<events::ProviderSlashed>() {
		ended.push(event?.job);
	}
	if let Ok(mut held) = shared.committed.lock() {
		for job in &ended {
			held.remove(job);
		}
	}
	for event in events.find::<events::VerdictSubmitted>() {
		let event = event?;
		if event.verifier == shared.account {
			if event.agrees {
				shared.metrics.agreements.inc();
			} else {
				shared.metrics.disagreements.inc();
			}
			tracing::info!(job = event.job, agrees = event.agrees, "verdict recorded");
		}
	}
	for event in events.find::<events::VerifierSlashed>() {
		let event = event?;
		if event.verifier == shared.account {
			shared.metrics.slashed.inc();
			tracing::warn!(job = event.job, slashed = %format_hypha(event.slashed), "lost a dispute: slashed");
		}
	}
	for event in events.find::<events::VerifierAbsent>() {
		let event = event?;
		if event.verifier == shared.account {
			shared.metrics.slashed.inc();
			tracing::warn!(job = event.job, slashed = %format_hypha(event.slashed), "missed a verdict deadline");
		}
	}
	Ok(FinalizedSeen { ended, assigned })
}

/// Answers what `job` waits for from this verifier: re-executes it (or
/// takes the digest it committed) and reveals or commits it.
async fn verify(shared: &Shared, job: JobId, block: Option<H256>) -> Result<()> {
	let record = match block {
		Some(block) => match query::job_at(&shared.client, block, job).await {
			Ok(record) => record,
			Err(_) => query::job(&shared.client, job).await?,
		},
		None => query::job(&shared.client, job).await?,
	};
	let record = record.context("the job vanished")?;
	let Some(due) = record.status.verdict_due(&shared.account) else {
		// A `RevealOpened` for a dispute this verifier holds no commitment in
		// lands here too (it is checked against the chain, not the cache).
		tracing::info!(job, status = record.status.name(), "no verdict needed any more");
		return Ok(());
	};
	let cached = shared.committed.lock().ok().and_then(|held| held.get(&job).copied());
	let digest = match cached {
		Some(digest) => digest,
		None => reexecute(shared, job, &record).await?,
	};
	let reveal = match (&due, &*record.status) {
		// "Unavailable" never confirms, even a provider that committed it
		// (the chain refuses that): it is committed, opening a dispute.
		(VerdictDue::Audit, hypha_client::JobStatus::Audit { provider, commitment, .. }) => {
			digest != INPUTS_UNAVAILABLE && digest_commitment(job, provider, &digest) == *commitment
		},
		(VerdictDue::Reveal, _) => true,
		_ => false,
	};
	if reveal {
		let included = chain::submit_in_block(
			&shared.client,
			&api::tx().jobs().submit_verdict(job, digest),
			&shared.signer,
		)
		.await
		.context("revealing the verdict")?;
		watch_finality(shared, job, included);
		if let Ok(mut held) = shared.committed.lock() {
			held.remove(&job);
		}
		tracing::info!(job, "verdict revealed");
	} else {
		let commitment = digest_commitment(job, &shared.account, &digest);
		if let Ok(mut held) = shared.committed.lock() {
			held.insert(job, digest);
		}
		let included = chain::submit_in_block(
			&shared.client,
			&api::tx().jobs().commit_verdict(job, commitment),
			&shared.signer,
		)
		.await
		.context("committing the verdict")?;
		watch_finality(shared, job, included);
		tracing::info!(job, ?due, "verdict committed; revealed when the reveal opens");
	}
	shared.metrics.verdicts.inc();
	Ok(())
}

/// Watches a verdict's finality in the background; one a re-org dropped is
/// queued again (the chain decides whether it is still due).
fn watch_finality(shared: &Shared, job: JobId, included: hypha_client::Included) {
	let requeue = shared.requeue.clone();
	tokio::spawn(async move {
		if let Err(error) = included.finalized().await {
			tracing::warn!(job, %error, "a verdict did not reach a finalized block; answering again");
			let _ = requeue.send(job);
		}
	});
}

/// Rounds of tries (the client's store, then the provider) before a
/// verifier answers [`INPUTS_UNAVAILABLE`].
pub const FETCH_ROUNDS: u32 = 3;
/// The pause between two rounds.
const FETCH_PAUSE: Duration = Duration::from_secs(2);

/// Fetches the blob at `uri` (the client's store); if that store does not
/// serve it (down, refusing, or serving other bytes), the same blob from the
/// job's provider, which serves the blobs of the jobs it holds
/// (`/blobs/<digest>`) so that a client cannot exhaust its auditors by
/// withholding them. Digest-checked either way. The outer error is this
/// verifier's own (the chain could not be asked who the provider is); the
/// inner one says that neither source served the blob.
async fn fetch_or_ask_provider(
	shared: &Shared,
	job: JobId,
	record: &hypha_client::Job,
	uri: &[u8],
	digest: &Digest,
) -> Result<Result<Vec<u8>>> {
	let error = match fetch_blob(uri, digest, MAX_INPUT_BYTES, Some((&shared.signer, job))).await {
		Ok(bytes) => return Ok(Ok(bytes)),
		Err(error) => error,
	};
	let provider = record.status.provider().context("the job has no provider")?;
	let Some(offer) = query::provider_capabilities(&shared.client, provider).await? else {
		return Ok(Err(anyhow::anyhow!(
			"the client's store did not serve it ({error}) and the job's provider is no longer registered"
		)));
	};
	let endpoint = String::from_utf8_lossy(&offer.endpoint).trim_end_matches('/').to_string();
	let fallback = format!("{endpoint}/blobs/{}", hex::encode(digest));
	tracing::warn!(job, %error, %fallback, "the client's store did not answer; asking the provider");
	Ok(fetch_blob(fallback.as_bytes(), digest, MAX_INPUT_BYTES, Some((&shared.signer, job)))
		.await
		.with_context(|| {
			format!("neither the client's store ({error}) nor the provider served it")
		}))
}

/// `job`'s program and input as a runnable job: each blob from the client's
/// store or the provider, in up to [`FETCH_ROUNDS`] rounds (a blob once had
/// is kept). The outer error is this verifier's own (answer nothing now);
/// the inner one means the inputs are unavailable: neither source served
/// them, or they do not form a job within the load bound.
async fn fetch_job(
	shared: &Shared,
	job: JobId,
	record: &hypha_client::Job,
) -> Result<Result<hypha_compute::spec::Job>> {
	let spec = &*record.spec;
	let sources = [
		("program", &spec.program_uri, &spec.program_digest),
		("input", &spec.input_uri, &spec.input_digest),
	];
	let mut blobs: [Option<Vec<u8>>; 2] = [None, None];
	for round in 1..=FETCH_ROUNDS {
		let mut missing = None;
		for ((what, uri, digest), blob) in sources.iter().zip(blobs.iter_mut()) {
			if blob.is_none() {
				match fetch_or_ask_provider(shared, job, record, uri, digest).await? {
					Ok(bytes) => *blob = Some(bytes),
					Err(error) => missing = Some(error.context(format!("fetching the {what}"))),
				}
			}
		}
		match missing {
			None => break,
			Some(error) if round == FETCH_ROUNDS => return Ok(Err(error)),
			Some(error) => {
				tracing::warn!(
					job,
					round,
					error = format!("{error:#}"),
					"the inputs could not be had; trying again"
				);
				tokio::time::sleep(FETCH_PAUSE).await;
			},
		}
	}
	let [Some(program), Some(input)] = blobs else {
		return Ok(Err(anyhow::anyhow!("the inputs could not be had")));
	};
	let limit = hypha_agent::load::LOAD_TIMEOUT;
	Ok(hypha_agent::load::load_job(spec.kind, program, input, limit)
		.await
		.map(|(job, _, _)| job)
		.map_err(anyhow::Error::from))
}

/// Leaves this verifier's own copy of `output` in the client's store before
/// it answers, if the output backs the provider's commitment (issue 11,
/// attack 10): the provider is paid on this verdict, so the client must be
/// able to read the output even if the provider withholds it, and the
/// settled job names this verifier among its `auditors`, whose copies
/// `hypha job fetch` reads. Sealed to the client's key if the job names one.
/// A store that fails or stalls costs at most
/// [`hypha_agent::output::DEPOSIT_TIMEOUT`]; the verdict goes out anyway (a
/// missing copy is no reason to lose the no-show slash).
async fn deposit_copy(
	shared: &Shared,
	job: JobId,
	record: &hypha_client::Job,
	output: &hypha_compute::output::JobOutput,
	digest: &Digest,
) {
	let (hypha_client::JobStatus::Audit { provider, commitment, .. }
	| hypha_client::JobStatus::Dispute { provider, commitment, .. }) = &*record.status
	else {
		return;
	};
	if digest_commitment(job, provider, digest) != *commitment {
		return;
	}
	let Some(store) = hypha_agent::output::client_store(&record.spec) else {
		return;
	};
	let bytes = output.canonical_bytes();
	let bytes = match &record.spec.output_key {
		Some(key) => match hypha_agent::seal::seal(job, key, &bytes) {
			Ok(sealed) => sealed,
			Err(error) => {
				tracing::warn!(job, %error, "could not seal the output copy to the client's key");
				shared.metrics.copies_failed.inc();
				return;
			},
		},
		None => bytes,
	};
	let client = record.client.0;
	if hypha_agent::output::deposit_within("auditor", &store, &shared.signer, job, client, bytes)
		.await
	{
		shared.metrics.copies_deposited.inc();
	} else {
		shared.metrics.copies_failed.inc();
	}
}

/// Fetches `job`'s program and input and re-executes it; returns the
/// output digest (flipped under the `lie` fault), or
/// [`INPUTS_UNAVAILABLE`] if the inputs could not be had or do not form a
/// job within [`hypha_agent::load::LOAD_TIMEOUT`] (an honest provider would
/// not have claimed it: it loads the same way before claiming).
async fn reexecute(shared: &Shared, job: JobId, record: &hypha_client::Job) -> Result<Digest> {
	let spec = &*record.spec;
	tracing::info!(job, kind = %spec.kind, "fetching the program and input");
	let compute_job = match fetch_job(shared, job, record).await? {
		Ok(compute_job) => compute_job,
		Err(error) => {
			tracing::warn!(
				job,
				error = format!("{error:#}"),
				"the job's inputs are unavailable from the client's store and from the provider: answering \"inputs unavailable\""
			);
			shared.metrics.unavailable.inc();
			return Ok(INPUTS_UNAVAILABLE);
		},
	};
	let _slot = shared.device.acquire().await.context("the device queue closed")?;
	tracing::info!(job, backend = %shared.backend.describe(), "re-executing");
	let (output, seconds) =
		hypha_agent::progress::run_job(job, compute_job, &shared.backend).await?;
	drop(_slot);
	shared.metrics.compute_seconds.inc_by(seconds);
	let digest = output.digest();
	tracing::info!(job, seconds = format!("{seconds:.3}"), digest = %format!("0x{}", hex::encode(digest)), "re-executed");
	deposit_copy(shared, job, record, &output, &digest).await;
	#[cfg(feature = "faults")]
	let digest = {
		let mut digest = digest;
		if shared.faults.lie {
			digest[31] ^= 0x5a;
			tracing::warn!(job, "fault injection: a wrong digest");
		}
		if shared.faults.verdict_delay_ms > 0 {
			tokio::time::sleep(Duration::from_millis(shared.faults.verdict_delay_ms)).await;
		}
		digest
	};
	Ok(digest)
}
