//! The worker's settings: a TOML file ([`hypha_agent::config`]) and the
//! flags of [`crate::cli`] on top.

use std::net::SocketAddr;
use std::path::PathBuf;

use hypha_primitives::{Balance, WorkloadKind};
use serde::{Deserialize, Deserializer};

/// Settings of the worker. Every field can come from the TOML config file or
/// a command-line flag (the flag wins). Amounts in the file are strings in
/// HYPHA like the flags (`price_per_unit = "0.001"`, `bond = "1000 HYPHA"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
	/// The node's JSON-RPC URL.
	pub node_url: String,
	/// A secret URI (`//Eve` on dev chains). Exclusive with `key_file`.
	pub seed: Option<String>,
	/// A file holding the secret URI or mnemonic.
	pub key_file: Option<PathBuf>,
	/// Where jobs in flight and their outputs are kept.
	pub state_dir: PathBuf,
	/// Where outputs and metrics are served.
	pub listen: SocketAddr,
	/// The URL clients reach `listen` at (default `http://<listen>`).
	pub public_url: Option<String>,
	/// Price per compute unit, in the smallest unit.
	#[serde(deserialize_with = "hypha_client::amount::deserialize")]
	pub price_per_unit: Balance,
	/// Bond to register with, in the smallest unit.
	#[serde(deserialize_with = "hypha_client::amount::deserialize")]
	pub bond: Balance,
	/// Workload kinds offered.
	#[serde(deserialize_with = "kinds")]
	pub job_kinds: Vec<WorkloadKind>,
	/// Memory offered to a job, MiB; at most (and by default) the machine's.
	/// A job whose program, input and output bound do not fit is not claimed.
	pub memory_mib: Option<u32>,
	/// Compute backend: auto, cpu, gpu, reference.
	pub backend: hypha_compute::BackendChoice,
	/// How long to keep serving an output after its job ended, in seconds.
	pub output_retention_secs: u64,
	/// Jobs in flight at once (fetching, claiming, waiting for the device,
	/// computing, committing overlap). At least 1.
	pub max_jobs: usize,
	/// Jobs computing at once on the device: the rest wait in its queue.
	/// At least 1; the default 1 gives each job the whole device (the CPU
	/// kernels use every core, a GPU runs one job's kernels at a time).
	pub compute_slots: usize,
	/// Behaviour for the end-to-end tests only (a cheating provider, a slow
	/// one); never read from a file, and absent from a default build.
	#[cfg(feature = "faults")]
	#[serde(skip)]
	pub faults: Faults,
}

/// Test-only misbehaviour (feature `faults`, enabled by the end-to-end tests'
/// own worker binary; the `hypha-worker` binary has no flag for it).
#[cfg(feature = "faults")]
#[derive(Debug, Clone, Default)]
pub struct Faults {
	/// Commit a wrong output digest (a cheating provider).
	pub cheat: bool,
	/// Wait this long after claiming before computing, in milliseconds.
	pub compute_delay_ms: u64,
	/// Commit the right digest but never hand the output over (a
	/// withholding provider): no copy in the client's store, nothing served.
	pub withhold_output: bool,
	/// Wait this long before each generated token is chosen, in
	/// milliseconds (a slow device: tokens then stream one by one).
	pub token_delay_ms: u64,
}

impl Default for WorkerConfig {
	fn default() -> Self {
		Self {
			node_url: "ws://127.0.0.1:9944".into(),
			seed: None,
			key_file: None,
			state_dir: PathBuf::from("hypha-worker-state"),
			listen: SocketAddr::from(([127, 0, 0, 1], 7100)),
			public_url: None,
			price_per_unit: hypha_primitives::MILLI_HYPHA,
			bond: 1_000 * hypha_primitives::HYPHA,
			job_kinds: WorkloadKind::ALL.to_vec(),
			memory_mib: None,
			backend: hypha_compute::BackendChoice::Auto,
			output_retention_secs: 3600,
			max_jobs: 4,
			compute_slots: 1,
			#[cfg(feature = "faults")]
			faults: Faults::default(),
		}
	}
}

fn kinds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<WorkloadKind>, D::Error> {
	Vec::<String>::deserialize(deserializer)?
		.iter()
		.map(|name| name.parse().map_err(|e| serde::de::Error::custom(format!("`{name}`: {e}"))))
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn config_files_take_amounts_in_hypha_and_kinds_by_name() {
		let config: WorkerConfig = toml::from_str(
			"price_per_unit = \"0.5\"\nbond = \"2 HYPHA\"\njob_kinds = [\"training\"]\n",
		)
		.unwrap();
		assert_eq!(config.price_per_unit, hypha_primitives::HYPHA / 2);
		assert_eq!(config.bond, 2 * hypha_primitives::HYPHA);
		assert_eq!(config.job_kinds, vec![WorkloadKind::Training]);
		assert!(toml::from_str::<WorkerConfig>("job_kinds = [\"mining\"]\n").is_err());
		assert!(
			toml::from_str::<WorkerConfig>("cheat = true\n").is_err(),
			"no fault knobs in files"
		);
		assert!(toml::from_str::<WorkerConfig>("faults = {}\n").is_err());
	}
}
