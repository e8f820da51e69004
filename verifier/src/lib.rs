//! # hypha-verifier
//!
//! The verifier daemon of the Hypha marketplace: it stakes HYPHA, re-executes
//! the jobs the chain assigns to it and submits the output digest it gets.
//!
//! What [`run`] does:
//!
//! 1. loads the verifier's key, connects, and registers as a verifier with a
//!    bond unless the account already is one;
//! 2. follows finalized blocks; an `AuditAssigned` naming this verifier, or a
//!    `DisputeOpened` whose panel includes it, queues the job (at startup,
//!    jobs in audit or dispute still waiting for its verdict are queued too,
//!    by [`hypha_client::JobStatus::awaits_verdict_from`], the chain's own rule);
//! 3. for each queued job: fetches the program and input from the URIs of the
//!    job's spec (digest-checked, [`hypha_agent::fetch`]), builds the same
//!    compute job as the worker ([`hypha_compute::package::load`]), runs it
//!    and submits the digest with `submit_verdict`. The chain compares it
//!    with the provider's commitment; the verifier never sees the provider's
//!    digest, so it cannot copy it.
//!
//! Prometheus metrics at `/metrics` ([`metrics`]): audits and dispute seats
//! assigned, verdicts, agreements, disagreements, slashes.
//!
//! ## Layout
//!
//! [`config`], [`cli`] (flags; the binary's `main.rs` is three lines),
//! [`metrics`], and this file: the loop and the re-execution.
//!
//! ## Failure modes
//!
//! Startup errors end [`run`]. A job whose blobs cannot be had or do not match
//! is logged and counted as failed; without a verdict in the audit window the
//! chain penalizes the verifier (`no_show_slash`) and picks another. On
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
use hypha_agent::blocks::FinalizedBlocks;
use hypha_agent::fetch::fetch_blob;
use hypha_client::amount::format_hypha;
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{api, chain, keys, query, AccountId, Client, Events};
use hypha_compute::Backend;
use hypha_primitives::{JobId, MAX_INPUT_BYTES};

pub use config::VerifierConfig;
use metrics::Metrics;

struct Shared {
	client: Client,
	signer: Keypair,
	account: AccountId,
	backend: Backend,
	metrics: Metrics,
	#[cfg(feature = "faults")]
	faults: config::Faults,
}

/// Runs the verifier until `shutdown` completes.
pub async fn run(config: VerifierConfig, shutdown: impl Future<Output = ()>) -> Result<()> {
	let signer = keys::load_signer(config.seed.as_deref(), config.key_file.as_deref())?;
	let account = keys::account_of(&signer);
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
	let shared = Arc::new(Shared {
		client,
		signer,
		account,
		backend,
		metrics,
		#[cfg(feature = "faults")]
		faults: config.faults.clone(),
	});
	#[cfg(feature = "faults")]
	if shared.faults.lie || shared.faults.verdict_delay_ms > 0 {
		tracing::warn!(faults = ?shared.faults, "fault injection on (end-to-end tests only)");
	}
	let result = follow(&shared, shutdown).await;
	let _ = stop_server.send(());
	let _ = server.await;
	result
}

/// The main loop: assignments in, one re-execution at a time, until `shutdown`.
async fn follow(shared: &Arc<Shared>, shutdown: impl Future<Output = ()>) -> Result<()> {
	let mut queue: VecDeque<JobId> = pending_at_startup(shared).await?.into();
	let mut queued: HashSet<JobId> = queue.iter().copied().collect();
	let mut blocks = FinalizedBlocks::subscribe(&shared.client).await?;
	let mut running: Option<(JobId, tokio::task::JoinHandle<Result<()>>)> = None;
	futures::pin_mut!(shutdown);
	loop {
		if running.is_none() {
			if let Some(job) = queue.pop_front() {
				queued.remove(&job);
				let shared = shared.clone();
				running = Some((job, tokio::spawn(async move { verify(&shared, job).await })));
			}
		}
		tokio::select! {
			_ = &mut shutdown => {
				tracing::info!("shutting down");
				break;
			},
			finished = async { (&mut running.as_mut().expect("guarded by the branch condition").1).await }, if running.is_some() => {
				let (job, _) = running.take().expect("guarded by the branch condition");
				match finished {
					Ok(Ok(())) => {},
					Ok(Err(error)) => {
						tracing::error!(job, error = format!("{error:#}"), "verification failed");
						shared.metrics.failed.inc();
					},
					Err(error) => {
						tracing::error!(job, %error, "verification task panicked");
						shared.metrics.failed.inc();
					},
				}
			},
			block = blocks.next() => {
				let Some(block) = block else { anyhow::bail!("the node closed the block subscription") };
				let block = match block {
					Ok(block) => block,
					Err(error) => { tracing::warn!(%error, "reading a finalized block"); continue; },
				};
				match assigned_in(shared, &block.events) {
					Ok(jobs) => for job in jobs {
						if queued.insert(job) {
							queue.push_back(job);
						}
					},
					Err(error) => tracing::warn!(%error, number = block.number, "reading a block's events"),
				}
			},
		}
	}
	if let Some((job, task)) = running {
		task.abort();
		tracing::info!(job, "stopped with a re-execution in flight; a restart does it again");
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
	let jobs = query::all_jobs(&shared.client).await?;
	Ok(jobs
		.into_iter()
		.filter(|(_, job)| job.status.awaits_verdict_from(&shared.account))
		.map(|(id, _)| id)
		.collect())
}

/// The jobs a block assigns to this verifier; counts its verdicts and slashes.
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
	Ok(jobs)
}

/// Re-executes `job` and submits the digest.
async fn verify(shared: &Shared, job: JobId) -> Result<()> {
	let record = query::job(&shared.client, job).await?.context("the job vanished")?;
	if !record.status.awaits_verdict_from(&shared.account) {
		tracing::info!(job, status = record.status.name(), "no verdict needed any more");
		return Ok(());
	}
	let spec = &*record.spec;
	tracing::info!(job, kind = %spec.kind, "fetching the program and input");
	let program = fetch_blob(&spec.program_uri, &spec.program_digest, MAX_INPUT_BYTES)
		.await
		.context("fetching the program")?;
	let input = fetch_blob(&spec.input_uri, &spec.input_digest, MAX_INPUT_BYTES)
		.await
		.context("fetching the input")?;
	let compute_job = hypha_compute::package::load(spec.kind, &program, &input)?;
	tracing::info!(job, backend = %shared.backend.describe(), "re-executing");
	let (output, seconds) =
		hypha_agent::progress::run_job(job, compute_job, &shared.backend).await?;
	shared.metrics.compute_seconds.inc_by(seconds);
	let digest = output.digest();
	tracing::info!(job, seconds = format!("{seconds:.3}"), digest = %format!("0x{}", hex::encode(digest)), "re-executed");
	#[cfg(feature = "faults")]
	let digest = {
		let mut digest = digest;
		if shared.faults.lie {
			digest[31] ^= 0x5a;
			tracing::warn!(job, "fault injection: submitting a wrong digest");
		}
		if shared.faults.verdict_delay_ms > 0 {
			tokio::time::sleep(Duration::from_millis(shared.faults.verdict_delay_ms)).await;
		}
		digest
	};
	chain::submit(&shared.client, &api::tx().jobs().submit_verdict(job, digest), &shared.signer)
		.await
		.context("submitting the verdict")?;
	shared.metrics.verdicts.inc();
	Ok(())
}
