//! The short version of `make soak-market`: a three-validator local testnet,
//! two workers, two verifiers and three clients, while a worker, a verifier
//! and a validator are each killed and restarted at least once. Every job
//! ends, no honest party is slashed, and every token adds up to the unit.

use std::time::Duration;

use anyhow::{ensure, Result};
use hypha_e2e::market::End;
use hypha_e2e::soak::{self, SoakConfig};

#[tokio::test]
async fn a_short_soak_with_kills_ends_every_job_and_every_token_adds_up() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let seed = std::env::var("HYPHA_SOAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7);
	let config = SoakConfig {
		jobs: 30,
		batch: 5,
		rate: 1.0,
		workers: 2,
		verifiers: 2,
		faults: true,
		gap: (3, 6),
		downtime: (1, 4),
		seed,
		patience: Duration::from_secs(420),
		dir: std::env::temp_dir().join(format!("hypha-e2e-soak-{}", std::process::id())),
	};
	let report = soak::run(&config).await?;
	let text = report.markdown(&config);
	eprintln!("{text}");
	for kind in ["worker", "verifier", "validator"] {
		ensure!(report.kills_of(kind) >= 1, "no {kind} was killed:\n{text}");
	}
	let (settled, refunded) = (report.ended(End::Settled), report.ended(End::Refunded));
	ensure!(settled + refunded == config.jobs, "not every job settled or was refunded:\n{text}");
	ensure!(report.ended(End::Slashed) == 0, "an honest provider was slashed:\n{text}");
	ensure!(report.totals.verifiers_slashed == 0, "an honest verifier was slashed:\n{text}");
	// A process down for a few seconds is well inside the result window (60
	// blocks) and the audit window (30): an honest party that restarts loses
	// nothing (docs/MARKET.md, "Under faults").
	ensure!(report.totals.deadlines_missed == 0, "a restarted worker missed a deadline:\n{text}");
	ensure!(report.totals.verifiers_absent == 0, "a restarted verifier missed a verdict:\n{text}");
	ensure!(report.unaccounted() == 0, "tokens unaccounted for:\n{text}");
	ensure!(report.issuance_unaccounted() == 0, "the issuance does not add up:\n{text}");
	ensure!(report.clients_held_change == 0, "escrow left on hold:\n{text}");
	let _ = std::fs::remove_dir_all(&config.dir);
	Ok(())
}
