//! # hypha-worker
//!
//! The provider daemon of the Hypha marketplace: it turns a machine into a
//! provider that earns HYPHA for computing jobs.
//!
//! What [`run`] does:
//!
//! 1. loads the provider's key (a dev seed such as `//Eve`, or a key file),
//!    connects to a node and registers as a provider with a bond, unless the
//!    account already is one (then it updates its offer if it changed);
//! 2. follows finalized blocks; every `JobSubmitted` / `JobReopened` job it can
//!    run (its kind, a budget that covers its price and the verifier fees) is
//!    a candidate;
//! 3. for a candidate: fetches the program and input blobs and checks their
//!    digests and sizes *before* claiming (a job whose blobs do not match is
//!    refused, never claimed), builds the compute job (validation), claims
//!    it, runs it with `hypha-compute`, stores the output on disk, serves it
//!    to the job's client only ([`serve`]) and commits
//!    `digest_commitment(job, provider, output_digest)` with `submit_result`;
//! 4. watches its jobs end (settled, slashed, refunded) and counts earnings.
//!
//! One job computes at a time; its commitment finalizes in the background
//! while the worker fetches and claims the next. Candidates are taken in an
//! order of the worker's own (a hash of its account and the job), so that
//! workers watching the same queue do not all race for the oldest job. Jobs
//! in flight are kept in a state directory
//! ([`state`]), so a restarted worker resumes the jobs it holds and never
//! claims one twice. Prometheus metrics are served at `/metrics` on the same
//! port as the outputs.
//!
//! ## Modules shared with the verifier and the CLI
//!
//! [`chain`] (keys, calls with readable errors, reading jobs) and
//! [`workload`] (what a job's blobs hold and how they become a compute job)
//! are used by `hypha-verifier` and `hypha` too, so all three agree on what
//! a job means.
//!
//! ## Failure modes
//!
//! Startup errors (no node, no key, registration refused) end [`run`] with an
//! error. After that, a failed job is logged and counted in
//! `hypha_worker_jobs_failed_total`; the daemon keeps going. A worker that
//! cannot finish a job lets its deadline pass: the chain takes a share of its
//! collateral and reopens the job for another provider.

pub mod chain;
pub mod daemon;
pub mod serve;
pub mod state;
pub mod workload;

use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hypha_client::api::{self, runtime_types};
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{AccountId, Client};
use hypha_compute::{Backend, BackendChoice};
use hypha_primitives::{JobId, WorkloadKind, MAX_INPUT_BYTES};
use serde::Deserialize;

use chain::{ChainJob, ChainStatus};
use serve::{Outputs, ServedOutput};
use state::{HeldJob, Phase, State};
use workload::FetchError;

/// Settings of the worker. Every field can come from the TOML config file or
/// a command-line flag (the flag wins).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
	/// The node's JSON-RPC URL.
	pub node_url: String,
	/// A secret URI (`//Eve` on dev chains). Exclusive with `key_file`.
	pub seed: Option<String>,
	/// A file holding the secret URI or mnemonic.
	pub key_file: Option<PathBuf>,
	/// Where jobs in flight and their outputs are kept.
	pub state_dir: PathBuf,
	/// Where outputs and metrics are served.
	pub listen: SocketAddr,
	/// The URL clients reach `listen` at (default `http://<listen>`).
	pub public_url: Option<String>,
	/// Price per compute unit, in the smallest unit (10^-12 HYPHA).
	pub price_per_unit: u128,
	/// Bond to register with, in the smallest unit.
	pub bond: u128,
	/// Workload kinds offered: `inference`, `training`.
	pub job_kinds: Vec<String>,
	/// Memory offered to a job, MiB.
	pub memory_mib: u32,
	/// Compute backend: auto, cpu, gpu, reference.
	pub backend: String,
	/// How long to keep serving an output after its job ended, in seconds.
	pub output_retention_secs: u64,
	/// Test only: commit a wrong output digest (a cheating provider).
	pub cheat: bool,
	/// Test only: wait this long after claiming before computing.
	pub compute_delay_ms: u64,
}

impl Default for WorkerConfig {
	fn default() -> Self {
		Self {
			node_url: "ws://127.0.0.1:9944".into(),
			seed: None,
			key_file: None,
			state_dir: PathBuf::from("hypha-worker-state"),
			listen: SocketAddr::from(([127, 0, 0, 1], 7100)),
			public_url: None,
			price_per_unit: hypha_primitives::MILLI_HYPHA,
			bond: 1_000 * hypha_primitives::HYPHA,
			job_kinds: vec!["inference".into(), "training".into()],
			memory_mib: 4096,
			backend: "auto".into(),
			output_retention_secs: 3600,
			cheat: false,
			compute_delay_ms: 0,
		}
	}
}

impl WorkerConfig {
	/// The offered kinds, parsed.
	pub fn kinds(&self) -> Result<Vec<WorkloadKind>> {
		self.job_kinds
			.iter()
			.map(|k| match k.as_str() {
				"inference" => Ok(WorkloadKind::Inference),
				"training" => Ok(WorkloadKind::Training),
				other => {
					anyhow::bail!("unknown job kind `{other}` (expected inference or training)")
				},
			})
			.collect()
	}
}

/// The worker's Prometheus metrics.
#[derive(Clone)]
pub struct Metrics {
	/// The registry served at `/metrics`.
	pub registry: prometheus::Registry,
	claimed: prometheus::IntCounter,
	committed: prometheus::IntCounter,
	settled: prometheus::IntCounter,
	failed: prometheus::IntCounter,
	refused: prometheus::IntCounter,
	slashed: prometheus::IntCounter,
	compute_seconds: prometheus::Counter,
	earnings: prometheus::Counter,
}

impl Metrics {
	fn new() -> Result<Self> {
		let registry = prometheus::Registry::new_custom(Some("hypha_worker".into()), None)?;
		let int = |name: &str, help: &str| -> Result<prometheus::IntCounter> {
			let counter = prometheus::IntCounter::new(name, help)?;
			registry.register(Box::new(counter.clone()))?;
			Ok(counter)
		};
		let float = |name: &str, help: &str| -> Result<prometheus::Counter> {
			let counter = prometheus::Counter::new(name, help)?;
			registry.register(Box::new(counter.clone()))?;
			Ok(counter)
		};
		Ok(Self {
			claimed: int("jobs_claimed_total", "Jobs this worker claimed on chain")?,
			committed: int("jobs_committed_total", "Results this worker committed")?,
			settled: int("jobs_done_total", "Jobs settled with this worker paid")?,
			failed: int("jobs_failed_total", "Claimed jobs this worker could not finish")?,
			refused: int(
				"jobs_refused_total",
				"Jobs refused before claiming (blobs not matching their digests, invalid)",
			)?,
			slashed: int("jobs_slashed_total", "Jobs whose result was proven wrong")?,
			compute_seconds: float("compute_seconds_total", "Seconds spent computing jobs")?,
			earnings: float("earnings_hypha_total", "HYPHA paid to this worker for settled jobs")?,
			registry,
		})
	}
}

/// Everything a job task needs.
#[derive(Clone)]
struct Context_ {
	client: Client,
	signer: Arc<Keypair>,
	account: AccountId,
	kinds: Vec<WorkloadKind>,
	price_per_unit: u128,
	backend: Backend,
	public_url: String,
	state: Arc<Mutex<State>>,
	outputs: Outputs,
	metrics: Metrics,
	cheat: bool,
	compute_delay: Duration,
}

/// How an attempt at a job ended.
#[derive(Debug)]
enum Attempt {
	/// The result is computed and its commitment is on its way to the chain.
	Committing,
	/// Not for this worker: claimed by another, no longer open, not its kind,
	/// or a budget below its price. Not retried.
	Skipped(String),
	/// Its blobs do not match the job, or do not form a valid job. Not retried.
	Refused(String),
	/// A blob store did not answer; retried at a later block.
	Retry(String),
	/// The job was claimed but could not be finished.
	Failed(String),
}

/// Runs the worker until `shutdown` completes.
pub async fn run(config: WorkerConfig, shutdown: impl Future<Output = ()>) -> Result<()> {
	let signer = chain::load_signer(config.seed.as_deref(), config.key_file.as_deref())?;
	let account = chain::account_of(&signer);
	let kinds = config.kinds()?;
	let backend_choice: BackendChoice =
		config.backend.parse().map_err(|e: String| anyhow::anyhow!(e))?;
	let backend = Backend::select(backend_choice).context("selecting the compute backend")?;
	let state = State::open(&config.state_dir)?;
	let receipt_key = receipt_key(&config.state_dir)?;
	let listener = tokio::net::TcpListener::bind(config.listen)
		.await
		.with_context(|| format!("listening on {}", config.listen))?;
	let local = listener.local_addr()?;
	let public_url = config
		.public_url
		.clone()
		.unwrap_or_else(|| format!("http://{local}"))
		.trim_end_matches('/')
		.to_string();
	let client = chain::connect(&config.node_url, Duration::from_secs(120)).await?;
	tracing::info!(account = %account, node = %config.node_url, endpoint = %public_url, "worker starting");
	ensure_registered(&client, &signer, &config, &kinds, &public_url, receipt_key).await?;

	let metrics = Metrics::new()?;
	let outputs: Outputs = Default::default();
	for (job, held) in state.jobs() {
		if matches!(held.phase, Phase::Computed | Phase::Committed) {
			let bytes = state.read_output(*job)?;
			outputs.write().unwrap_or_else(|p| p.into_inner()).insert(
				*job,
				ServedOutput { client: parse_account(&held.client)?, bytes: bytes.into() },
			);
		}
	}
	let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
	let router = serve::router(outputs.clone(), metrics.registry.clone());
	let server = tokio::spawn(async move {
		axum::serve(listener, router)
			.with_graceful_shutdown(async {
				let _ = server_stopped.await;
			})
			.await
	});
	tracing::info!(%local, "serving outputs at /jobs/{{job}}/output and metrics at /metrics");

	let context = Context_ {
		client: client.clone(),
		signer: Arc::new(signer),
		account,
		kinds,
		price_per_unit: config.price_per_unit,
		backend,
		public_url,
		state: Arc::new(Mutex::new(state)),
		outputs,
		metrics,
		cheat: config.cheat,
		compute_delay: Duration::from_millis(config.compute_delay_ms),
	};
	if config.cheat {
		tracing::warn!("--cheat: this worker commits wrong output digests (for tests)");
	}

	let (mut candidates, mut resume) = initial_scan(&context).await?;
	// Jobs not for this worker right now (claimed by another, a budget below
	// its price): tried again if the chain reopens them.
	let mut done: HashSet<JobId> = HashSet::new();
	// Jobs whose blobs do not match or do not form a valid job: never again.
	let mut refused: HashSet<JobId> = HashSet::new();
	let mut ended: Vec<(JobId, Instant)> = Vec::new();
	let retention = Duration::from_secs(config.output_retention_secs);
	let mut blocks = client.stream_blocks().await.context("following finalized blocks")?;
	let mut running: Option<(JobId, tokio::task::JoinHandle<Attempt>)> = None;
	futures::pin_mut!(shutdown);
	loop {
		tokio::select! {
			_ = &mut shutdown => {
				tracing::info!("shutting down");
				break;
			},
			finished = async { (&mut running.as_mut().expect("guarded by the branch condition").1).await }, if running.is_some() => {
				let (job, _) = running.take().expect("guarded by the branch condition");
				match finished {
					Ok(Attempt::Committing) => tracing::info!(job, "computed; committing the result"),
					Ok(Attempt::Skipped(why)) => { tracing::debug!(job, %why, "skipped"); done.insert(job); },
					Ok(Attempt::Refused(why)) => {
						tracing::warn!(job, %why, "job refused");
						context.metrics.refused.inc();
						refused.insert(job);
					},
					Ok(Attempt::Retry(why)) => { tracing::info!(job, %why, "will retry"); candidates.insert(job); },
					Ok(Attempt::Failed(why)) => {
						tracing::error!(job, %why, "job failed");
						context.metrics.failed.inc();
					},
					Err(error) => {
						tracing::error!(job, %error, "job task panicked");
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
				if let Err(error) = on_block(&context, &block, &mut candidates, &mut done, &mut ended).await {
					tracing::warn!(%error, number = block.number(), "reading a block's events");
				}
				// Outputs of ended jobs are served for a while, then dropped.
				let now = Instant::now();
				ended.retain(|(job, at)| {
					if now.duration_since(*at) < retention { return true; }
					context.outputs.write().unwrap_or_else(|p| p.into_inner()).remove(job);
					if let Err(error) = context.state.lock().unwrap_or_else(|p| p.into_inner()).forget(*job) {
						tracing::warn!(job, %error, "forgetting an ended job");
					}
					false
				});
				if running.is_none() {
					let next = resume.pop().map(|job| (job, true)).or_else(|| {
						let job = candidates
							.iter()
							.copied()
							.filter(|job| !done.contains(job) && !refused.contains(job))
							.min_by_key(|job| preference(&context.account, *job))?;
						candidates.remove(&job);
						Some((job, false))
					});
					if let Some((job, resuming)) = next {
						let context = context.clone();
						running = Some((job, tokio::spawn(async move { attempt(&context, job, resuming).await })));
					}
				}
			},
		}
	}
	if let Some((job, _)) = running {
		tracing::info!(job, "stopping with a job in flight; a restart resumes it");
	}
	let _ = stop_server.send(());
	let _ = server.await;
	Ok(())
}

/// The order in which this worker takes candidates: a hash of its account
/// and the job, so that workers watching the same queue start on different
/// jobs instead of racing for the oldest one (the loser of a race wastes a
/// fetch and a block waiting for `JobNotOpen`).
fn preference(account: &AccountId, job: JobId) -> [u8; 32] {
	hypha_primitives::blake2_256(&[&account.0[..], &job.to_le_bytes()].concat())
}

fn parse_account(hex_text: &str) -> Result<[u8; 32]> {
	let mut bytes = [0u8; 32];
	hex::decode_to_slice(hex_text, &mut bytes).context("malformed account id in the state file")?;
	Ok(bytes)
}

/// The ed25519 key that signs the provider's off-chain receipts: created
/// once, kept in the state directory.
fn receipt_key(dir: &std::path::Path) -> Result<ed25519_dalek::SigningKey> {
	let path = dir.join("receipt.key");
	match std::fs::read(&path) {
		Ok(bytes) => {
			let seed: [u8; 32] = bytes
				.as_slice()
				.try_into()
				.with_context(|| format!("{} must hold 32 bytes", path.display()))?;
			Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
		},
		Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
			let mut seed = [0u8; 32];
			getrandom::getrandom(&mut seed).context("drawing a receipt key")?;
			std::fs::write(&path, seed).with_context(|| format!("writing {}", path.display()))?;
			Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
		},
		Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
	}
}

fn chain_kind(kind: &runtime_types::hypha_primitives::WorkloadKind) -> WorkloadKind {
	match kind {
		runtime_types::hypha_primitives::WorkloadKind::Inference => WorkloadKind::Inference,
		runtime_types::hypha_primitives::WorkloadKind::Training => WorkloadKind::Training,
	}
}

/// Registers the provider, or updates its offer if it changed.
async fn ensure_registered(
	client: &Client,
	signer: &Keypair,
	config: &WorkerConfig,
	kinds: &[WorkloadKind],
	public_url: &str,
	receipt_key: ed25519_dalek::SigningKey,
) -> Result<()> {
	use runtime_types::bounded_collections::bounded_vec::BoundedVec;
	use runtime_types::hypha_primitives::{
		Backend as ChainBackend, JobKinds, ProviderCapabilities,
	};
	let backend = if config.backend == "gpu" { ChainBackend::Vulkan } else { ChainBackend::Cpu };
	let capabilities = ProviderCapabilities {
		backend,
		memory_mib: config.memory_mib,
		job_kinds: JobKinds(hypha_primitives::JobKinds::from_kinds(kinds).0),
		price_per_unit: config.price_per_unit,
		endpoint: BoundedVec(public_url.as_bytes().to_vec()),
		receipt_key: receipt_key.verifying_key().to_bytes(),
	};
	let account = chain::account_of(signer);
	let at = client.at_current_block().await?;
	let existing = at
		.storage()
		.entry(api::storage().stake().providers())?
		.try_fetch((account,))
		.await?
		.map(|v| v.decode())
		.transpose()?;
	match existing {
		None => {
			tracing::info!(bond = %chain::format_hypha(config.bond), "registering as a provider");
			chain::submit(
				client,
				&api::tx().stake().register_provider(capabilities, config.bond),
				signer,
			)
			.await
			.context("registering as a provider")?;
		},
		Some(info) if info.capabilities != capabilities => {
			tracing::info!("updating the provider offer");
			chain::submit(client, &api::tx().stake().update_provider(capabilities), signer)
				.await
				.context("updating the provider offer")?;
		},
		Some(info) => {
			tracing::info!(bonded = %chain::format_hypha(info.bonded), "already registered as a provider")
		},
	}
	Ok(())
}

/// At startup: open jobs are candidates; jobs assigned to this worker are
/// resumed; held jobs that ended are forgotten.
async fn initial_scan(context: &Context_) -> Result<(BTreeSet<JobId>, Vec<JobId>)> {
	let mut candidates = BTreeSet::new();
	let mut resume = Vec::new();
	let jobs = chain::all_jobs(&context.client).await?;
	let mut state = context.state.lock().unwrap_or_else(|p| p.into_inner());
	let held: Vec<JobId> = state.jobs().keys().copied().collect();
	for (id, job) in &jobs {
		match &job.status {
			ChainStatus::Open { .. } => {
				candidates.insert(*id);
			},
			ChainStatus::Assigned { provider, .. } if *provider == context.account => {
				tracing::info!(job = id, "resuming a job assigned to this worker");
				if state.get(*id).is_none() {
					state.put(
						*id,
						HeldJob {
							phase: Phase::Claimed,
							client: hex::encode(job.client.0),
							output_digest: None,
						},
					)?;
				}
				resume.push(*id);
			},
			_ => {},
		}
	}
	for id in held {
		let status = jobs.iter().find(|(j, _)| *j == id).map(|(_, job)| &job.status);
		let ours = status.and_then(|s| provider_of(s)).is_some_and(|p| *p == context.account);
		if !ours || status.is_some_and(chain::is_final) {
			// A claim that never landed, a job lost to a missed deadline, or
			// one that ended while the worker was away.
			state.forget(id)?;
		}
	}
	resume.reverse();
	Ok((candidates, resume))
}

fn provider_of(status: &ChainStatus) -> Option<&AccountId> {
	match status {
		ChainStatus::Assigned { provider, .. }
		| ChainStatus::Committed { provider, .. }
		| ChainStatus::Audit { provider, .. }
		| ChainStatus::Dispute { provider, .. }
		| ChainStatus::Settled { provider, .. }
		| ChainStatus::Slashed { provider, .. } => Some(provider),
		ChainStatus::Open { .. } | ChainStatus::Refunded { .. } => None,
	}
}

/// Reads a finalized block's events: new candidates, and the ends of this
/// worker's jobs.
async fn on_block(
	context: &Context_,
	block: &hypha_client::subxt::client::Block<hypha_client::HyphaConfig>,
	candidates: &mut BTreeSet<JobId>,
	done: &mut HashSet<JobId>,
	ended: &mut Vec<(JobId, Instant)>,
) -> Result<()> {
	use api::jobs::events;
	let events = block.at().await?.events().fetch().await?;
	for event in events.find::<events::JobSubmitted>() {
		candidates.insert(event?.job);
	}
	for event in events.find::<events::JobReopened>() {
		let job = event?.job;
		done.remove(&job);
		candidates.insert(job);
	}
	// A job another provider claimed is no longer a candidate (it comes
	// back with `JobReopened` if that provider misses its deadline).
	for event in events.find::<events::JobClaimed>() {
		let event = event?;
		if event.provider != context.account {
			candidates.remove(&event.job);
		}
	}
	let holds =
		|job: JobId| context.state.lock().unwrap_or_else(|p| p.into_inner()).get(job).is_some();
	for event in events.find::<events::JobSettled>() {
		let event = event?;
		if event.provider == context.account {
			context.metrics.settled.inc();
			context.metrics.earnings.inc_by(event.paid as f64 / hypha_primitives::HYPHA as f64);
			tracing::info!(job = event.job, paid = %chain::format_hypha(event.paid), "job settled: paid");
			ended.push((event.job, Instant::now()));
		}
	}
	for event in events.find::<events::ProviderSlashed>() {
		let event = event?;
		if event.provider == context.account {
			context.metrics.slashed.inc();
			tracing::warn!(job = event.job, slashed = %chain::format_hypha(event.slashed), "result proven wrong: slashed");
			ended.push((event.job, Instant::now()));
		}
	}
	for event in events.find::<events::DeadlineMissed>() {
		let event = event?;
		if event.provider == context.account {
			tracing::warn!(job = event.job, slashed = %chain::format_hypha(event.slashed), "missed the deadline");
			context.outputs.write().unwrap_or_else(|p| p.into_inner()).remove(&event.job);
			context.state.lock().unwrap_or_else(|p| p.into_inner()).forget(event.job)?;
		}
	}
	for event in events.find::<events::JobRefunded>() {
		let event = event?;
		if holds(event.job) {
			ended.push((event.job, Instant::now()));
		}
	}
	Ok(())
}

/// Takes a job from candidate to committed result (or resumes one this
/// worker holds).
async fn attempt(context: &Context_, job: JobId, resuming: bool) -> Attempt {
	match attempt_inner(context, job, resuming).await {
		Ok(outcome) => outcome,
		Err(error) => Attempt::Failed(format!("{error:#}")),
	}
}

async fn attempt_inner(context: &Context_, job: JobId, resuming: bool) -> Result<Attempt> {
	let Some(record) = chain::fetch_job(&context.client, job).await? else {
		return Ok(Attempt::Skipped("no such job".into()));
	};
	let kind = chain_kind(&record.spec.kind);
	if !resuming {
		if let Some(skip) = check_offer(context, &record, kind).await? {
			return Ok(Attempt::Skipped(skip));
		}
	}
	tracing::info!(
		job,
		kind = workload::kind_name(kind),
		units = record.spec.compute_units,
		"fetching the program and input"
	);
	let program = match workload::fetch_blob(
		&record.spec.program_uri.0,
		&record.spec.program_digest,
		MAX_INPUT_BYTES,
	)
	.await
	{
		Ok(bytes) => bytes,
		Err(error) => return Ok(fetch_outcome(error, "program", resuming)),
	};
	let input = match workload::fetch_blob(
		&record.spec.input_uri.0,
		&record.spec.input_digest,
		MAX_INPUT_BYTES,
	)
	.await
	{
		Ok(bytes) => bytes,
		Err(error) => return Ok(fetch_outcome(error, "input", resuming)),
	};
	let compute_job = match workload::load(kind, &program, &input) {
		Ok(job) => job,
		Err(error) if !resuming => return Ok(Attempt::Refused(format!("invalid job: {error:#}"))),
		Err(error) => return Ok(Attempt::Failed(format!("invalid job: {error:#}"))),
	};
	tracing::info!(
		job,
		program_bytes = program.len(),
		input_bytes = input.len(),
		"program and input match their digests"
	);

	if !resuming {
		let held = HeldJob {
			phase: Phase::Claiming,
			client: hex::encode(record.client.0),
			output_digest: None,
		};
		context.state.lock().unwrap_or_else(|p| p.into_inner()).put(job, held.clone())?;
		match chain::submit(&context.client, &api::tx().jobs().claim_job(job), &context.signer)
			.await
		{
			Ok(_) => {
				context.metrics.claimed.inc();
				context
					.state
					.lock()
					.unwrap_or_else(|p| p.into_inner())
					.put(job, HeldJob { phase: Phase::Claimed, ..held })?;
				tracing::info!(job, "claimed");
			},
			Err(error) => {
				context.state.lock().unwrap_or_else(|p| p.into_inner()).forget(job)?;
				return Ok(match error.error_name() {
					Some(_) => Attempt::Skipped(error.to_string()),
					None => Attempt::Retry(error.to_string()),
				});
			},
		}
	}

	if !context.compute_delay.is_zero() {
		tokio::time::sleep(context.compute_delay).await;
	}
	tracing::info!(job, kind = compute_job.kind(), backend = %context.backend.describe(), "computing");
	let started = Instant::now();
	let backend = context.backend.clone();
	let output = tokio::task::spawn_blocking(move || {
		compute_job
			.run_with_progress(&backend, |step, steps, loss| log_progress(job, step, steps, loss))
	})
	.await
	.context("the compute task panicked")?
	.context("running the job")?;
	let seconds = started.elapsed().as_secs_f64();
	context.metrics.compute_seconds.inc_by(seconds);
	let bytes = output.canonical_bytes();
	anyhow::ensure!(
		bytes.len() as u64 <= u64::from(record.spec.max_output_bytes),
		"the output has {} bytes, the job allows {}",
		bytes.len(),
		record.spec.max_output_bytes
	);
	let digest = output.digest();
	tracing::info!(job, seconds = format!("{seconds:.3}"), output_bytes = bytes.len(), digest = %format!("0x{}", hex::encode(digest)), "computed");
	let committed_digest = if context.cheat {
		let mut wrong = digest;
		wrong[0] ^= 0xff;
		tracing::warn!(job, "--cheat: committing a wrong digest");
		wrong
	} else {
		digest
	};

	let client_account = record.client.0;
	{
		let mut state = context.state.lock().unwrap_or_else(|p| p.into_inner());
		state.write_output(job, &bytes)?;
		state.put(
			job,
			HeldJob {
				phase: Phase::Computed,
				client: hex::encode(client_account),
				output_digest: Some(hex::encode(digest)),
			},
		)?;
	}
	context
		.outputs
		.write()
		.unwrap_or_else(|p| p.into_inner())
		.insert(job, ServedOutput { client: client_account, bytes: bytes.into() });

	let commitment = chain::commitment(job, &context.account, &committed_digest);
	let output_uri = format!("{}/jobs/{job}/output", context.public_url);
	let call = api::tx().jobs().submit_result(
		job,
		commitment,
		runtime_types::bounded_collections::bounded_vec::BoundedVec(output_uri.into_bytes()),
	);
	// The commitment finalizes in the background, so that the worker can
	// fetch and claim its next job meanwhile (the output is on disk and
	// served already; a worker killed now resumes the job at restart).
	let context = context.clone();
	tokio::spawn(async move {
		match chain::submit(&context.client, &call, &context.signer).await {
			Ok(_) => {
				context.metrics.committed.inc();
				tracing::info!(job, "result committed; waiting for settlement");
				let mut state = context.state.lock().unwrap_or_else(|p| p.into_inner());
				if let Some(mut held) = state.get(job).cloned() {
					held.phase = Phase::Committed;
					if let Err(error) = state.put(job, held) {
						tracing::warn!(job, %error, "recording the commitment");
					}
				}
			},
			Err(error) => {
				context.metrics.failed.inc();
				tracing::error!(job, %error, "committing the result failed");
			},
		}
	});
	Ok(Attempt::Committing)
}

/// Logs a running job's progress about ten times over its run (every step
/// of a short one).
pub fn log_progress(job: JobId, step: u32, steps: u32, loss: i64) {
	let every = steps.div_ceil(10).max(1);
	if step.is_multiple_of(every) || step == steps {
		let percent = u64::from(step) * 100 / u64::from(steps.max(1));
		tracing::info!(
			job,
			step,
			steps,
			loss = format!("{:.4}", loss as f64 / 65536.0),
			"progress {percent} %"
		);
	}
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
async fn check_offer(
	context: &Context_,
	record: &ChainJob,
	kind: WorkloadKind,
) -> Result<Option<String>> {
	if !matches!(record.status, ChainStatus::Open { .. }) {
		return Ok(Some(format!("the job is {}", chain::status_name(&record.status))));
	}
	if record.client == context.account {
		return Ok(Some("own job".into()));
	}
	if !context.kinds.contains(&kind) {
		return Ok(Some(format!("{} jobs are not offered", workload::kind_name(kind))));
	}
	let params = chain::params(&context.client).await?;
	let price = context.price_per_unit.saturating_mul(u128::from(record.spec.compute_units));
	let cost = price.saturating_add(chain::max_verifier_fees(&params));
	if cost > record.budget {
		return Ok(Some(format!(
			"budget {} is below price {} plus verifier fees",
			chain::format_hypha(record.budget),
			chain::format_hypha(price)
		)));
	}
	Ok(None)
}
