//! `hypha-worker`: the provider daemon. See the library docs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use hypha_worker::{chain, WorkerConfig};

/// The Hypha provider daemon: registers as a provider, claims jobs it can
/// run at its price, computes them and commits the results.
#[derive(Debug, Parser)]
#[command(name = "hypha-worker", version)]
struct Args {
	/// A TOML file with any of the settings below (snake_case keys); flags win.
	#[arg(long)]
	config: Option<PathBuf>,
	/// The node's JSON-RPC URL [default: ws://127.0.0.1:9944].
	#[arg(long, env = "HYPHA_NODE")]
	node: Option<String>,
	/// The provider's secret URI, e.g. a dev seed (`//Eve`).
	#[arg(long, conflicts_with = "key_file")]
	seed: Option<String>,
	/// A file holding the provider's secret URI or mnemonic.
	#[arg(long)]
	key_file: Option<PathBuf>,
	/// Where jobs in flight and outputs are kept [default: hypha-worker-state].
	#[arg(long)]
	state_dir: Option<PathBuf>,
	/// Address to serve outputs and /metrics on [default: 127.0.0.1:7100].
	#[arg(long)]
	listen: Option<SocketAddr>,
	/// The URL clients reach the worker at [default: http://<listen>].
	#[arg(long)]
	public_url: Option<String>,
	/// Price per compute unit, in HYPHA [default: 0.001].
	#[arg(long)]
	price_per_unit: Option<String>,
	/// Bond to register with, in HYPHA [default: 1000].
	#[arg(long)]
	bond: Option<String>,
	/// Workload kinds offered, comma-separated [default: inference,training].
	#[arg(long, value_delimiter = ',')]
	job_kinds: Option<Vec<String>>,
	/// Compute backend: auto, cpu, gpu or reference [default: auto].
	#[arg(long, env = "HYPHA_BACKEND")]
	backend: Option<String>,
	/// Log filter (tracing env-filter syntax).
	#[arg(long, env = "HYPHA_LOG", default_value = "info")]
	log: String,
	/// Test only: commit wrong output digests.
	#[arg(long, hide = true)]
	cheat: bool,
	/// Test only: wait this many milliseconds after claiming before computing.
	#[arg(long, hide = true)]
	compute_delay_ms: Option<u64>,
}

fn config(args: Args) -> anyhow::Result<WorkerConfig> {
	let mut config = match &args.config {
		Some(path) => {
			let text = std::fs::read_to_string(path)
				.with_context(|| format!("reading the config file {}", path.display()))?;
			toml::from_str(&text)
				.with_context(|| format!("parsing the config file {}", path.display()))?
		},
		None => WorkerConfig::default(),
	};
	if let Some(node) = args.node {
		config.node_url = node;
	}
	if args.seed.is_some() || args.key_file.is_some() {
		config.seed = args.seed;
		config.key_file = args.key_file;
	}
	if let Some(dir) = args.state_dir {
		config.state_dir = dir;
	}
	if let Some(listen) = args.listen {
		config.listen = listen;
	}
	if let Some(url) = args.public_url {
		config.public_url = Some(url);
	}
	if let Some(price) = args.price_per_unit {
		config.price_per_unit = chain::parse_hypha(&price).context("--price-per-unit")?;
	}
	if let Some(bond) = args.bond {
		config.bond = chain::parse_hypha(&bond).context("--bond")?;
	}
	if let Some(kinds) = args.job_kinds {
		config.job_kinds = kinds;
	}
	if let Some(backend) = args.backend {
		config.backend = backend;
	}
	config.cheat |= args.cheat;
	if let Some(delay) = args.compute_delay_ms {
		config.compute_delay_ms = delay;
	}
	config.kinds()?;
	Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
	hypha_worker::daemon::quiet_mesa();
	let args = Args::parse();
	hypha_worker::daemon::init_logging(&args.log);
	let result = match config(args) {
		Ok(config) => hypha_worker::run(config, hypha_worker::daemon::shutdown_signal()).await,
		Err(error) => Err(error),
	};
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("hypha-worker: {error:#}");
			ExitCode::FAILURE
		},
	}
}
