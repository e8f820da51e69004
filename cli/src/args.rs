//! Flags and helpers shared by the command groups.

use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{AccountId, Client};
use hypha_compute::BackendChoice;

/// Where the chain is and who signs.
#[derive(Debug, clap::Args)]
pub struct ChainArgs {
	/// The node's JSON-RPC endpoint.
	#[arg(long, env = "HYPHA_URL", default_value = "ws://127.0.0.1:9944")]
	pub url: String,
	/// The signing account, as a secret URI: `//Alice` on dev chains, or a
	/// mnemonic with an optional derivation path.
	#[arg(long, env = "HYPHA_SEED")]
	pub seed: Option<String>,
}

impl ChainArgs {
	/// The signing key; an error that says how to give one.
	pub fn signer(&self) -> anyhow::Result<Keypair> {
		let seed = self.seed.as_deref().ok_or_else(|| {
			anyhow::anyhow!("this command signs a transaction: give --seed (e.g. //Alice on a dev chain) or set HYPHA_SEED")
		})?;
		Ok(hypha_client::keys::signer_from_uri(seed)?)
	}

	/// The key outputs are sealed to, derived from the --seed secret URI
	/// (`hypha_agent::seal`).
	pub fn output_key(&self) -> anyhow::Result<hypha_agent::seal::OutputKey> {
		let seed = self.seed.as_deref().ok_or_else(|| {
			anyhow::anyhow!(
				"sealed outputs are opened with the client's key: give --seed or set HYPHA_SEED"
			)
		})?;
		Ok(hypha_agent::seal::OutputKey::from_secret_uri(seed))
	}

	/// The account a command is about: `account` (SS58) if given, else the
	/// --seed account.
	pub fn account(&self, account: Option<&str>) -> anyhow::Result<AccountId> {
		match account {
			Some(text) => text
				.parse()
				.map_err(|e| anyhow::anyhow!("`{text}` is not an SS58 account id: {e:?}")),
			None => Ok(hypha_client::keys::account_of(&self.signer().map_err(|_| {
				anyhow::anyhow!("name the account (SS58), or give --seed to use its account")
			})?)),
		}
	}

	/// Connects and runs `work` on a fresh tokio runtime.
	pub fn run<T>(&self, work: impl AsyncFnOnce(Client) -> anyhow::Result<T>) -> anyhow::Result<T> {
		let runtime = tokio::runtime::Runtime::new()?;
		runtime.block_on(async {
			let client = hypha_client::connect(&self.url).await?;
			work(client).await
		})
	}
}

/// Where kernels run.
#[derive(Debug, clap::Args)]
pub struct BackendArg {
	/// Where kernels run: auto (a real GPU if any, else the CPU path), cpu,
	/// gpu (wgpu on any adapter, software drivers included) or reference.
	#[arg(long, env = "HYPHA_BACKEND", default_value = "auto")]
	pub backend: BackendChoice,
}

/// Prints lines.
pub fn print_lines(lines: Vec<String>) {
	for line in lines {
		println!("{line}");
	}
}
