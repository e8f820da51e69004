//! `market-soak`: a long run of the market under faults (see
//! `hypha_e2e::soak`): `--jobs` jobs from three clients on a three-validator
//! local testnet with `--workers` workers and `--verifiers` verifiers, while
//! a worker, a verifier and a validator are killed and restarted at random.
//! Fails unless every job ends and every token is accounted for; prints
//! Markdown for docs/BENCHMARKS.md. `make soak-market` runs it.

use std::time::Duration;

use anyhow::{ensure, Result};
use clap::Parser;
use hypha_e2e::market::End;
use hypha_e2e::soak::{self, SoakConfig};

#[derive(Parser, Debug)]
#[command(about = "The market under kills and restarts: every job ends, every token adds up")]
struct Args {
	/// Jobs in all.
	#[arg(long, default_value_t = 1_000)]
	jobs: usize,
	/// Jobs per `hypha job submit` (one transaction).
	#[arg(long, default_value_t = 10)]
	batch: usize,
	/// Jobs submitted per second, all clients together.
	#[arg(long, default_value_t = 2.0)]
	rate: f64,
	/// Workers.
	#[arg(long, default_value_t = 3)]
	workers: usize,
	/// Verifiers.
	#[arg(long, default_value_t = 2)]
	verifiers: usize,
	/// Shortest and longest seconds between a restart and the next kill.
	#[arg(long, num_args = 2, default_values_t = [10, 30])]
	gap: Vec<u64>,
	/// Shortest and longest seconds a killed process stays down.
	#[arg(long, num_args = 2, default_values_t = [1, 8])]
	downtime: Vec<u64>,
	/// Seed of the fault schedule.
	#[arg(long, default_value_t = 1)]
	seed: u64,
	/// Run without faults (for a baseline).
	#[arg(long)]
	no_faults: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
	let args = Args::parse();
	let config = SoakConfig {
		jobs: args.jobs,
		batch: args.batch,
		rate: args.rate,
		workers: args.workers,
		verifiers: args.verifiers,
		faults: !args.no_faults,
		gap: (args.gap[0], args.gap[1]),
		downtime: (args.downtime[0], args.downtime[1]),
		seed: args.seed,
		patience: Duration::from_secs(1800),
		dir: std::env::temp_dir().join(format!("hypha-market-soak-{}", std::process::id())),
	};
	let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
	let report = soak::run(&config).await?;
	println!("## Soak under faults ({profile} builds)\n");
	println!("{}", report.markdown(&config));
	ensure!(report.totals.deadlines_missed == 0, "a restarted worker missed a deadline");
	ensure!(report.totals.verifiers_absent == 0, "a restarted verifier missed a verdict");
	ensure!(report.unaccounted() == 0, "{} units unaccounted for", report.unaccounted());
	ensure!(report.issuance_unaccounted() == 0, "the issuance does not add up");
	ensure!(report.clients_held_change == 0, "escrow left on hold");
	ensure!(report.ended(End::Slashed) == 0, "an honest provider was slashed");
	ensure!(report.totals.verifiers_slashed == 0, "an honest verifier was slashed");
	let _ = std::fs::remove_dir_all(&config.dir);
	Ok(())
}
