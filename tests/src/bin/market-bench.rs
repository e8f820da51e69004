//! `market-bench`: what the marketplace costs around the compute.
//!
//! Defaults: `--overhead-jobs 10 --throughput-jobs 24`.
//!
//! Starts a dev node, a blob store, two workers (Eve, Dave) and one verifier
//! (Ferdie) as real processes, with the chain's default parameters (the
//! audit probability follows from the PoSP rule: 50 % at the default safety
//! factor and collateral), and a small job: the digits training job with one
//! epoch (a few milliseconds of compute). Then:
//!
//! 1. **overhead**: submits `--overhead-jobs` jobs one after the other and
//!    measures, from the finalized blocks, submit → result on chain and
//!    result → settlement, in blocks and seconds;
//! 2. **throughput**: submits `--throughput-jobs` jobs at once from three
//!    clients (Alice, Bob, Charlie) and measures how many settle per second.
//!
//! Prints a Markdown table for docs/BENCHMARKS.md. Run it with
//! `make bench-market` (the binaries must be built).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hypha_client::api;
use hypha_e2e::{
	digits_training_job, hypha_cli, start_blob_store, start_verifier, start_worker, Daemon,
	NodeProcess,
};

/// What the tracker saw of one job: block numbers and when their
/// finalization was seen.
#[derive(Debug, Default, Clone)]
struct Track {
	submitted: Option<(u32, Instant)>,
	committed: Option<(u32, Instant)>,
	ended: Option<(u32, Instant, &'static str)>,
	audited: Option<bool>,
}

type Tracks = Arc<Mutex<HashMap<u64, Track>>>;

fn arg(name: &str, default: usize) -> Result<usize> {
	let args: Vec<String> = std::env::args().collect();
	match args.iter().position(|a| a == name) {
		Some(i) => args
			.get(i + 1)
			.context("a value after the flag")?
			.parse()
			.with_context(|| name.to_string()),
		None => Ok(default),
	}
}

async fn track(client: hypha_client::Client, tracks: Tracks) -> Result<()> {
	use api::jobs::events as e;
	let mut blocks = client.stream_blocks().await?;
	while let Some(block) = blocks.next().await {
		let block = block?;
		let seen = Instant::now();
		let number = u32::try_from(block.number())?;
		let events = block.at().await?.events().fetch().await?;
		let mut tracks = tracks.lock().unwrap_or_else(|p| p.into_inner());
		for ev in events.find::<e::JobSubmitted>() {
			tracks.entry(ev?.job).or_default().submitted = Some((number, seen));
		}
		for ev in events.find::<e::ResultCommitted>() {
			tracks.entry(ev?.job).or_default().committed = Some((number, seen));
		}
		for ev in events.find::<e::SamplingDrawn>() {
			let ev = ev?;
			tracks.entry(ev.job).or_default().audited = Some(ev.audited);
		}
		for ev in events.find::<e::JobSettled>() {
			tracks.entry(ev?.job).or_default().ended = Some((number, seen, "settled"));
		}
		for ev in events.find::<e::JobRefunded>() {
			tracks.entry(ev?.job).or_default().ended = Some((number, seen, "refunded"));
		}
		for ev in events.find::<e::ProviderSlashed>() {
			tracks.entry(ev?.job).or_default().ended = Some((number, seen, "slashed"));
		}
	}
	Ok(())
}

struct Bench {
	node: NodeProcess,
	_daemons: Vec<Daemon>,
	url: String,
	store: String,
	spec: String,
	tracks: Tracks,
}

impl Bench {
	async fn submit(&self, seed: &str) -> Result<u64> {
		let output = hypha_cli(&[
			"job",
			"submit",
			&self.spec,
			"--url",
			&self.url,
			"--seed",
			seed,
			"--store",
			&self.store,
			"--budget",
			"10 HYPHA",
		])
		.await?;
		hypha_e2e::submitted_job(&output)
	}

	async fn wait_ended(&self, jobs: &[u64], patience: Duration) -> Result<()> {
		let deadline = Instant::now() + patience;
		loop {
			let done = {
				let tracks = self.tracks.lock().unwrap_or_else(|p| p.into_inner());
				jobs.iter().all(|job| tracks.get(job).is_some_and(|t| t.ended.is_some()))
			};
			if done {
				return Ok(());
			}
			if Instant::now() >= deadline {
				bail!("jobs {jobs:?} did not end within {patience:?}; {}", self.node.log_tail());
			}
			tokio::time::sleep(Duration::from_millis(200)).await;
		}
	}

	fn tracks_of(&self, jobs: &[u64]) -> Vec<Track> {
		let tracks = self.tracks.lock().unwrap_or_else(|p| p.into_inner());
		jobs.iter().filter_map(|job| tracks.get(job).cloned()).collect()
	}
}

fn median(mut values: Vec<f64>) -> f64 {
	if values.is_empty() {
		return f64::NAN;
	}
	values.sort_by(|a, b| a.total_cmp(b));
	values[values.len() / 2]
}

fn row(name: &str, pairs: Vec<(u32, f64)>) -> String {
	let blocks: Vec<f64> = pairs.iter().map(|(b, _)| f64::from(*b)).collect();
	let seconds: Vec<f64> = pairs.iter().map(|(_, s)| *s).collect();
	let max_s = seconds.iter().cloned().fold(f64::NAN, f64::max);
	format!(
		"| {name} | {} | {:.0} | {:.1} | {max_s:.1} |",
		pairs.len(),
		median(blocks),
		median(seconds)
	)
}

#[tokio::main]
async fn main() -> Result<()> {
	let overhead_jobs = arg("--overhead-jobs", 10)?;
	let throughput_jobs = arg("--throughput-jobs", 24)?;
	let dir = std::env::temp_dir().join(format!("hypha-market-bench-{}", std::process::id()));
	std::fs::create_dir_all(&dir)?;

	let mut node = NodeProcess::start("bench", &["--dev"])?;
	let client = node.client(Duration::from_secs(120)).await?;
	let url = node.ws_url();
	let store = start_blob_store("bench-store").await?;
	let store_url = store.url();
	let mut daemons = vec![store];
	for seed in ["//Eve", "//Dave"] {
		let name = seed.trim_start_matches('/');
		daemons.push(start_worker(
			&format!("bench-worker-{name}"),
			&url,
			seed,
			&dir.join(name),
			"0.001",
			&[],
		)?);
	}
	daemons.push(start_verifier("bench-verifier", &url, "//Ferdie", &[])?);
	// Wait for the three registrations.
	let deadline = Instant::now() + Duration::from_secs(120);
	loop {
		let at = client.at_current_block().await?;
		let entry = at.storage().entry(api::storage().stake().providers())?;
		let mut iter = entry.iter(()).await?;
		let mut providers = 0;
		while let Some(item) = iter.next().await {
			item?;
			providers += 1;
		}
		let verifiers =
			at.storage().fetch(api::storage().stake().verifiers(), ()).await?.decode()?.0.len();
		if providers >= 2 && verifiers >= 1 {
			break;
		}
		if Instant::now() >= deadline {
			bail!("the daemons did not register; logs in {}", std::env::temp_dir().display());
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	let spec = digits_training_job(&dir.join("job"), 1).await?;

	let tracks: Tracks = Default::default();
	tokio::spawn(track(client.clone(), tracks.clone()));
	let bench = Bench {
		node,
		_daemons: daemons,
		url,
		store: store_url,
		spec: spec.display().to_string(),
		tracks,
	};

	// 1. One job at a time.
	let mut sequential = Vec::new();
	for _ in 0..overhead_jobs {
		let job = bench.submit("//Bob").await?;
		bench.wait_ended(&[job], Duration::from_secs(180)).await?;
		sequential.push(job);
	}
	let tracks = bench.tracks_of(&sequential);
	let span = |a: Option<(u32, Instant)>, b: Option<(u32, Instant)>| -> Option<(u32, f64)> {
		let ((ba, ta), (bb, tb)) = (a?, b?);
		Some((bb.saturating_sub(ba), tb.duration_since(ta).as_secs_f64()))
	};
	let to_result: Vec<(u32, f64)> =
		tracks.iter().filter_map(|t| span(t.submitted, t.committed)).collect();
	let settle = |audited: bool| -> Vec<(u32, f64)> {
		tracks
			.iter()
			.filter(|t| t.audited == Some(audited))
			.filter_map(|t| span(t.committed, t.ended.map(|(b, i, _)| (b, i))))
			.collect()
	};
	let total: Vec<(u32, f64)> =
		tracks.iter().filter_map(|t| span(t.submitted, t.ended.map(|(b, i, _)| (b, i)))).collect();

	// 2. Many at once, from three clients.
	let started = Instant::now();
	let per_client = throughput_jobs.div_ceil(3);
	let mut handles = Vec::new();
	for seed in ["//Alice", "//Bob", "//Charlie"] {
		let (url, store, spec) = (bench.url.clone(), bench.store.clone(), bench.spec.clone());
		handles.push(tokio::spawn(async move {
			let mut jobs = Vec::new();
			for _ in 0..per_client {
				let output = hypha_cli(&[
					"job", "submit", &spec, "--url", &url, "--seed", seed, "--store", &store,
					"--budget", "10 HYPHA",
				])
				.await?;
				jobs.push(hypha_e2e::submitted_job(&output)?);
			}
			anyhow::Ok(jobs)
		}));
	}
	let mut burst = Vec::new();
	for handle in handles {
		burst.extend(handle.await??);
	}
	let submitted_in = started.elapsed().as_secs_f64();
	bench.wait_ended(&burst, Duration::from_secs(900)).await?;
	let burst_tracks = bench.tracks_of(&burst);
	let first = burst_tracks
		.iter()
		.filter_map(|t| t.submitted)
		.min_by_key(|(b, _)| *b)
		.context("no submission")?;
	let last =
		burst_tracks.iter().filter_map(|t| t.ended).max_by_key(|(b, _, _)| *b).context("no end")?;
	let seconds = last.1.duration_since(first.1).as_secs_f64();
	let blocks = last.0 - first.0;
	let settled =
		burst_tracks.iter().filter(|t| matches!(t.ended, Some((_, _, "settled")))).count();
	let audited = burst_tracks.iter().filter(|t| t.audited == Some(true)).count();

	println!("## Marketplace overhead (dev node, 1-second blocks, 2 workers, 1 verifier)\n");
	println!("Job: digits training, 1 epoch (about 10 compute units, milliseconds of compute).\n");
	println!("| span | jobs | median blocks | median seconds | max seconds |");
	println!("| --- | --- | --- | --- | --- |");
	println!("{}", row("submit → result committed", to_result));
	println!("{}", row("result → settled, not audited", settle(false)));
	println!("{}", row("result → settled, audited", settle(true)));
	println!("{}", row("submit → settled", total));
	println!();
	println!("## Throughput\n");
	println!(
		"{} jobs submitted by 3 clients in {submitted_in:.1} s; {settled} settled ({audited} audited) within {blocks} blocks, {seconds:.1} s from the first submission's block to the last settlement: **{:.2} jobs/s**",
		burst.len(),
		burst.len() as f64 / seconds
	);
	Ok(())
}
