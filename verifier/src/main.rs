//! `hypha-verifier`: the verifier daemon. See the library docs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use hypha_verifier::VerifierConfig;
use hypha_worker::chain;

/// The Hypha verifier daemon: stakes HYPHA, re-executes the jobs the chain
/// assigns to it for audit or dispute, and submits its verdicts.
#[derive(Debug, Parser)]
#[command(name = "hypha-verifier", version)]
struct Args {
	/// A TOML file with any of the settings below (snake_case keys); flags win.
	#[arg(long)]
	config: Option<PathBuf>,
	/// The node's JSON-RPC URL [default: ws://127.0.0.1:9944].
	#[arg(long, env = "HYPHA_NODE")]
	node: Option<String>,
	/// The verifier's secret URI, e.g. a dev seed (`//Ferdie`).
	#[arg(long, conflicts_with = "key_file")]
	seed: Option<String>,
	/// A file holding the verifier's secret URI or mnemonic.
	#[arg(long)]
	key_file: Option<PathBuf>,
	/// Bond to register with, in HYPHA [default: 1000].
	#[arg(long)]
	bond: Option<String>,
	/// Compute backend: auto, cpu, gpu or reference [default: auto].
	#[arg(long, env = "HYPHA_BACKEND")]
	backend: Option<String>,
	/// Address to serve /metrics on [default: 127.0.0.1:7200].
	#[arg(long)]
	metrics_listen: Option<SocketAddr>,
	/// Log filter (tracing env-filter syntax).
	#[arg(long, env = "HYPHA_LOG", default_value = "info")]
	log: String,
	/// Test only: submit wrong digests.
	#[arg(long, hide = true)]
	lie: bool,
	/// Test only: wait this many milliseconds before submitting each verdict.
	#[arg(long, hide = true)]
	verdict_delay_ms: Option<u64>,
}

fn config(args: Args) -> anyhow::Result<VerifierConfig> {
	let mut config = match &args.config {
		Some(path) => {
			let text = std::fs::read_to_string(path)
				.with_context(|| format!("reading the config file {}", path.display()))?;
			toml::from_str(&text)
				.with_context(|| format!("parsing the config file {}", path.display()))?
		},
		None => VerifierConfig::default(),
	};
	if let Some(node) = args.node {
		config.node_url = node;
	}
	if args.seed.is_some() || args.key_file.is_some() {
		config.seed = args.seed;
		config.key_file = args.key_file;
	}
	if let Some(bond) = args.bond {
		config.bond = chain::parse_hypha(&bond).context("--bond")?;
	}
	if let Some(backend) = args.backend {
		config.backend = backend;
	}
	if let Some(listen) = args.metrics_listen {
		config.metrics_listen = listen;
	}
	config.lie |= args.lie;
	if let Some(delay) = args.verdict_delay_ms {
		config.verdict_delay_ms = delay;
	}
	Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
	hypha_worker::daemon::quiet_mesa();
	let args = Args::parse();
	hypha_worker::daemon::init_logging(&args.log);
	let result = match config(args) {
		Ok(config) => hypha_verifier::run(config, hypha_worker::daemon::shutdown_signal()).await,
		Err(error) => Err(error),
	};
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("hypha-verifier: {error:#}");
			ExitCode::FAILURE
		},
	}
}
