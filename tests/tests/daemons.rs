//! The daemons driven in process through `run(config, shutdown)`, as a
//! binary's `main` drives them, against a real dev node: each stops cleanly
//! when its shutdown future completes while it has a job in flight, and a
//! restart finishes the job from where the last one stopped.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hypha_client::subxt_signer::sr25519::dev;
use hypha_client::{AccountId, Client, JobStatus};
use hypha_compute::BackendChoice;
use hypha_e2e::{digits_training_job, free_port, hypha_cli, start_blob_store, NodeProcess};
use hypha_primitives::HYPHA;
use hypha_verifier::VerifierConfig;
use hypha_worker::WorkerConfig;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const PATIENCE: Duration = Duration::from_secs(180);
/// How long a daemon may take to return once told to stop.
const STOP_WITHIN: Duration = Duration::from_secs(20);

/// A daemon running in a task of this test, and the switch that stops it.
struct Running {
	stop: oneshot::Sender<()>,
	task: JoinHandle<Result<()>>,
}

impl Running {
	fn spawn<F>(run: impl FnOnce(oneshot::Receiver<()>) -> F) -> Self
	where
		F: std::future::Future<Output = Result<()>> + Send + 'static,
	{
		let (stop, stopped) = oneshot::channel();
		Running { stop, task: tokio::spawn(run(stopped)) }
	}

	/// Completes its shutdown future; `run` must return `Ok` within [`STOP_WITHIN`].
	async fn stop(self, what: &str) -> Result<Duration> {
		let started = Instant::now();
		let _ = self.stop.send(());
		match tokio::time::timeout(STOP_WITHIN, self.task).await {
			Ok(joined) => joined
				.context("the daemon task panicked")?
				.with_context(|| format!("{what} failed"))?,
			Err(_) => bail!("{what} did not return within {STOP_WITHIN:?} of its shutdown"),
		}
		Ok(started.elapsed())
	}
}

fn worker(node_url: &str, state_dir: &std::path::Path, compute_delay_ms: u64) -> Result<Running> {
	let mut config = WorkerConfig {
		node_url: node_url.to_string(),
		seed: Some("//Eve".into()),
		state_dir: state_dir.to_path_buf(),
		listen: format!("127.0.0.1:{}", free_port()?).parse()?,
		backend: BackendChoice::Cpu,
		bond: 1_000 * HYPHA,
		..WorkerConfig::default()
	};
	config.faults.compute_delay_ms = compute_delay_ms;
	Ok(Running::spawn(|stopped| async move {
		hypha_worker::run(config, async {
			let _ = stopped.await;
		})
		.await
	}))
}

fn verifier(node_url: &str, verdict_delay_ms: u64) -> Result<Running> {
	let mut config = VerifierConfig {
		node_url: node_url.to_string(),
		seed: Some("//Ferdie".into()),
		backend: BackendChoice::Cpu,
		bond: 100 * HYPHA,
		metrics_listen: format!("127.0.0.1:{}", free_port()?).parse()?,
		..VerifierConfig::default()
	};
	config.faults.verdict_delay_ms = verdict_delay_ms;
	Ok(Running::spawn(|stopped| async move {
		hypha_verifier::run(config, async {
			let _ = stopped.await;
		})
		.await
	}))
}

async fn wait_for<R>(
	client: &Client,
	job: u64,
	what: &str,
	accept: impl Fn(&JobStatus) -> Option<R>,
) -> Result<R> {
	let deadline = Instant::now() + PATIENCE;
	loop {
		let status = hypha_e2e::job_status(client, job).await?;
		if let Some(found) = accept(&status) {
			return Ok(found);
		}
		if Instant::now() > deadline {
			bail!("job {job} did not reach {what} in {PATIENCE:?}; it is {status:?}");
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_daemons_stop_cleanly_mid_job_and_a_restart_finishes_it() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let dir = std::env::temp_dir().join(format!("hypha-e2e-daemons-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir)?;
	let mut node = NodeProcess::start("daemons", &["--dev"])?;
	let client = node.client(Duration::from_secs(120)).await?;
	let url = node.ws_url();
	let store = start_blob_store("daemons-store").await?;
	// Every result audited, so the verifier has work.
	hypha_cli(&[
		"gov",
		"sudo-set-params",
		"--url",
		&url,
		"--seed",
		"//Alice",
		"--set",
		"p_min_ppm=1000000",
	])
	.await?;
	let (eve, ferdie): (AccountId, AccountId) =
		(dev::eve().public_key().into(), dev::ferdie().public_key().into());
	let state_dir: PathBuf = dir.join("worker-state");

	// The verifier holds its verdict back; the worker waits long after claiming.
	let slow_verifier = verifier(&url, 600_000)?;
	let slow_worker = worker(&url, &state_dir, 600_000)?;
	let spec = digits_training_job(&dir.join("job"), 3).await?;
	let spec = spec.display().to_string();
	let store_url = store.url();
	// The daemons register in the background; the job waits for a provider.
	let submitted = hypha_cli(&[
		"job", "submit", &spec, "--url", &url, "--seed", "//Bob", "--store", &store_url,
	])
	.await?;
	let job = hypha_e2e::submitted_job(&submitted)?;

	// Stop the worker while it holds the job.
	wait_for(&client, job, "Assigned to Eve", |status| {
		matches!(status, JobStatus::Assigned { provider, .. } if *provider == eve).then_some(())
	})
	.await
	.with_context(|| node.log_tail())?;
	let took = slow_worker.stop("the worker").await?;
	println!("worker stopped {took:?} after its shutdown, with job {job} claimed");
	let state = hypha_worker::state::State::open(&state_dir)?;
	ensure!(
		state.get(job).is_some_and(|held| held.phase == hypha_worker::state::Phase::Claimed),
		"the stopped worker's state should hold job {job} as claimed: {:?}",
		state.jobs()
	);
	drop(state);

	// A restarted worker resumes the job and commits it; the audit goes to
	// the slow verifier, which is stopped mid-audit.
	let worker = worker(&url, &state_dir, 0)?;
	wait_for(&client, job, "Audit by Ferdie", |status| {
		status.awaits_verdict_from(&ferdie).then_some(())
	})
	.await?;
	let took = slow_verifier.stop("the verifier").await?;
	println!("verifier stopped {took:?} after its shutdown, mid-audit of job {job}");

	// A restarted verifier finds the audit still waiting for it and answers.
	let verifier = verifier(&url, 0)?;
	wait_for(&client, job, "Settled", |status| match status {
		JobStatus::Settled { provider, .. } if *provider == eve => Some(Ok(())),
		JobStatus::Slashed { .. } | JobStatus::Refunded { .. } => {
			Some(Err(anyhow::anyhow!("job {job} ended {status:?}, expected Settled")))
		},
		_ => None,
	})
	.await??;
	worker.stop("the restarted worker").await?;
	verifier.stop("the restarted verifier").await?;
	let _ = std::fs::remove_dir_all(&dir);
	Ok(())
}
