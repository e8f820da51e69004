//! The gateway's settings: a TOML file (`--config`), flags on top.
//!
//! ```toml
//! listen = "127.0.0.1:8088"
//! node_url = "ws://127.0.0.1:9944"
//! store = "http://127.0.0.1:7300"
//! key_file = "/etc/hypha/gateway.key"     # or seed = "//Alice" on a dev chain
//! max_price_per_unit = "0.001"            # HYPHA per compute unit
//! max_budget_per_request = "5"            # HYPHA: a request that needs more is refused
//!
//! [[models]]
//! name = "fortune-lm"
//! path = "fortune-lm.hypha.safetensors"   # `hypha model import` writes it
//!
//! [[keys]]
//! key = "sk-hypha-…"                      # Authorization: Bearer sk-hypha-…
//! spending_limit = "100"                  # HYPHA, summed over the key's requests
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hypha_primitives::Balance;
use serde::Deserialize;

/// A model the gateway sells.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
	/// The name clients pass as `model`.
	pub name: String,
	/// A Hypha model file (`hypha model import --out …`).
	pub path: PathBuf,
}

/// An API key and what it may spend.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
	/// The bearer token.
	pub key: String,
	/// Most HYPHA the key's requests may hold in escrow in all (each request
	/// counts its whole budget, the most it can cost).
	#[serde(deserialize_with = "hypha_client::amount::deserialize")]
	pub spending_limit: Balance,
}

impl std::fmt::Debug for ApiKey {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		// Never the key itself in a log.
		write!(f, "ApiKey(…{}, limit {})", tail(&self.key), self.spending_limit)
	}
}

/// The last four characters of a key: enough to tell keys apart in logs.
pub fn tail(key: &str) -> String {
	let chars: Vec<char> = key.chars().collect();
	chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// Everything the gateway runs with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
	/// Where it serves the API (and `/metrics`).
	pub listen: SocketAddr,
	/// The node's JSON-RPC endpoint.
	pub node_url: String,
	/// The blob store prompts (and the models) are uploaded to.
	pub store: String,
	/// The paying account's secret URI (dev chains: `//Alice`).
	pub seed: Option<String>,
	/// A file whose first line is the paying account's secret URI.
	pub key_file: Option<PathBuf>,
	/// The models on sale.
	pub models: Vec<ModelEntry>,
	/// API keys; with none, the gateway serves loopback addresses only.
	pub keys: Vec<ApiKey>,
	/// The highest price per compute unit paid (sets each job's budget).
	#[serde(deserialize_with = "hypha_client::amount::deserialize")]
	pub max_price_per_unit: Balance,
	/// A request whose budget would exceed this is refused.
	#[serde(deserialize_with = "hypha_client::amount::deserialize")]
	pub max_budget_per_request: Balance,
	/// Blocks a provider has from its claim to commit.
	pub result_window: u32,
	/// Seconds to wait for a provider to claim a job before answering
	/// `no_provider` (the job is refunded when it expires on chain).
	pub claim_timeout_secs: u64,
	/// Seconds to wait for the result of a claimed job.
	pub result_timeout_secs: u64,
	/// `max_tokens` when a request gives none (capped by the model's context).
	pub default_max_tokens: usize,
	/// Upload prompts as private blobs (readable by the job's provider and
	/// verifiers only, through a store that asks the chain).
	pub private_prompts: bool,
}

impl Default for GatewayConfig {
	fn default() -> Self {
		Self {
			listen: SocketAddr::from(([127, 0, 0, 1], 8088)),
			node_url: "ws://127.0.0.1:9944".into(),
			store: "http://127.0.0.1:7300".into(),
			seed: None,
			key_file: None,
			models: Vec::new(),
			keys: Vec::new(),
			max_price_per_unit: hypha_primitives::HYPHA / 1000,
			max_budget_per_request: 5 * hypha_primitives::HYPHA,
			result_window: 60,
			claim_timeout_secs: 60,
			result_timeout_secs: 300,
			default_max_tokens: 64,
			private_prompts: true,
		}
	}
}

impl GatewayConfig {
	/// Checks what can be checked before connecting; the secret URI.
	pub fn validate(&self) -> anyhow::Result<String> {
		anyhow::ensure!(
			!self.keys.is_empty() || self.listen.ip().is_loopback(),
			"without API keys ([[keys]] in the config, or --api-key) the gateway serves loopback addresses only, and {} is not one: anyone who can reach it could spend the account's tokens",
			self.listen
		);
		anyhow::ensure!(
			!self.models.is_empty(),
			"no model on sale: add a [[models]] entry (name, path) or pass --model NAME=PATH"
		);
		for (i, model) in self.models.iter().enumerate() {
			anyhow::ensure!(
				self.models[..i].iter().all(|m| m.name != model.name),
				"the model name `{}` is given twice",
				model.name
			);
		}
		for (i, key) in self.keys.iter().enumerate() {
			anyhow::ensure!(
				key.key.len() >= 16,
				"API key …{} is shorter than 16 characters",
				tail(&key.key)
			);
			anyhow::ensure!(
				self.keys[..i].iter().all(|k| k.key != key.key),
				"API key …{} is given twice",
				tail(&key.key)
			);
		}
		anyhow::ensure!(self.default_max_tokens >= 1, "default_max_tokens must be at least 1");
		secret_uri(self.seed.as_deref(), self.key_file.as_deref())
	}

	/// [`Self::claim_timeout_secs`].
	pub fn claim_timeout(&self) -> Duration {
		Duration::from_secs(self.claim_timeout_secs)
	}

	/// [`Self::result_timeout_secs`].
	pub fn result_timeout(&self) -> Duration {
		Duration::from_secs(self.result_timeout_secs)
	}
}

/// The secret URI of exactly one of `seed` and `key_file` (its first line):
/// it signs the jobs and derives the key their outputs are sealed to.
pub fn secret_uri(seed: Option<&str>, key_file: Option<&Path>) -> anyhow::Result<String> {
	Ok(hypha_client::keys::secret_uri(seed, key_file)?)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn parse(text: &str) -> Result<GatewayConfig, toml::de::Error> {
		toml::from_str(text)
	}

	#[test]
	fn a_config_without_keys_must_listen_on_loopback() {
		let open = parse(
			"listen = \"0.0.0.0:8088\"\nseed = \"//Alice\"\n[[models]]\nname = \"m\"\npath = \"m.safetensors\"\n",
		)
		.unwrap();
		let error = open.validate().unwrap_err().to_string();
		assert!(error.contains("loopback"), "{error}");
		let keyed = parse(
			"listen = \"0.0.0.0:8088\"\nseed = \"//Alice\"\n[[models]]\nname = \"m\"\npath = \"m\"\n[[keys]]\nkey = \"sk-hypha-0123456789\"\nspending_limit = \"10\"\n",
		)
		.unwrap();
		assert_eq!(keyed.validate().unwrap(), "//Alice");
		assert_eq!(keyed.keys[0].spending_limit, 10 * hypha_primitives::HYPHA);
		assert!(!format!("{:?}", keyed.keys[0]).contains("0123456"), "no key in Debug");
	}

	#[test]
	fn bad_configs_are_refused_with_what_to_fix() {
		assert!(parse("listen = \"127.0.0.1:1\"\ncheat = true\n").is_err(), "unknown key");
		assert!(parse("max_budget_per_request = \"lots\"\n").is_err(), "not an amount");
		let no_model = parse("seed = \"//Alice\"\n").unwrap();
		assert!(no_model.validate().unwrap_err().to_string().contains("no model"));
		let twice = parse("seed = \"//A\"\n[[models]]\nname = \"m\"\npath = \"a\"\n[[models]]\nname = \"m\"\npath = \"b\"\n").unwrap();
		assert!(twice.validate().unwrap_err().to_string().contains("twice"));
		let short = parse("seed = \"//A\"\n[[models]]\nname = \"m\"\npath = \"a\"\n[[keys]]\nkey = \"short\"\nspending_limit = \"1\"\n").unwrap();
		assert!(short.validate().unwrap_err().to_string().contains("shorter"));
		let no_account = parse("[[models]]\nname = \"m\"\npath = \"a\"\n").unwrap();
		assert!(no_account.validate().unwrap_err().to_string().contains("no key"));
	}
}
