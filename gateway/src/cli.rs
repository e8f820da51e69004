//! The `hypha-gateway` command line: flags onto [`GatewayConfig`].

use std::net::SocketAddr;
use std::path::PathBuf;

use hypha_client::amount::amount_arg;
use hypha_primitives::Balance;

use crate::config::{ApiKey, GatewayConfig, ModelEntry};

/// An OpenAI-compatible API (`/v1/models`, `/v1/completions`,
/// `/v1/chat/completions`) that buys each completion as a paid, audited
/// `generate` job on the Hypha market. docs/GATEWAY.md has the details.
#[derive(Debug, clap::Parser)]
#[command(name = "hypha-gateway", version)]
pub struct Args {
	/// A TOML file with any of the settings below (snake_case keys,
	/// `[[models]]` and `[[keys]]` tables; amounts as strings); flags win.
	#[arg(long)]
	pub config: Option<PathBuf>,
	/// Address to serve the API and /metrics on [default: 127.0.0.1:8088].
	/// Without API keys only a loopback address is accepted.
	#[arg(long)]
	pub listen: Option<SocketAddr>,
	/// The node's JSON-RPC URL [default: ws://127.0.0.1:9944].
	#[arg(long, env = "HYPHA_NODE")]
	pub node: Option<String>,
	/// The blob store prompts and models are uploaded to
	/// [default: http://127.0.0.1:7300].
	#[arg(long, env = "HYPHA_STORE")]
	pub store: Option<String>,
	/// The paying account's secret URI, e.g. a dev seed (`//Alice`).
	#[arg(long, conflicts_with = "key_file")]
	pub seed: Option<String>,
	/// A file holding the paying account's secret URI or mnemonic.
	#[arg(long)]
	pub key_file: Option<PathBuf>,
	/// A model on sale, as NAME=PATH (a `hypha model import` file);
	/// repeatable, added to the config's.
	#[arg(long = "model", value_parser = parse_model)]
	pub models: Vec<ModelEntry>,
	/// An API key and its spending limit in HYPHA, as KEY=LIMIT; repeatable,
	/// added to the config's.
	#[arg(long = "api-key", value_parser = parse_key)]
	pub keys: Vec<ApiKey>,
	/// Highest price per compute unit paid, in HYPHA [default: 0.001].
	#[arg(long, value_parser = amount_arg)]
	pub max_price_per_unit: Option<Balance>,
	/// Largest budget one request may hold in escrow, in HYPHA [default: 5].
	#[arg(long, value_parser = amount_arg)]
	pub max_budget_per_request: Option<Balance>,
	/// Seconds to wait for a provider's claim [default: 60].
	#[arg(long)]
	pub claim_timeout_secs: Option<u64>,
	/// Log filter (tracing env-filter syntax).
	#[arg(long, env = "HYPHA_LOG", default_value = "info")]
	pub log: String,
}

fn parse_model(text: &str) -> Result<ModelEntry, String> {
	let (name, path) = text.split_once('=').ok_or("give the model as NAME=PATH")?;
	if name.is_empty() || path.is_empty() {
		return Err("give the model as NAME=PATH".into());
	}
	Ok(ModelEntry { name: name.into(), path: path.into() })
}

fn parse_key(text: &str) -> Result<ApiKey, String> {
	let (key, limit) = text.rsplit_once('=').ok_or("give the key as KEY=LIMIT (HYPHA)")?;
	Ok(ApiKey { key: key.into(), spending_limit: amount_arg(limit)? })
}

impl Args {
	/// The config file's settings with the flags on top.
	pub fn config(&self) -> anyhow::Result<GatewayConfig> {
		let mut config: GatewayConfig = hypha_agent::config::load(self.config.as_deref())?;
		if let Some(listen) = self.listen {
			config.listen = listen;
		}
		if let Some(node) = &self.node {
			config.node_url = node.clone();
		}
		if let Some(store) = &self.store {
			config.store = store.clone();
		}
		if self.seed.is_some() || self.key_file.is_some() {
			config.seed = self.seed.clone();
			config.key_file = self.key_file.clone();
		}
		config.models.extend(self.models.iter().cloned());
		config.keys.extend(self.keys.iter().cloned());
		if let Some(price) = self.max_price_per_unit {
			config.max_price_per_unit = price;
		}
		if let Some(budget) = self.max_budget_per_request {
			config.max_budget_per_request = budget;
		}
		if let Some(secs) = self.claim_timeout_secs {
			config.claim_timeout_secs = secs;
		}
		Ok(config)
	}
}
