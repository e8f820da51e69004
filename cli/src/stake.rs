//! `hypha stake ...`: bond, unbond and inspect stake (providers and verifiers).

use anyhow::Result;
use hypha_client::amount::{amount_arg, format_hypha};
use hypha_client::api::{self, runtime_types::pallet_stake::interface::Role};
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{chain, AccountId, Client};
use hypha_primitives::Balance;

use crate::args::{print_lines, ChainArgs};

/// Bond, unbond and inspect stake.
#[derive(Debug, clap::Subcommand)]
pub enum StakeCommand {
	/// Show an account's stake: provider offer and bond, verifier bond,
	/// unbonding chunks, reputation record.
	Show {
		#[command(flatten)]
		chain: ChainArgs,
		/// The account (SS58); default: the --seed account.
		account: Option<String>,
	},
	/// Register the --seed account as a verifier with a bond.
	RegisterVerifier {
		#[command(flatten)]
		chain: ChainArgs,
		/// The bond in HYPHA (`100`, `100 HYPHA`; the smallest unit only as `5 units`).
		#[arg(long, value_parser = amount_arg)]
		bond: Balance,
	},
	/// Add to a bond.
	BondExtra {
		#[command(flatten)]
		chain: ChainArgs,
		/// Whose bond.
		#[arg(long, value_enum)]
		role: StakeRole,
		/// How much, in HYPHA (`50`, `50 HYPHA`; the smallest unit only as `5 units`).
		#[arg(long, value_parser = amount_arg)]
		amount: Balance,
	},
	/// Start unbonding part of a bond (released after the unbonding period).
	Unbond {
		#[command(flatten)]
		chain: ChainArgs,
		/// Whose bond.
		#[arg(long, value_enum)]
		role: StakeRole,
		/// How much, in HYPHA (`50`, `50 HYPHA`; the smallest unit only as `5 units`).
		#[arg(long, value_parser = amount_arg)]
		amount: Balance,
	},
	/// Release the stake whose unbonding period is over.
	Withdraw {
		#[command(flatten)]
		chain: ChainArgs,
		/// Whose bond.
		#[arg(long, value_enum)]
		role: StakeRole,
	},
	/// Leave a role; the whole bond starts unbonding.
	Deregister {
		#[command(flatten)]
		chain: ChainArgs,
		/// Which role.
		#[arg(long, value_enum)]
		role: StakeRole,
	},
}

impl StakeCommand {
	/// Runs the command.
	pub fn run(self) -> Result<()> {
		let (chain, action) = match self {
			StakeCommand::Show { chain, account } => {
				let account = chain.account(account.as_deref())?;
				print_lines(chain.run(async |client| stake_info(&client, &account).await)?);
				return Ok(());
			},
			StakeCommand::RegisterVerifier { chain, bond } => {
				(chain, StakeAction::RegisterVerifier(bond))
			},
			StakeCommand::BondExtra { chain, role, amount } => {
				(chain, StakeAction::BondExtra(role, amount))
			},
			StakeCommand::Unbond { chain, role, amount } => {
				(chain, StakeAction::Unbond(role, amount))
			},
			StakeCommand::Withdraw { chain, role } => (chain, StakeAction::Withdraw(role)),
			StakeCommand::Deregister { chain, role } => (chain, StakeAction::Deregister(role)),
		};
		let who = chain.signer()?;
		println!("{}", chain.run(async |client| stake(&client, &who, action).await)?);
		Ok(())
	}
}

/// A role a stake command acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StakeRole {
	/// A provider's bond.
	Provider,
	/// A verifier's bond.
	Verifier,
}

impl From<StakeRole> for Role {
	fn from(role: StakeRole) -> Self {
		match role {
			StakeRole::Provider => Role::Provider,
			StakeRole::Verifier => Role::Verifier,
		}
	}
}

/// A stake call.
#[derive(Debug, Clone)]
pub enum StakeAction {
	/// Register as a verifier with a bond.
	RegisterVerifier(u128),
	/// Add to the bond.
	BondExtra(StakeRole, u128),
	/// Start unbonding part of the bond.
	Unbond(StakeRole, u128),
	/// Release what finished unbonding.
	Withdraw(StakeRole),
	/// Leave the role (the bond starts unbonding).
	Deregister(StakeRole),
}

/// Sends a stake call; returns what happened, for people.
pub async fn stake(client: &Client, signer: &Keypair, action: StakeAction) -> Result<String> {
	let stake = api::tx().stake();
	let (_events, done) = match action {
		StakeAction::RegisterVerifier(bond) => (
			chain::submit(client, &stake.register_verifier(bond), signer).await?,
			format!("registered as a verifier with a bond of {}", format_hypha(bond)),
		),
		StakeAction::BondExtra(role, amount) => (
			chain::submit(client, &stake.bond_extra(role.into(), amount), signer).await?,
			format!("bonded {} more", format_hypha(amount)),
		),
		StakeAction::Unbond(role, amount) => (
			chain::submit(client, &stake.unbond(role.into(), amount), signer).await?,
			format!("unbonding {}", format_hypha(amount)),
		),
		StakeAction::Withdraw(role) => (
			chain::submit(client, &stake.withdraw_unbonded(role.into()), signer).await?,
			"withdrew what finished unbonding".to_string(),
		),
		StakeAction::Deregister(role) => (
			chain::submit(client, &stake.deregister(role.into()), signer).await?,
			"deregistered; the bond is unbonding".to_string(),
		),
	};
	Ok(done)
}

/// The stake of `account`: provider offer and bond, verifier bond, unbonding chunks.
pub async fn stake_info(client: &Client, account: &AccountId) -> Result<Vec<String>> {
	let at = client.at_current_block().await?;
	let storage = at.storage();
	let mut lines = vec![format!("account: {account}")];
	match storage.try_fetch(api::storage().stake().providers(), (*account,)).await? {
		Some(info) => {
			let info = info.decode()?;
			let caps = &info.capabilities;
			lines.push(format!(
				"provider: bonded {}, {} locked as collateral; price {} per unit; {:?} backend, {} MiB; endpoint {}",
				format_hypha(info.bonded),
				format_hypha(info.locked),
				format_hypha(caps.price_per_unit),
				caps.backend,
				caps.memory_mib,
				String::from_utf8_lossy(&caps.endpoint)
			));
		},
		None => lines.push("provider: not registered".into()),
	}
	match storage.try_fetch(api::storage().stake().verifier_bonds(), (*account,)).await? {
		Some(bond) => lines.push(format!("verifier: bonded {}", format_hypha(bond.decode()?))),
		None => lines.push("verifier: not registered".into()),
	}
	for (role, name) in [(Role::Provider, "provider"), (Role::Verifier, "verifier")] {
		if let Some(chunks) =
			storage.try_fetch(api::storage().stake().unbonding(), (*account, role)).await?
		{
			for chunk in chunks.decode()?.0 {
				lines.push(format!(
					"unbonding ({name}): {} free at block #{}",
					format_hypha(chunk.amount),
					chunk.unlock_at
				));
			}
		}
	}
	let score = storage.try_fetch(api::storage().reputation().records(), (*account,)).await;
	if let Ok(Some(record)) = score {
		lines.push(format!("reputation record: {:?}", record.decode()?));
	}
	Ok(lines)
}
