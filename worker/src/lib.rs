//! # hypha-worker
//!
//! The provider daemon of the Hypha marketplace: it turns a machine into a
//! provider that earns HYPHA for computing jobs.
//!
//! What [`run`] does:
//!
//! 1. loads the provider's key, connects to a node and registers as a
//!    provider with a bond and an offer that is true of the machine
//!    ([`registration`]: the backend its jobs really run on, the memory it
//!    has, the receipt key that signs what it serves), or updates the offer;
//! 2. follows the best blocks for work ([`events`]: every `JobSubmitted` /
//!    `JobReopened` job is a candidate, read from the block that announced
//!    it) and the finalized blocks for what it counts (its jobs settled,
//!    slashed, refused); nothing scans the chain's jobs but the startup,
//!    which reads only the jobs still alive
//!    ([`hypha_client::query::live_jobs`]);
//! 3. takes candidates through the [`pipeline`]: digest-checked fetch of the
//!    program and input *before* claiming, the job rebuilt from them and its
//!    declared compute units recounted, claim, compute, output on disk and
//!    served to the job's client only ([`serve`]), commitment;
//! 4. watches its jobs end (settled, slashed, refunded) and counts earnings
//!    ([`metrics`]).
//!
//! Up to `max_jobs` jobs are in flight at once, each its own task: one
//! fetches while another waits for its claim's inclusion, a third computes
//! and a fourth commits. Computing goes through the device's queue
//! (`compute_slots` at once); a worker claims a job only if its pace says
//! the job finishes in its result window behind the work already queued.
//! Claims and commitments act on inclusion in a best block and pipeline
//! through the process's nonces. Jobs in flight are kept in a state
//! directory ([`state`]), so a restarted worker resumes the jobs it holds
//! and never claims one twice.
//!
//! ## Layout
//!
//! [`config`] (settings), [`cli`] (flags onto settings; the binary's
//! `main.rs` is three lines), [`registration`], [`events`], [`pipeline`],
//! [`serve`], [`state`], [`metrics`]. Chain access is `hypha-client`'s, job
//! packaging `hypha-compute`'s, and fetching, the output channel, logging
//! and the metrics endpoint `hypha-agent`'s.
//!
//! ## Failure modes
//!
//! Startup errors (no node, no key, registration refused) end [`run`] with an
//! error. After that, a failed job is logged and counted in
//! `hypha_worker_jobs_failed_total`; the daemon keeps going. A worker that
//! cannot finish a job lets its deadline pass: the chain takes a share of its
//! collateral and reopens the job for another provider. On shutdown the job
//! in flight is abandoned (a restart resumes it from the state directory)
//! and commitments on their way get a few seconds to land.
//!
//! ## Feature `faults`
//!
//! Test-only misbehaviour ([`config::Faults`]: a cheating provider, a slow
//! one) for the end-to-end tests' own worker binary. The `hypha-worker`
//! binary has no flag for it, and a config file cannot set it.

pub mod cli;
pub mod config;
pub mod events;
pub mod metrics;
pub mod pipeline;
pub mod registration;
pub mod serve;
pub mod state;

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hypha_agent::blocks::{BestBlocks, FinalizedBlocks};
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{keys, AccountId, Client};
use hypha_compute::Backend;
use hypha_primitives::JobId;

#[cfg(feature = "faults")]
pub use config::Faults;
pub use config::WorkerConfig;
use metrics::Metrics;
use pipeline::Attempt;
use serve::Outputs;
use state::{Phase, State};

/// How long commitments still on their way get at shutdown.
const COMMIT_GRACE: Duration = Duration::from_secs(10);

/// Everything a job task needs, cheap to clone.
#[derive(Clone)]
pub(crate) struct Shared {
	client: Client,
	signer: Arc<Keypair>,
	account: AccountId,
	config: Arc<WorkerConfig>,
	backend: Backend,
	memory_mib: u32,
	public_url: String,
	state: Arc<Mutex<State>>,
	outputs: Outputs,
	/// The tokens of the `generate` jobs computing here, for their clients.
	streams: serve::Streams,
	/// The programs and inputs of held jobs, served to their auditors.
	inputs: serve::Inputs,
	/// How fast this worker computes, from the jobs it ran.
	pace: Arc<Mutex<pipeline::Pace>>,
	metrics: Metrics,
	receipt_key: Arc<ed25519_dalek::SigningKey>,
	/// Commitments finalizing in the background.
	background: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
	/// The device's queue: `compute_slots` permits.
	pub(crate) device: Arc<tokio::sync::Semaphore>,
	/// Compute units of the claimed jobs waiting for the device.
	pub(crate) queued_units: Arc<std::sync::atomic::AtomicU64>,
	/// The latest best block seen: where jobs are read.
	best: Arc<Mutex<Option<hypha_client::subxt::config::substrate::H256>>>,
	#[cfg(feature = "faults")]
	faults: config::Faults,
}

impl Shared {
	/// The state directory, locked (never held across an await).
	fn state(&self) -> MutexGuard<'_, State> {
		self.state.lock().unwrap_or_else(|p| p.into_inner())
	}

	/// This worker's pace, locked (never held across an await).
	pub(crate) fn pace(&self) -> MutexGuard<'_, pipeline::Pace> {
		self.pace.lock().unwrap_or_else(|p| p.into_inner())
	}

	/// Serves `job`'s program and input (with their digests) to its auditors.
	pub(crate) fn hold_inputs(&self, job: JobId, blobs: Vec<(hypha_primitives::Digest, Vec<u8>)>) {
		let blobs = blobs.into_iter().map(|(digest, bytes)| (digest, bytes.into())).collect();
		self.inputs.write().unwrap_or_else(|p| p.into_inner()).insert(job, blobs);
	}

	/// The job `job` as of the latest best block this worker saw (as of
	/// the finalized block before it saw one, or if that block is gone).
	pub(crate) async fn read_job(&self, job: JobId) -> Result<Option<hypha_client::Job>> {
		let best = *self.best.lock().unwrap_or_else(|p| p.into_inner());
		if let Some(block) = best {
			match hypha_client::query::job_at(&self.client, block, job).await {
				Ok(record) => return Ok(record),
				Err(error) => {
					tracing::debug!(job, %error, "reading at the best block; reading at the finalized one")
				},
			}
		}
		Ok(hypha_client::query::job(&self.client, job).await?)
	}

	/// Stops serving `job`'s program and input: it ended, or is no longer this worker's.
	pub(crate) fn drop_inputs(&self, job: JobId) {
		self.inputs.write().unwrap_or_else(|p| p.into_inner()).remove(&job);
		self.streams.write().unwrap_or_else(|p| p.into_inner()).remove(&job);
	}
}

/// Runs the worker until `shutdown` completes.
pub async fn run(config: WorkerConfig, shutdown: impl Future<Output = ()>) -> Result<()> {
	let signer = keys::load_signer(config.seed.as_deref(), config.key_file.as_deref())?;
	let account = keys::account_of(&signer);
	anyhow::ensure!(!config.job_kinds.is_empty(), "offer at least one job kind");
	anyhow::ensure!(config.max_jobs >= 1, "max_jobs must be at least 1");
	anyhow::ensure!(config.compute_slots >= 1, "compute_slots must be at least 1");
	let backend = Backend::select(config.backend).context("selecting the compute backend")?;
	let memory_mib = registration::memory_mib(config.memory_mib)?;
	let state = State::open(&config.state_dir)?;
	let receipt_key = registration::receipt_key(&config.state_dir)?;
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
	let client =
		hypha_client::connect_with_retry(&config.node_url, Duration::from_secs(120)).await?;
	tracing::info!(account = %account, node = %config.node_url, endpoint = %public_url, "worker starting");
	let offer =
		registration::capabilities(&config, &backend, memory_mib, &public_url, &receipt_key)?;
	registration::ensure_registered(&client, &signer, offer, config.bond).await?;

	let shared = Shared {
		client: client.clone(),
		signer: Arc::new(signer),
		account,
		backend,
		memory_mib,
		public_url,
		state: Arc::new(Mutex::new(state)),
		outputs: Default::default(),
		streams: Default::default(),
		inputs: Default::default(),
		pace: Default::default(),
		metrics: Metrics::new()?,
		receipt_key: Arc::new(receipt_key),
		background: Default::default(),
		device: Arc::new(tokio::sync::Semaphore::new(config.compute_slots)),
		queued_units: Default::default(),
		best: Default::default(),
		#[cfg(feature = "faults")]
		faults: config.faults.clone(),
		config: Arc::new(config),
	};
	#[cfg(feature = "faults")]
	if shared.faults.cheat
		|| shared.faults.compute_delay_ms > 0
		|| shared.faults.withhold_output
		|| shared.faults.token_delay_ms > 0
	{
		tracing::warn!(faults = ?shared.faults, "fault injection on (end-to-end tests only)");
	}
	// Outputs computed before a restart are served again.
	let computed: Vec<(JobId, [u8; 32], Option<String>)> = shared
		.state()
		.jobs()
		.iter()
		.filter(|(_, held)| matches!(held.phase, Phase::Computed | Phase::Committed))
		.map(|(job, held)| (*job, held.client, held.sealed_digest.clone()))
		.collect();
	for (job, client_account, sealed_digest) in computed {
		let bytes = shared.state().read_output(job)?;
		// A sealed output's receipt signs its plaintext's digest.
		let digest = match sealed_digest.as_deref().map(hex::decode) {
			Some(Ok(plain)) if plain.len() == 32 => {
				let mut digest = [0u8; 32];
				digest.copy_from_slice(&plain);
				digest
			},
			_ => hypha_primitives::blake2_256(&bytes),
		};
		shared.serve(job, client_account, bytes.into(), &digest);
	}
	let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
	let server = hypha_agent::metrics::serve(
		listener,
		serve::router(
			shared.outputs.clone(),
			shared.streams.clone(),
			serve::Mirror {
				inputs: shared.inputs.clone(),
				chain: shared.client.clone(),
				replays: Default::default(),
			},
			shared.metrics.registry.clone(),
		),
		async {
			let _ = server_stopped.await;
		},
	);
	tracing::info!(%local, "serving outputs at /jobs/{{job}}/output, tokens at /jobs/{{job}}/stream, held jobs' blobs at /blobs/{{digest}} and metrics at /metrics");

	let result = follow(&shared, shutdown).await;
	let _ = stop_server.send(());
	let _ = server.await;
	let background: Vec<_> =
		std::mem::take(&mut *shared.background.lock().unwrap_or_else(|p| p.into_inner()));
	// One grace period for all of them, not one each.
	let grace_ends = tokio::time::Instant::now() + COMMIT_GRACE;
	for task in background {
		if !task.is_finished() {
			tracing::info!("waiting for a commitment on its way");
		}
		let abort = task.abort_handle();
		if tokio::time::timeout_at(grace_ends, task).await.is_err() {
			abort.abort();
			tracing::warn!("a commitment did not land before shutdown; a restart resumes its job");
		}
	}
	result
}

/// The main loop: candidates in, up to `max_jobs` attempts at once, until
/// `shutdown`.
async fn follow(shared: &Shared, shutdown: impl Future<Output = ()>) -> Result<()> {
	// Subscribed before the state is read, so that no claim of this worker's
	// falls in between (see `events::adopt_unknown_claim`).
	let mut best = BestBlocks::subscribe(&shared.client).await?;
	let mut finalized = FinalizedBlocks::subscribe(&shared.client).await?;
	let mut queue = events::initial_scan(shared).await?;
	let retention = Duration::from_secs(shared.config.output_retention_secs);
	let mut attempts: tokio::task::JoinSet<(JobId, Attempt)> = tokio::task::JoinSet::new();
	futures::pin_mut!(shutdown);
	loop {
		// Start what there is room for.
		while attempts.len() < shared.config.max_jobs {
			let Some((job, resuming)) = queue.next(&shared.account) else { break };
			queue.in_flight.insert(job);
			let shared = shared.clone();
			attempts.spawn(async move { (job, pipeline::attempt(&shared, job, resuming).await) });
		}
		shared.metrics.in_flight.set(attempts.len() as i64);
		tokio::select! {
			_ = &mut shutdown => {
				tracing::info!("shutting down");
				break;
			},
			Some(finished) = attempts.join_next(), if !attempts.is_empty() => {
				let (job, outcome) = match finished {
					Ok(done) => done,
					Err(error) => {
						tracing::error!(%error, "a job task panicked");
						shared.metrics.failed.inc();
						continue;
					},
				};
				queue.in_flight.remove(&job);
				match outcome {
					Attempt::Committing => tracing::info!(job, "committed"),
					Attempt::Skipped(why) => { tracing::debug!(job, %why, "skipped"); queue.done.insert(job); },
					Attempt::Refused(why) => {
						tracing::warn!(job, %why, "job refused");
						shared.metrics.refused.inc();
						queue.refused.insert(job);
					},
					Attempt::Retry(why) => { tracing::info!(job, %why, "will retry"); queue.retry.insert(job); },
					Attempt::Failed(why) => {
						tracing::error!(job, %why, "job failed");
						shared.metrics.failed.inc();
					},
				}
			},
			block = best.next() => {
				let Some(block) = block else { anyhow::bail!("the node closed the best-block subscription") };
				let block = match block {
					Ok(block) => block,
					Err(error) => { tracing::warn!(%error, "reading a best block"); continue; },
				};
				*shared.best.lock().unwrap_or_else(|p| p.into_inner()) = Some(block.hash);
				if let Err(error) = events::on_best_block(shared, &block.events, &mut queue) {
					tracing::warn!(%error, number = block.number, "reading a best block's events");
				}
				// Jobs that waited (a store that did not answer, no verifier
				// yet, a full device queue) are tried again at each block.
				queue.candidates.append(&mut queue.retry);
			},
			block = finalized.next() => {
				let Some(block) = block else { anyhow::bail!("the node closed the finalized-block subscription") };
				let block = match block {
					Ok(block) => block,
					Err(error) => { tracing::warn!(%error, "reading a finalized block"); continue; },
				};
				if let Err(error) = events::on_finalized_block(shared, &block.events, &mut queue) {
					tracing::warn!(%error, number = block.number, "reading a finalized block's events");
				}
				forget_ended(shared, &mut queue.ended, retention);
			},
		}
	}
	if !attempts.is_empty() {
		// A computation itself runs on a blocking thread that cannot be
		// interrupted; its result is dropped. The state directory holds the
		// claims, so a restart resumes those jobs.
		tracing::info!(
			jobs = attempts.len(),
			"stopped with jobs in flight; a restart resumes the claimed ones"
		);
		attempts.abort_all();
	}
	Ok(())
}

/// Outputs of ended jobs are served for `retention`, then dropped.
fn forget_ended(shared: &Shared, ended: &mut Vec<(JobId, Instant)>, retention: Duration) {
	let now = Instant::now();
	ended.retain(|(job, at)| {
		if now.duration_since(*at) < retention {
			return true;
		}
		shared.outputs.write().unwrap_or_else(|p| p.into_inner()).remove(job);
		if let Err(error) = shared.state().forget(*job) {
			tracing::warn!(job, %error, "forgetting an ended job");
		}
		false
	});
}
