//! The verifier's settings: a TOML file ([`hypha_agent::config`]) and the
//! flags of [`crate::cli`] on top.

use std::net::SocketAddr;
use std::path::PathBuf;

use hypha_primitives::Balance;
use serde::Deserialize;

/// Settings of the verifier (TOML file and flags; flags win). Amounts in the
/// file are strings in HYPHA like the flags (`bond = "1000 HYPHA"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerifierConfig {
	/// The node's JSON-RPC URL.
	pub node_url: String,
	/// A secret URI (`//Ferdie` on dev chains). Exclusive with `key_file`.
	pub seed: Option<String>,
	/// A file holding the secret URI or mnemonic.
	pub key_file: Option<PathBuf>,
	/// Bond to register with, in the smallest unit.
	#[serde(deserialize_with = "hypha_client::amount::deserialize")]
	pub bond: Balance,
	/// Compute backend: auto, cpu, gpu, reference.
	pub backend: hypha_compute::BackendChoice,
	/// Where `/metrics` is served.
	pub metrics_listen: SocketAddr,
	/// Audits and dispute seats worked on at once (fetching, re-executing,
	/// answering overlap). At least 1.
	pub max_audits: usize,
	/// Re-executions at once on the device; the others queue. At least 1.
	pub compute_slots: usize,
	/// Behaviour for the end-to-end tests only (a lying verifier); never
	/// read from a file, and absent from a default build.
	#[cfg(feature = "faults")]
	#[serde(skip)]
	pub faults: Faults,
}

/// Test-only misbehaviour (feature `faults`, enabled by the end-to-end tests'
/// own verifier binary; the `hypha-verifier` binary has no flag for it).
#[cfg(feature = "faults")]
#[derive(Debug, Clone, Default)]
pub struct Faults {
	/// Submit wrong digests (a lying verifier).
	pub lie: bool,
	/// Wait this long before submitting each verdict, in milliseconds.
	pub verdict_delay_ms: u64,
}

impl Default for VerifierConfig {
	fn default() -> Self {
		Self {
			node_url: "ws://127.0.0.1:9944".into(),
			seed: None,
			key_file: None,
			bond: 1_000 * hypha_primitives::HYPHA,
			backend: hypha_compute::BackendChoice::Auto,
			metrics_listen: SocketAddr::from(([127, 0, 0, 1], 7200)),
			max_audits: 4,
			compute_slots: 1,
			#[cfg(feature = "faults")]
			faults: Faults::default(),
		}
	}
}
