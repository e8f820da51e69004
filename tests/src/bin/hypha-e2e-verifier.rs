//! `hypha-e2e-verifier`: `hypha-verifier` plus the test-only flags of its
//! `faults` feature (a lying, slow verifier). Only the end-to-end tests
//! start it; the product binary has no way to lie.

use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "hypha-e2e-verifier")]
struct E2eVerifierArgs {
	#[command(flatten)]
	verifier: hypha_verifier::cli::Args,
	/// Submit wrong digests.
	#[arg(long)]
	lie: bool,
	/// Wait this many milliseconds before submitting each verdict.
	#[arg(long, default_value_t = 0)]
	verdict_delay_ms: u64,
}

fn main() -> std::process::ExitCode {
	hypha_agent::process::quiet_mesa();
	let args = E2eVerifierArgs::parse();
	let faults =
		hypha_verifier::config::Faults { lie: args.lie, verdict_delay_ms: args.verdict_delay_ms };
	hypha_verifier::cli::main_with(
		async move |mut config| {
			config.faults = faults;
			hypha_verifier::run(config, hypha_agent::process::shutdown_signal()).await
		},
		args.verifier,
	)
}
