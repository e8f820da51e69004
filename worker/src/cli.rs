//! The `hypha-worker` command line: flags onto [`WorkerConfig`].

use std::net::SocketAddr;
use std::path::PathBuf;

use hypha_client::amount::amount_arg;
use hypha_compute::BackendChoice;
use hypha_primitives::{Balance, WorkloadKind};

use crate::WorkerConfig;

/// The Hypha provider daemon: registers as a provider, claims jobs it can
/// run at its price, computes them and commits the results.
#[derive(Debug, clap::Parser)]
#[command(name = "hypha-worker", version)]
pub struct Args {
	/// A TOML file with any of the settings below (snake_case keys; amounts
	/// as strings, e.g. `bond = "1000 HYPHA"`); flags win.
	#[arg(long)]
	pub config: Option<PathBuf>,
	/// The node's JSON-RPC URL [default: ws://127.0.0.1:9944].
	#[arg(long, env = "HYPHA_NODE")]
	pub node: Option<String>,
	/// The provider's secret URI, e.g. a dev seed (`//Eve`).
	#[arg(long, conflicts_with = "key_file")]
	pub seed: Option<String>,
	/// A file holding the provider's secret URI or mnemonic.
	#[arg(long)]
	pub key_file: Option<PathBuf>,
	/// Where jobs in flight and outputs are kept [default: hypha-worker-state].
	#[arg(long)]
	pub state_dir: Option<PathBuf>,
	/// Address to serve outputs and /metrics on [default: 127.0.0.1:7100].
	#[arg(long)]
	pub listen: Option<SocketAddr>,
	/// The URL clients reach the worker at [default: http://<listen>].
	#[arg(long)]
	pub public_url: Option<String>,
	/// Price per compute unit, in HYPHA (`0.001`, `0.001 HYPHA`); the
	/// smallest unit only with a suffix (`5 units`) [default: 0.001].
	#[arg(long, value_parser = amount_arg)]
	pub price_per_unit: Option<Balance>,
	/// Bond to register with, in HYPHA (`1000`, `1000 HYPHA`); the smallest
	/// unit only with a suffix (`5 units`) [default: 1000].
	#[arg(long, value_parser = amount_arg)]
	pub bond: Option<Balance>,
	/// Workload kinds offered, comma-separated [default: inference,training].
	#[arg(long, value_delimiter = ',', value_parser = parse_kind)]
	pub job_kinds: Option<Vec<WorkloadKind>>,
	/// Memory offered to a job, MiB [default: all of this machine's].
	#[arg(long)]
	pub memory_mib: Option<u32>,
	/// Compute backend: auto, cpu, gpu or reference [default: auto].
	#[arg(long, env = "HYPHA_BACKEND")]
	pub backend: Option<BackendChoice>,
	/// Jobs in flight at once: fetching, claiming, computing and committing
	/// overlap [default: 4].
	#[arg(long)]
	pub max_jobs: Option<usize>,
	/// Jobs computing at once on the device; the others queue [default: 1].
	#[arg(long)]
	pub compute_slots: Option<usize>,
	/// Log filter (tracing env-filter syntax).
	#[arg(long, env = "HYPHA_LOG", default_value = "info")]
	pub log: String,
}

fn parse_kind(text: &str) -> Result<WorkloadKind, String> {
	text.parse().map_err(|e| format!("`{text}`: {e}"))
}

impl Args {
	/// The settings: the config file's (or the defaults), then the flags.
	pub fn config(self) -> anyhow::Result<WorkerConfig> {
		let mut config: WorkerConfig = hypha_agent::config::load(self.config.as_deref())?;
		if let Some(node) = self.node {
			config.node_url = node;
		}
		if self.seed.is_some() || self.key_file.is_some() {
			config.seed = self.seed;
			config.key_file = self.key_file;
		}
		if let Some(dir) = self.state_dir {
			config.state_dir = dir;
		}
		if let Some(listen) = self.listen {
			config.listen = listen;
		}
		if let Some(url) = self.public_url {
			config.public_url = Some(url);
		}
		if let Some(price) = self.price_per_unit {
			config.price_per_unit = price;
		}
		if let Some(bond) = self.bond {
			config.bond = bond;
		}
		if let Some(kinds) = self.job_kinds {
			config.job_kinds = kinds;
		}
		if let Some(memory) = self.memory_mib {
			config.memory_mib = Some(memory);
		}
		if let Some(backend) = self.backend {
			config.backend = backend;
		}
		if let Some(jobs) = self.max_jobs {
			config.max_jobs = jobs;
		}
		if let Some(slots) = self.compute_slots {
			config.compute_slots = slots;
		}
		Ok(config)
	}
}

/// The binary: set up logging, then run `run` on the settings until it
/// returns (the daemon's shutdown future is SIGINT or SIGTERM).
pub fn main_with(
	run: impl AsyncFnOnce(WorkerConfig) -> anyhow::Result<()>,
	args: Args,
) -> std::process::ExitCode {
	hypha_agent::process::init_logging(&args.log);
	hypha_agent::process::run_main("hypha-worker", async move { run(args.config()?).await })
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;

	#[test]
	fn amount_flags_take_hypha_and_base_units_only_with_a_suffix() {
		let args =
			Args::parse_from(["hypha-worker", "--bond", "100", "--price-per-unit", "5 units"]);
		let config = args.config().unwrap();
		assert_eq!(config.bond, 100 * hypha_primitives::HYPHA);
		assert_eq!(config.price_per_unit, 5);
		assert!(Args::try_parse_from(["hypha-worker", "--bond", "lots"]).is_err());
	}

	#[test]
	fn a_default_build_has_no_way_to_cheat() {
		assert!(Args::try_parse_from(["hypha-worker", "--cheat"]).is_err());
		assert!(Args::try_parse_from(["hypha-worker", "--compute-delay-ms", "5"]).is_err());
	}
}
