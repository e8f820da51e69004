//! `market-bench`: the market's throughput against the chain's own ceiling,
//! side by side on one dev node in one run.
//!
//! 1. **Transfers**: signed `transfer_keep_alive` calls from six dev
//!    accounts (Alice…Ferdie), signed in advance and handed to the node 64 at
//!    a time; the chain's ceiling for plain transactions on this machine.
//! 2. **Light load**: `--light-jobs` jobs one after the other: latency of a
//!    job that waits for nobody.
//! 3. **Full load**: `--jobs` jobs submitted at once by three clients
//!    (Alice, Bob, Charlie; one `batch_all` per 64 jobs) to `--workers`
//!    workers and `--verifiers` verifiers (each its own process and account):
//!    job lifecycles (submit → settled) per second, latencies, and the
//!    verification overhead (the verifiers' compute seconds over the
//!    workers', from their `/metrics`).
//!
//! Everything is timed from the finalized blocks' timestamps (a [`Tracker`]
//! reads every block). The job is the digits training job with
//! `--epochs` epochs. The node and the daemons are the binaries next to this
//! one: `make bench-market` builds and runs them all in release.
//!
//! Prints Markdown for docs/BENCHMARKS.md.

use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use clap::Parser;
use hypha_e2e::market::{self, Daemons, Life, Spread, Stamp, Submitter, Tracker};
use hypha_e2e::{digits_training_job, finalized_number, start_blob_store, NodeProcess};

#[derive(Parser, Debug)]
#[command(about = "The market's throughput and latency against the chain's transfer ceiling")]
struct Args {
	/// Workers, each its own process and account.
	#[arg(long, default_value_t = 4)]
	workers: usize,
	/// Verifiers, each its own process and account.
	#[arg(long, default_value_t = 2)]
	verifiers: usize,
	/// Jobs submitted at once for the full-load run.
	#[arg(long, default_value_t = 240)]
	jobs: usize,
	/// Jobs run one after the other for the light-load latencies.
	#[arg(long, default_value_t = 20)]
	light_jobs: usize,
	/// Transfers per sender (six senders).
	#[arg(long, default_value_t = 2_000)]
	transfers_per_sender: u32,
	/// Epochs of the digits training job (1: milliseconds of compute).
	#[arg(long, default_value_t = 1)]
	epochs: u32,
	/// `--max-jobs` of every worker (its default when not given).
	#[arg(long)]
	worker_max_jobs: Option<usize>,
}

const SENDERS: [&str; 6] = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie"];
const CLIENTS: [&str; 3] = ["//Alice", "//Bob", "//Charlie"];

fn span_rows(name: &str, load: &str, lives: &[Life], to: fn(&Life) -> Option<Stamp>) -> String {
	let (blocks, seconds) = market::spans(lives, |l| l.submitted, to);
	let f = |s: Spread| format!("{:.0} | {:.0} | {:.0}", s.p50, s.p95, s.max);
	let g = |s: Spread| format!("{:.1} | {:.1} | {:.1}", s.p50, s.p95, s.max);
	format!("| {name} | {load} | {} | {} | {} |", blocks.count, f(blocks), g(seconds))
}

#[tokio::main]
async fn main() -> Result<()> {
	let args = Args::parse();
	let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
	let dir = std::env::temp_dir().join(format!("hypha-market-bench-{}", std::process::id()));
	std::fs::create_dir_all(&dir)?;
	let patience = Duration::from_secs(900);

	let mut node = NodeProcess::start("bench", &["--dev", "--pool-limit", "32768"])?;
	let client = node.client(Duration::from_secs(120)).await?;
	let url = node.ws_url();
	let tracker = Tracker::start(client.clone(), finalized_number(&client).await?);

	// 1. The chain's ceiling.
	eprintln!("[bench] {} transfers…", args.transfers_per_sender as usize * SENDERS.len());
	let senders: Vec<_> = SENDERS.iter().map(|s| market::keypair(s)).collect::<Result<_>>()?;
	let transfers =
		market::transfer_rate(&client, &tracker, &senders, args.transfers_per_sender, patience)
			.await?;

	// The market: a blob store, the daemons, the job.
	let alice = market::keypair("//Alice")?;
	let accounts = Daemons::fund(&client, &alice, args.workers, args.verifiers).await?;
	let store = start_blob_store("bench-store").await?;
	let max_jobs = args.worker_max_jobs.map(|n| n.to_string());
	let mut worker_flags = Vec::new();
	if let Some(n) = &max_jobs {
		worker_flags.extend(["--max-jobs", n.as_str()]);
	}
	let daemons = Daemons::start(
		&client,
		&url,
		accounts,
		(args.workers, args.verifiers),
		&dir,
		&worker_flags,
	)
	.await?;
	let spec = digits_training_job(&dir.join("job"), args.epochs).await?;
	let submitter = Submitter { url, store: store.url(), spec: spec.display().to_string() };

	// 2. One job at a time.
	eprintln!("[bench] {} jobs one at a time…", args.light_jobs);
	let mut light = Vec::new();
	for _ in 0..args.light_jobs {
		let jobs = submitter.submit("//Bob", 1).await?;
		tracker.wait_ended(&jobs, Duration::from_secs(180)).await?;
		light.extend(jobs);
	}
	let light = tracker.lives(&light);

	// 3. Many at once.
	eprintln!("[bench] {} jobs at once…", args.jobs);
	let compute = |daemons: &[hypha_e2e::Daemon], name: &str| Daemons::sum_metric(daemons, name);
	let worker_metric = "hypha_worker_compute_seconds_total";
	let verifier_metric = "hypha_verifier_compute_seconds_total";
	let (worker_before, verifier_before) =
		(compute(&daemons.workers, worker_metric)?, compute(&daemons.verifiers, verifier_metric)?);
	let started = Instant::now();
	let mut tasks = tokio::task::JoinSet::new();
	for (i, seed) in CLIENTS.iter().enumerate() {
		let share = args.jobs / CLIENTS.len() + usize::from(i < args.jobs % CLIENTS.len());
		let submitter = submitter.clone();
		tasks.spawn(async move { submitter.submit(seed, share).await });
	}
	let mut full = Vec::new();
	while let Some(done) = tasks.join_next().await {
		full.extend(done??);
	}
	let submitted_in = started.elapsed().as_secs_f64();
	tracker.wait_ended(&full, patience).await?;
	// The verifiers may still be re-executing the last audits' panels: wait
	// for their compute to stop growing before reading it.
	tokio::time::sleep(Duration::from_secs(3)).await;
	let worker_seconds = compute(&daemons.workers, worker_metric)? - worker_before;
	let verifier_seconds = compute(&daemons.verifiers, verifier_metric)? - verifier_before;
	let full = tracker.lives(&full);

	let first = full.iter().filter_map(|l| l.submitted).min_by_key(|s| s.block);
	let last = full.iter().filter_map(|l| l.ended.map(|e| e.0)).max_by_key(|s| s.block);
	let (Some(first), Some(last)) = (first, last) else {
		anyhow::bail!("no job was submitted or ended");
	};
	let block_time = hypha_primitives::MILLISECS_PER_BLOCK as f64 / 1000.0;
	let lifecycle_seconds = (last.millis - first.millis) as f64 / 1000.0 + block_time;
	let lifecycles = full.len() as f64 / lifecycle_seconds;
	let settled =
		full.iter().filter(|l| matches!(l.ended, Some((_, market::End::Settled)))).count();
	ensure!(
		settled == full.len(),
		"{} of {} jobs did not settle",
		full.len() - settled,
		full.len()
	);
	let audited = full.iter().filter(|l| l.audited == Some(true)).count();
	let p: Vec<f64> = full.iter().filter_map(|l| l.probability_ppm).map(f64::from).collect();
	let p_mean = p.iter().sum::<f64>() / p.len().max(1) as f64 / 1e4;
	// What one audit costs the verifiers, in units of the job's own compute
	// (1.0: one re-execution, no dispute), and what that makes the
	// overhead for a provider with a spotless record, audited at the base
	// rate of the chain's parameters.
	let per_audit = verifier_seconds / (audited.max(1) as f64 * worker_seconds / full.len() as f64);
	let params = hypha_client::query::params(&client).await?;
	let base_ppm = hypha_primitives::sampling::audit_probability_ppm(
		1_000_000,
		1_000_000 / 100 * u128::from(params.collateral_percent),
		params.safety_permille,
		params.p_min_ppm,
		hypha_primitives::sampling::PPM,
	);
	let base = f64::from(base_ppm) / 1e4;

	println!(
		"## Market against the chain ({profile} builds, dev node, 1-second blocks, {} workers, {} verifiers)\n",
		args.workers, args.verifiers
	);
	println!(
		"Job: digits training, {} epoch(s). {} jobs submitted at once by 3 clients ({submitted_in:.1} s to submit).\n",
		args.epochs, full.len()
	);
	println!("| figure | value |\n| --- | --- |");
	println!(
		"| transfers/s (`transfer_keep_alive`, 6 senders) | **{:.0}** ({} in {} blocks, fullest block {}, signed and sent in {:.1} s) |",
		transfers.per_second(),
		transfers.transfers,
		transfers.blocks,
		transfers.fullest_block,
		transfers.submit_seconds
	);
	println!(
		"| job lifecycles/s (submit → settled) | **{lifecycles:.2}** ({} jobs in {:.0} s, blocks {}..{}) |",
		full.len(),
		lifecycle_seconds,
		first.block,
		last.block
	);
	println!(
		"| ratio lifecycles / transfers | {:.4} (goal ≥ 0.25) |",
		lifecycles / transfers.per_second()
	);
	println!("| jobs lost | {} |", full.len() - settled);
	println!(
		"| audited | {audited} of {} ({:.1} %; mean audit probability {p_mean:.2} %) |",
		full.len(),
		100.0 * audited as f64 / full.len().max(1) as f64
	);
	println!(
		"| verification overhead, this run (verifier compute / worker compute) | **{:.1} %** ({verifier_seconds:.3} s / {worker_seconds:.3} s; new providers are audited more, see below) |",
		100.0 * verifier_seconds / worker_seconds
	);
	println!("| verifier compute per audit / worker compute per job | {per_audit:.2} |");
	println!(
		"| verification overhead for a provider with a spotless record (base rate {base:.2} % × per audit) | **{:.1} %** (goal ≤ 5 %) |",
		base * per_audit
	);
	println!();
	println!(
		"| span | load | jobs | p50 blocks | p95 blocks | max blocks | p50 s | p95 s | max s |"
	);
	println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
	let light_name = "one at a time";
	let full_name = format!("{} at once", full.len());
	for (name, to) in [
		("submit → claimed", (|l: &Life| l.claimed) as fn(&Life) -> Option<Stamp>),
		("submit → committed", |l: &Life| l.committed),
		("submit → settled", |l: &Life| l.ended.map(|e| e.0)),
	] {
		println!("{}", span_rows(name, light_name, &light, to));
		println!("{}", span_rows(name, &full_name, &full, to));
	}
	drop(daemons);
	drop(store);
	node.kill();
	Ok(())
}
