//! `hypha-e2e-worker`: `hypha-worker` plus the test-only flags of its
//! `faults` feature (a cheating, slow or withholding provider). Only the end-to-end
//! tests start it; the product binary has no way to cheat.

use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "hypha-e2e-worker")]
struct E2eWorkerArgs {
	#[command(flatten)]
	worker: hypha_worker::cli::Args,
	/// Commit wrong output digests.
	#[arg(long)]
	cheat: bool,
	/// Wait this many milliseconds after claiming before computing.
	#[arg(long, default_value_t = 0)]
	compute_delay_ms: u64,
	/// Commit the right digest but never hand the output over: no copy in
	/// the client's store, nothing served at the output URI.
	#[arg(long)]
	withhold_output: bool,
	/// Wait this many milliseconds before each generated token (a slow
	/// device: the tokens of a generate job stream one by one).
	#[arg(long, default_value_t = 0)]
	token_delay_ms: u64,
}

fn main() -> std::process::ExitCode {
	hypha_agent::process::quiet_mesa();
	let args = E2eWorkerArgs::parse();
	let faults = hypha_worker::Faults {
		cheat: args.cheat,
		compute_delay_ms: args.compute_delay_ms,
		withhold_output: args.withhold_output,
		token_delay_ms: args.token_delay_ms,
	};
	hypha_worker::cli::main_with(
		async move |mut config| {
			config.faults = faults;
			hypha_worker::run(config, hypha_agent::process::shutdown_signal()).await
		},
		args.worker,
	)
}
