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
//!    jobs in audit or dispute still waiting for its verdict are queued too);
//! 3. for each queued job: fetches the program and input from the URIs of the
//!    job's spec (digest-checked), builds the same compute job as the worker
//!    (`hypha_worker::workload::load`), runs it and submits the digest with
//!    `submit_verdict`. The chain compares it with the provider's commitment;
//!    the verifier never sees the provider's digest, so it cannot copy it.
//!
//! Prometheus metrics at `/metrics`: audits and dispute seats assigned,
//! verdicts, agreements, disagreements, slashes.
//!
//! ## Failure modes
//!
//! Startup errors end [`run`]. A job whose blobs cannot be had or do not match
//! is logged and counted as failed; without a verdict in the audit window the
//! chain penalizes the verifier (`no_show_slash`) and picks another.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::extract::State;
use axum::response::IntoResponse;
use hypha_client::api;
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{AccountId, Client};
use hypha_compute::{Backend, BackendChoice};
use hypha_primitives::{JobId, MAX_INPUT_BYTES};
use hypha_worker::chain::{self, ChainStatus};
use hypha_worker::workload;
use serde::Deserialize;

/// Settings of the verifier (TOML file and flags; flags win).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerifierConfig {
	/// The node's JSON-RPC URL.
	pub node_url: String,
	/// A secret URI (`//Ferdie` on dev chains). Exclusive with `key_file`.
	pub seed: Option<String>,
	/// A file holding the secret URI or mnemonic.
	pub key_file: Option<PathBuf>,
	/// Bond to register with, in the smallest unit.
	pub bond: u128,
	/// Compute backend: auto, cpu, gpu, reference.
	pub backend: String,
	/// Where `/metrics` is served.
	pub metrics_listen: SocketAddr,
	/// Test only: submit wrong digests (a lying verifier).
	pub lie: bool,
	/// Test only: wait this long before submitting each verdict.
	pub verdict_delay_ms: u64,
}

impl Default for VerifierConfig {
	fn default() -> Self {
		Self {
			node_url: "ws://127.0.0.1:9944".into(),
			seed: None,
			key_file: None,
			bond: 1_000 * hypha_primitives::HYPHA,
			backend: "auto".into(),
			metrics_listen: SocketAddr::from(([127, 0, 0, 1], 7200)),
			lie: false,
			verdict_delay_ms: 0,
		}
	}
}

/// The verifier's Prometheus metrics.
#[derive(Clone)]
struct Metrics {
	registry: prometheus::Registry,
	assigned: prometheus::IntCounter,
	verdicts: prometheus::IntCounter,
	agreements: prometheus::IntCounter,
	disagreements: prometheus::IntCounter,
	failed: prometheus::IntCounter,
	slashed: prometheus::IntCounter,
	compute_seconds: prometheus::Counter,
}

impl Metrics {
	fn new() -> Result<Self> {
		let registry = prometheus::Registry::new_custom(Some("hypha_verifier".into()), None)?;
		let int = |name: &str, help: &str| -> Result<prometheus::IntCounter> {
			let counter = prometheus::IntCounter::new(name, help)?;
			registry.register(Box::new(counter.clone()))?;
			Ok(counter)
		};
		let compute_seconds =
			prometheus::Counter::new("compute_seconds_total", "Seconds spent re-executing jobs")?;
		registry.register(Box::new(compute_seconds.clone()))?;
		Ok(Self {
			assigned: int("audits_total", "Audits and dispute seats assigned to this verifier")?,
			verdicts: int("verdicts_total", "Verdicts this verifier submitted")?,
			agreements: int("agreements_total", "Verdicts that matched the provider's commitment")?,
			disagreements: int(
				"disagreements_total",
				"Verdicts that did not match the provider's commitment",
			)?,
			failed: int("failed_total", "Assigned jobs this verifier could not re-execute")?,
			slashed: int(
				"slashed_total",
				"Times this verifier was slashed (lost dispute or absent)",
			)?,
			compute_seconds,
			registry,
		})
	}
}

struct Context_ {
	client: Client,
	signer: Keypair,
	account: AccountId,
	backend: Backend,
	metrics: Metrics,
	lie: bool,
	verdict_delay: Duration,
}

/// Runs the verifier until `shutdown` completes.
pub async fn run(config: VerifierConfig, shutdown: impl Future<Output = ()>) -> Result<()> {
	let signer = chain::load_signer(config.seed.as_deref(), config.key_file.as_deref())?;
	let account = chain::account_of(&signer);
	let backend_choice: BackendChoice =
		config.backend.parse().map_err(|e: String| anyhow::anyhow!(e))?;
	let backend = Backend::select(backend_choice).context("selecting the compute backend")?;
	let listener = tokio::net::TcpListener::bind(config.metrics_listen)
		.await
		.with_context(|| format!("listening on {}", config.metrics_listen))?;
	let client = chain::connect(&config.node_url, Duration::from_secs(120)).await?;
	tracing::info!(account = %account, node = %config.node_url, "verifier starting");
	ensure_registered(&client, &signer, &account, config.bond).await?;
	if config.lie {
		tracing::warn!("--lie: this verifier submits wrong digests (for tests)");
	}

	let metrics = Metrics::new()?;
	let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
	let router = axum::Router::new()
		.route("/metrics", axum::routing::get(get_metrics))
		.with_state(metrics.registry.clone());
	tracing::info!(listen = %listener.local_addr()?, "serving metrics at /metrics");
	let server = tokio::spawn(async move {
		axum::serve(listener, router)
			.with_graceful_shutdown(async {
				let _ = server_stopped.await;
			})
			.await
	});

	let context = Arc::new(Context_ {
		client: client.clone(),
		signer,
		account,
		backend,
		metrics,
		lie: config.lie,
		verdict_delay: Duration::from_millis(config.verdict_delay_ms),
	});
	let mut queue: VecDeque<JobId> = pending_at_startup(&context).await?.into();
	let mut queued: HashSet<JobId> = queue.iter().copied().collect();
	let mut blocks = client.stream_blocks().await.context("following finalized blocks")?;
	let mut running: Option<(JobId, tokio::task::JoinHandle<Result<()>>)> = None;
	futures::pin_mut!(shutdown);
	loop {
		if running.is_none() {
			if let Some(job) = queue.pop_front() {
				queued.remove(&job);
				let context = context.clone();
				running = Some((job, tokio::spawn(async move { verify(&context, job).await })));
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
						context.metrics.failed.inc();
					},
					Err(error) => {
						tracing::error!(job, %error, "verification task panicked");
						context.metrics.failed.inc();
					},
				}
			},
			block = blocks.next() => {
				let Some(block) = block else { anyhow::bail!("the node closed the block subscription") };
				let block = match block {
					Ok(block) => block,
					Err(error) => { tracing::warn!(%error, "reading a finalized block"); continue; },
				};
				match assigned_in(&context, &block).await {
					Ok(jobs) => for job in jobs {
						if queued.insert(job) {
							queue.push_back(job);
						}
					},
					Err(error) => tracing::warn!(%error, number = block.number(), "reading a block's events"),
				}
			},
		}
	}
	let _ = stop_server.send(());
	let _ = server.await;
	Ok(())
}

async fn get_metrics(State(registry): State<prometheus::Registry>) -> axum::response::Response {
	use prometheus::Encoder;
	let mut buffer = Vec::new();
	match prometheus::TextEncoder::new().encode(&registry.gather(), &mut buffer) {
		Ok(()) => ([("content-type", "text/plain; version=0.0.4")], buffer).into_response(),
		Err(error) => {
			(axum::http::StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
		},
	}
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
			tracing::info!(bonded = %chain::format_hypha(bonded), "already registered as a verifier")
		},
		None => {
			tracing::info!(bond = %chain::format_hypha(bond), "registering as a verifier");
			chain::submit(client, &api::tx().stake().register_verifier(bond), signer)
				.await
				.context("registering as a verifier")?;
		},
	}
	Ok(())
}

/// Whether the job waits for this verifier's verdict.
fn awaits_verdict(status: &ChainStatus, account: &AccountId) -> bool {
	match status {
		// Only the last auditor (a replaced one is gone) may answer an audit.
		ChainStatus::Audit { verifiers, .. } => verifiers
			.0
			.last()
			.is_some_and(|slot| slot.verifier == *account && slot.digest.is_none()),
		ChainStatus::Dispute { verifiers, .. } => {
			verifiers.0.iter().any(|slot| slot.verifier == *account && slot.digest.is_none())
		},
		_ => false,
	}
}

async fn pending_at_startup(context: &Context_) -> Result<Vec<JobId>> {
	let jobs = chain::all_jobs(&context.client).await?;
	Ok(jobs
		.into_iter()
		.filter(|(_, job)| awaits_verdict(&job.status, &context.account))
		.map(|(id, _)| id)
		.collect())
}

/// The jobs a block assigns to this verifier; counts its verdicts and slashes.
async fn assigned_in(
	context: &Context_,
	block: &hypha_client::subxt::client::Block<hypha_client::HyphaConfig>,
) -> Result<Vec<JobId>> {
	use api::jobs::events;
	let events = block.at().await?.events().fetch().await?;
	let mut jobs = Vec::new();
	for event in events.find::<events::AuditAssigned>() {
		let event = event?;
		if event.verifier == context.account {
			context.metrics.assigned.inc();
			tracing::info!(job = event.job, deadline = event.deadline, "audit assigned");
			jobs.push(event.job);
		}
	}
	for event in events.find::<events::DisputeOpened>() {
		let event = event?;
		if event.panel.contains(&context.account) {
			context.metrics.assigned.inc();
			tracing::info!(job = event.job, deadline = event.deadline, "seat on a dispute panel");
			jobs.push(event.job);
		}
	}
	for event in events.find::<events::VerdictSubmitted>() {
		let event = event?;
		if event.verifier == context.account {
			if event.agrees {
				context.metrics.agreements.inc();
			} else {
				context.metrics.disagreements.inc();
			}
			tracing::info!(job = event.job, agrees = event.agrees, "verdict recorded");
		}
	}
	for event in events.find::<events::VerifierSlashed>() {
		let event = event?;
		if event.verifier == context.account {
			context.metrics.slashed.inc();
			tracing::warn!(job = event.job, slashed = %chain::format_hypha(event.slashed), "lost a dispute: slashed");
		}
	}
	for event in events.find::<events::VerifierAbsent>() {
		let event = event?;
		if event.verifier == context.account {
			context.metrics.slashed.inc();
			tracing::warn!(job = event.job, slashed = %chain::format_hypha(event.slashed), "missed a verdict deadline");
		}
	}
	Ok(jobs)
}

/// Re-executes `job` and submits the digest.
async fn verify(context: &Context_, job: JobId) -> Result<()> {
	let record = chain::fetch_job(&context.client, job).await?.context("the job vanished")?;
	if !awaits_verdict(&record.status, &context.account) {
		tracing::info!(
			job,
			status = chain::status_name(&record.status),
			"no verdict needed any more"
		);
		return Ok(());
	}
	let kind = match record.spec.kind {
		api::runtime_types::hypha_primitives::WorkloadKind::Inference => {
			hypha_primitives::WorkloadKind::Inference
		},
		api::runtime_types::hypha_primitives::WorkloadKind::Training => {
			hypha_primitives::WorkloadKind::Training
		},
	};
	tracing::info!(job, kind = workload::kind_name(kind), "fetching the program and input");
	let program = workload::fetch_blob(
		&record.spec.program_uri.0,
		&record.spec.program_digest,
		MAX_INPUT_BYTES,
	)
	.await
	.context("fetching the program")?;
	let input =
		workload::fetch_blob(&record.spec.input_uri.0, &record.spec.input_digest, MAX_INPUT_BYTES)
			.await
			.context("fetching the input")?;
	let compute_job = workload::load(kind, &program, &input)?;
	tracing::info!(job, backend = %context.backend.describe(), "re-executing");
	let started = Instant::now();
	let backend = context.backend.clone();
	let output = tokio::task::spawn_blocking(move || {
		compute_job.run_with_progress(&backend, |step, steps, loss| {
			hypha_worker::log_progress(job, step, steps, loss)
		})
	})
	.await
	.context("the compute task panicked")?
	.context("running the job")?;
	let seconds = started.elapsed().as_secs_f64();
	context.metrics.compute_seconds.inc_by(seconds);
	let mut digest = output.digest();
	tracing::info!(job, seconds = format!("{seconds:.3}"), digest = %format!("0x{}", hex::encode(digest)), "re-executed");
	if context.lie {
		digest[31] ^= 0x5a;
		tracing::warn!(job, "--lie: submitting a wrong digest");
	}
	if !context.verdict_delay.is_zero() {
		tokio::time::sleep(context.verdict_delay).await;
	}
	chain::submit(&context.client, &api::tx().jobs().submit_verdict(job, digest), &context.signer)
		.await
		.context("submitting the verdict")?;
	context.metrics.verdicts.inc();
	Ok(())
}
