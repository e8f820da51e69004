//! `hypha account balance`.

use anyhow::Result;
use hypha_client::amount::format_hypha;
use hypha_client::{api, AccountId, Client};

use crate::args::{print_lines, ChainArgs};

/// Balances.
#[derive(Debug, clap::Subcommand)]
pub enum AccountCommand {
	/// Free, held and frozen balance.
	Balance {
		#[command(flatten)]
		chain: ChainArgs,
		/// The account (SS58); default: the --seed account.
		account: Option<String>,
	},
}

impl AccountCommand {
	/// Runs the command.
	pub fn run(self) -> Result<()> {
		let AccountCommand::Balance { chain, account } = self;
		let account = chain.account(account.as_deref())?;
		print_lines(chain.run(async |client| balance(&client, &account).await)?);
		Ok(())
	}
}

/// Free and held balance of `account`, as lines.
pub async fn balance(client: &Client, account: &AccountId) -> Result<Vec<String>> {
	let at = client.at_current_block().await?;
	let info =
		at.storage().fetch(api::storage().system().account(), (*account,)).await?.decode()?;
	Ok(vec![
		format!("account: {account}"),
		format!("free: {}", format_hypha(info.data.free)),
		format!(
			"held: {} (job budgets in escrow, stake, deposits)",
			format_hypha(info.data.reserved)
		),
		format!("frozen: {}", format_hypha(info.data.frozen)),
	])
}
