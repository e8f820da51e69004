//! The `hypha-verifier` command line: flags onto [`VerifierConfig`].

use std::net::SocketAddr;
use std::path::PathBuf;

use hypha_client::amount::amount_arg;
use hypha_compute::BackendChoice;
use hypha_primitives::Balance;

use crate::VerifierConfig;

/// The Hypha verifier daemon: stakes HYPHA, re-executes the jobs the chain
/// assigns to it for audit or dispute, and submits its verdicts.
#[derive(Debug, clap::Parser)]
#[command(name = "hypha-verifier", version)]
pub struct Args {
	/// A TOML file with any of the settings below (snake_case keys; amounts
	/// as strings, e.g. `bond = "1000 HYPHA"`); flags win.
	#[arg(long)]
	pub config: Option<PathBuf>,
	/// The node's JSON-RPC URL [default: ws://127.0.0.1:9944].
	#[arg(long, env = "HYPHA_NODE")]
	pub node: Option<String>,
	/// The verifier's secret URI, e.g. a dev seed (`//Ferdie`).
	#[arg(long, conflicts_with = "key_file")]
	pub seed: Option<String>,
	/// A file holding the verifier's secret URI or mnemonic.
	#[arg(long)]
	pub key_file: Option<PathBuf>,
	/// Bond to register with, in HYPHA (`1000`, `1000 HYPHA`); the smallest
	/// unit only with a suffix (`5 units`) [default: 1000].
	#[arg(long, value_parser = amount_arg)]
	pub bond: Option<Balance>,
	/// Compute backend: auto, cpu, gpu or reference [default: auto].
	#[arg(long, env = "HYPHA_BACKEND")]
	pub backend: Option<BackendChoice>,
	/// Address to serve /metrics on [default: 127.0.0.1:7200].
	#[arg(long)]
	pub metrics_listen: Option<SocketAddr>,
	/// Audits worked on at once [default: 4].
	#[arg(long)]
	pub max_audits: Option<usize>,
	/// Re-executions at once on the device; the others queue [default: 1].
	#[arg(long)]
	pub compute_slots: Option<usize>,
	/// Log filter (tracing env-filter syntax).
	#[arg(long, env = "HYPHA_LOG", default_value = "info")]
	pub log: String,
}

impl Args {
	/// The settings: the config file's (or the defaults), then the flags.
	pub fn config(self) -> anyhow::Result<VerifierConfig> {
		let mut config: VerifierConfig = hypha_agent::config::load(self.config.as_deref())?;
		if let Some(node) = self.node {
			config.node_url = node;
		}
		if self.seed.is_some() || self.key_file.is_some() {
			config.seed = self.seed;
			config.key_file = self.key_file;
		}
		if let Some(bond) = self.bond {
			config.bond = bond;
		}
		if let Some(backend) = self.backend {
			config.backend = backend;
		}
		if let Some(listen) = self.metrics_listen {
			config.metrics_listen = listen;
		}
		if let Some(audits) = self.max_audits {
			config.max_audits = audits;
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
	run: impl AsyncFnOnce(VerifierConfig) -> anyhow::Result<()>,
	args: Args,
) -> std::process::ExitCode {
	hypha_agent::process::init_logging(&args.log);
	hypha_agent::process::run_main("hypha-verifier", async move { run(args.config()?).await })
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;

	#[test]
	fn the_bond_is_in_hypha_like_the_cli_s() {
		let config = Args::parse_from(["hypha-verifier", "--bond", "100"]).config().unwrap();
		assert_eq!(config.bond, 100 * hypha_primitives::HYPHA);
		let config = Args::parse_from(["hypha-verifier", "--bond", "7 units"]).config().unwrap();
		assert_eq!(config.bond, 7);
	}

	#[test]
	fn a_default_build_has_no_way_to_lie() {
		assert!(Args::try_parse_from(["hypha-verifier", "--lie"]).is_err());
		assert!(Args::try_parse_from(["hypha-verifier", "--verdict-delay-ms", "5"]).is_err());
	}
}
