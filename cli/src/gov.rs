//! `hypha gov`: propose marketplace parameter changes, vote, list referenda.
//!
//! A proposal goes to the `market_params` track (see docs/GOVERNANCE.md): the
//! `set_params` call is stored as a preimage, the referendum is submitted with
//! the `Governance::MarketParams` origin and its decision deposit is placed,
//! all signed by the proposer. Amounts are in HYPHA (`2`, `0.5`, `2 HYPHA`),
//! the smallest unit only with a suffix (`5 units`), as everywhere
//! (`hypha_client::amount`).

use anyhow::{bail, ensure, Context, Result};
use hypha_client::{
	amount::{amount_arg, format_hypha, parse_amount},
	api::{
		self,
		runtime_types::{
			frame_support::traits::{preimages::Bounded, schedule::DispatchTime},
			hypha_runtime::OriginCaller,
			pallet_conviction_voting::vote::{AccountVote, Vote},
			pallet_governance::pallet::Origin as GovernanceOrigin,
			pallet_jobs::pallet::JobParams,
			pallet_referenda::types::ReferendumInfo,
			pallet_stake::pallet::StakeParams,
		},
	},
	chain,
	subxt::{tx::Payload, utils::H256},
	subxt_signer::sr25519::Keypair,
	Client,
};
use hypha_primitives::{blake2_256, Balance};

use crate::args::{print_lines, ChainArgs};

/// Governance of the marketplace parameters.
#[derive(Debug, clap::Subcommand)]
pub enum GovCommand {
	/// Propose new marketplace parameters on the `market_params` track:
	/// stores the call, submits the referendum and places its decision
	/// deposit (100 HYPHA, returned when it ends) from the --seed account.
	///
	/// Example: `hypha gov propose-params --seed //Alice --set p_min_ppm=100000
	/// --set verifier_fee=1`. Unnamed parameters keep their current value.
	ProposeParams {
		#[command(flatten)]
		chain: ChainArgs,
		/// Whose parameters.
		#[arg(long, value_enum, default_value = "jobs")]
		pallet: ParamsPallet,
		/// A change, `name=value` (repeat for several); amounts in HYPHA
		/// (`1`, `0.5 HYPHA`; the smallest unit only as `5 units`).
		#[arg(long = "set", value_name = "NAME=VALUE", required = true)]
		set: Vec<String>,
	},
	/// Vote on a referendum with the --seed account's tokens.
	Vote {
		#[command(flatten)]
		chain: ChainArgs,
		/// The referendum's index (see `hypha gov list`).
		index: u32,
		/// Vote aye (the default is nay).
		#[arg(long)]
		aye: bool,
		/// Tokens behind the vote, in HYPHA (`100`, `100 HYPHA`; the smallest
		/// unit only as `5 units`).
		#[arg(long, value_parser = amount_arg)]
		balance: Balance,
		/// Conviction 0 (0.1x votes, no lock) to 6 (6x votes, longest lock).
		#[arg(long, default_value_t = 1)]
		conviction: u8,
	},
	/// List the referenda, newest first, with their state and tally.
	List {
		#[command(flatten)]
		chain: ChainArgs,
	},
	/// Dev chains only: set marketplace parameters at once through sudo
	/// (the --seed account must be the sudo key, //Alice on `--dev`). Chains
	/// without sudo refuse it; use propose-params there.
	SudoSetParams {
		#[command(flatten)]
		chain: ChainArgs,
		/// Whose parameters.
		#[arg(long, value_enum, default_value = "jobs")]
		pallet: ParamsPallet,
		/// A change, `name=value` (repeat for several); amounts in HYPHA.
		#[arg(long = "set", value_name = "NAME=VALUE", required = true)]
		set: Vec<String>,
	},
}

impl GovCommand {
	/// Runs the command.
	pub fn run(self) -> Result<()> {
		match self {
			GovCommand::ProposeParams { chain, pallet, set } => {
				let proposer = chain.signer()?;
				let proposal = chain
					.run(async |client| propose_params(&client, pallet, &set, &proposer).await)?;
				println!("referendum #{} submitted on the market_params track", proposal.index);
				println!("proposal hash: 0x{}", hex::encode(proposal.hash));
				println!("proposed: {}", proposal.params);
				println!(
					"vote with: hypha gov vote {} --aye --balance \"<n> HYPHA\" --seed <account>",
					proposal.index
				);
			},
			GovCommand::Vote { chain, index, aye, balance, conviction } => {
				let voter = chain.signer()?;
				chain.run(async |client| {
					vote(&client, index, aye, balance, conviction, &voter).await
				})?;
				println!("voted {} on referendum #{index}", if aye { "aye" } else { "nay" });
			},
			GovCommand::SudoSetParams { chain, pallet, set } => {
				let sudo = chain.signer()?;
				let params = chain
					.run(async |client| sudo_set_params(&client, pallet, &set, &sudo).await)?;
				println!("parameters set through sudo: {params}");
			},
			GovCommand::List { chain } => {
				let lines = chain.run(async |client| list(&client).await)?;
				if lines.is_empty() {
					println!("no referenda");
				}
				print_lines(lines);
			},
		}
		Ok(())
	}
}

/// Which pallet's parameters a proposal changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ParamsPallet {
	/// `Jobs::set_params`: sampling, collateral, windows, fees, slashes.
	Jobs,
	/// `Stake::set_params`: minimum stakes and the unbonding period.
	Stake,
}

/// Parses `name=value` pairs.
fn assignments(set: &[String]) -> Result<Vec<(String, String)>> {
	ensure!(!set.is_empty(), "nothing to change: give at least one --set name=value");
	set.iter()
		.map(|pair| {
			let (name, value) = pair
				.split_once('=')
				.with_context(|| format!("--set {pair}: expected name=value"))?;
			Ok((name.trim().replace('-', "_"), value.trim().to_string()))
		})
		.collect()
}

fn amount(name: &str, value: &str) -> Result<u128> {
	parse_amount(&value.replace('_', "")).with_context(|| format!("{name}: `{value}`"))
}

fn number<N: std::str::FromStr>(name: &str, value: &str) -> Result<N> {
	value
		.replace('_', "")
		.parse()
		.map_err(|_| anyhow::anyhow!("{name}: `{value}` is not a valid number"))
}

/// Applies `set` to the Jobs parameters.
pub fn apply_jobs(
	mut params: JobParams<u128, u32>,
	set: &[String],
) -> Result<JobParams<u128, u32>> {
	for (name, value) in assignments(set)? {
		let v = value.as_str();
		match name.as_str() {
			"safety_permille" => params.safety_permille = number(&name, v)?,
			"p_min_ppm" => params.p_min_ppm = number(&name, v)?,
			"collateral_percent" => params.collateral_percent = number(&name, v)?,
			"open_timeout" => params.open_timeout = number(&name, v)?,
			"min_result_window" => params.min_result_window = number(&name, v)?,
			"max_result_window" => params.max_result_window = number(&name, v)?,
			"challenge_window" => params.challenge_window = number(&name, v)?,
			"audit_window" => params.audit_window = number(&name, v)?,
			"verifier_fee" => params.verifier_fee = amount(&name, v)?,
			"dispute_verifiers" => params.dispute_verifiers = number(&name, v)?,
			"min_provider_score_ppm" => params.min_provider_score_ppm = number(&name, v)?,
			"deadline_slash_percent" => params.deadline_slash_percent = number(&name, v)?,
			"verifier_slash" => params.verifier_slash = amount(&name, v)?,
			"no_show_slash" => params.no_show_slash = amount(&name, v)?,
			"max_missed_deadlines" => params.max_missed_deadlines = number(&name, v)?,
			"job_deposit" => params.job_deposit = amount(&name, v)?,
			other => bail!(
				"the Jobs parameters have no `{other}`; they are safety_permille, p_min_ppm, \
				 collateral_percent, open_timeout, min_result_window, max_result_window, \
				 challenge_window, audit_window, verifier_fee, dispute_verifiers, \
				 min_provider_score_ppm, deadline_slash_percent, verifier_slash, no_show_slash, \
				 max_missed_deadlines, job_deposit"
			),
		}
	}
	Ok(params)
}

/// Applies `set` to the Stake parameters.
pub fn apply_stake(
	mut params: StakeParams<u128, u32>,
	set: &[String],
) -> Result<StakeParams<u128, u32>> {
	for (name, value) in assignments(set)? {
		match name.as_str() {
			"min_provider_stake" => params.min_provider_stake = amount(&name, &value)?,
			"min_verifier_stake" => params.min_verifier_stake = amount(&name, &value)?,
			"unbonding_period" => params.unbonding_period = number(&name, &value)?,
			other => bail!(
				"the Stake parameters have no `{other}`; they are min_provider_stake, \
				 min_verifier_stake, unbonding_period"
			),
		}
	}
	Ok(params)
}

async fn send<P: Payload>(
	client: &Client,
	what: &str,
	call: &P,
	signer: &Keypair,
) -> Result<hypha_client::TxEvents> {
	chain::submit(client, call, signer).await.with_context(|| format!("{what} failed"))
}

/// What `propose-params` did.
pub struct Proposal {
	/// The referendum's index.
	pub index: u32,
	/// BLAKE2-256 of the proposed call.
	pub hash: [u8; 32],
	/// The proposed parameters, as text.
	pub params: String,
}

/// Proposes new parameters for `pallet` with the changes in `set`.
pub async fn propose_params(
	client: &Client,
	pallet: ParamsPallet,
	set: &[String],
	proposer: &Keypair,
) -> Result<Proposal> {
	let at = client.at_current_block().await?;
	let tx = client.tx().await?;
	let (call, params) = match pallet {
		ParamsPallet::Jobs => {
			let current = at.storage().fetch(api::storage().jobs().params(), ()).await?.decode()?;
			let proposed = apply_jobs(current, set)?;
			(tx.call_data(&api::tx().jobs().set_params(proposed.clone()))?, format!("{proposed:?}"))
		},
		ParamsPallet::Stake => {
			let current =
				at.storage().fetch(api::storage().stake().params(), ()).await?.decode()?;
			let proposed = apply_stake(current, set)?;
			(
				tx.call_data(&api::tx().stake().set_params(proposed.clone()))?,
				format!("{proposed:?}"),
			)
		},
	};
	let hash = blake2_256(&call);
	let len = u32::try_from(call.len())?;
	send(
		client,
		"storing the proposal (preimage.note_preimage)",
		&api::tx().preimage().note_preimage(call),
		proposer,
	)
	.await?;
	let submit = api::tx().referenda().submit(
		OriginCaller::Governance(GovernanceOrigin::MarketParams),
		Bounded::Lookup { hash: H256(hash), len },
		DispatchTime::After(1),
	);
	let events =
		send(client, "submitting the referendum (referenda.submit)", &submit, proposer).await?;
	let submitted = events
		.find_first::<api::referenda::events::Submitted>()
		.context("the chain accepted the referendum but emitted no Submitted event")??;
	let deposit = api::tx().referenda().place_decision_deposit(submitted.index);
	send(
		client,
		"placing the decision deposit (referenda.place_decision_deposit)",
		&deposit,
		proposer,
	)
	.await?;
	Ok(Proposal { index: submitted.index, hash, params })
}

/// Dev chains only: applies `set` to `pallet`'s parameters at once through
/// `Sudo::sudo`, signed by the sudo key. Returns the new parameters as text.
pub async fn sudo_set_params(
	client: &Client,
	pallet: ParamsPallet,
	set: &[String],
	sudo: &Keypair,
) -> Result<String> {
	use api::runtime_types::hypha_runtime::RuntimeCall;
	let at = client.at_current_block().await?;
	let (call, params) = match pallet {
		ParamsPallet::Jobs => {
			let current = at.storage().fetch(api::storage().jobs().params(), ()).await?.decode()?;
			let params = apply_jobs(current, set)?;
			let text = format!("{params:?}");
			(
				RuntimeCall::Jobs(api::runtime_types::pallet_jobs::pallet::Call::set_params {
					params,
				}),
				text,
			)
		},
		ParamsPallet::Stake => {
			let current =
				at.storage().fetch(api::storage().stake().params(), ()).await?.decode()?;
			let params = apply_stake(current, set)?;
			let text = format!("{params:?}");
			(
				RuntimeCall::Stake(api::runtime_types::pallet_stake::pallet::Call::set_params {
					params,
				}),
				text,
			)
		},
	};
	let events = chain::submit(client, &api::tx().sudo().sudo(call), sudo)
		.await
		.context("sudo is only on dev chains (`hypha-node --dev`, key //Alice); elsewhere use `hypha gov propose-params`")?;
	let sudid = events
		.find_first::<api::sudo::events::Sudid>()
		.context("no Sudid event: is this a dev chain?")??;
	if let Err(error) = sudid.sudo_result {
		bail!("the chain refused the parameters: {error:?} (InvalidParams means they are inconsistent, e.g. a window below its minimum)");
	}
	Ok(params)
}

/// Votes on referendum `index`: `aye` or nay, `balance` behind it, with
/// `conviction` 0 (0.1x, no lock) to 6 (6x, 32 lock periods).
pub async fn vote(
	client: &Client,
	index: u32,
	aye: bool,
	balance: u128,
	conviction: u8,
	voter: &Keypair,
) -> Result<()> {
	ensure!(conviction <= 6, "--conviction is 0 to 6");
	let vote =
		AccountVote::Standard { vote: Vote(if aye { 0x80 } else { 0 } | conviction), balance };
	send(
		client,
		"voting (conviction_voting.vote)",
		&api::tx().conviction_voting().vote(index, vote),
		voter,
	)
	.await?;
	Ok(())
}

fn track_name(track: u16) -> &'static str {
	match track {
		0 => "root",
		1 => "market_params",
		_ => "unknown",
	}
}

/// One line per referendum, newest first: its track, state and tally.
pub async fn list(client: &Client) -> Result<Vec<String>> {
	let at = client.at_current_block().await?;
	let count =
		at.storage().fetch(api::storage().referenda().referendum_count(), ()).await?.decode()?;
	let issuance =
		at.storage().fetch(api::storage().balances().total_issuance(), ()).await?.decode()?;
	let mut lines = Vec::new();
	for index in (0..count).rev() {
		let Some(info) = at
			.storage()
			.try_fetch(api::storage().referenda().referendum_info_for(), (index,))
			.await?
		else {
			continue;
		};
		let line = match info.decode()? {
			ReferendumInfo::Ongoing(status) => {
				let tally = &status.tally;
				let support = if issuance == 0 {
					0.0
				} else {
					tally.support as f64 * 100.0 / issuance as f64
				};
				let phase = match &status.deciding {
					None if status.decision_deposit.is_none() => {
						"waiting for its decision deposit".to_string()
					},
					None => "preparing or queued".to_string(),
					Some(deciding) => match deciding.confirming {
						Some(until) => format!("confirming until block {until}"),
						None => format!("deciding since block {}", deciding.since),
					},
				};
				format!(
					"#{index} {} ongoing: {phase}; ayes {} nays {} support {} ({support:.2} % of issuance)",
					track_name(status.track),
					format_hypha(tally.ayes),
					format_hypha(tally.nays),
					format_hypha(tally.support),
				)
			},
			ReferendumInfo::Approved(block, ..) => format!("#{index} approved at block {block}"),
			ReferendumInfo::Rejected(block, ..) => format!("#{index} rejected at block {block}"),
			ReferendumInfo::Cancelled(block, ..) => format!("#{index} cancelled at block {block}"),
			ReferendumInfo::TimedOut(block, ..) => format!("#{index} timed out at block {block}"),
			ReferendumInfo::Killed(block) => format!("#{index} killed at block {block}"),
		};
		lines.push(line);
	}
	Ok(lines)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn params() -> JobParams<u128, u32> {
		JobParams {
			safety_permille: 1_500,
			p_min_ppm: 50_000,
			collateral_percent: 200,
			open_timeout: 600,
			min_result_window: 5,
			max_result_window: 3_600,
			challenge_window: 5,
			audit_window: 30,
			verifier_fee: 1,
			dispute_verifiers: 2,
			min_provider_score_ppm: 200_000,
			deadline_slash_percent: 10,
			verifier_slash: 1,
			no_show_slash: 1,
			max_missed_deadlines: 2,
			job_deposit: 1,
		}
	}

	#[test]
	fn assignments_change_only_the_named_fields() {
		let changed =
			apply_jobs(params(), &["p-min-ppm=1_000_000".into(), "verifier_fee=2".into()]).unwrap();
		assert_eq!(changed.p_min_ppm, 1_000_000);
		assert_eq!(changed.verifier_fee, 2 * hypha_primitives::HYPHA);
		let units = apply_jobs(params(), &["verifier_slash=5 units".into()]).unwrap();
		assert_eq!(units.verifier_slash, 5);
		assert_eq!(JobParams { p_min_ppm: 50_000, verifier_fee: 1, ..changed }, params());
	}

	#[test]
	fn unknown_names_bad_values_and_empty_changes_are_refused_with_the_reason() {
		let unknown = apply_jobs(params(), &["speed=3".into()]).unwrap_err().to_string();
		assert!(unknown.contains("no `speed`") && unknown.contains("p_min_ppm"), "{unknown}");
		let bad = apply_jobs(params(), &["audit_window=soon".into()]).unwrap_err().to_string();
		assert!(bad.contains("audit_window"), "{bad}");
		assert!(apply_jobs(params(), &["p_min_ppm".into()]).is_err());
		assert!(apply_jobs(params(), &[]).is_err());
		assert!(apply_jobs(params(), &["verifier_fee=99999999999999999999999999999 HYPHA".into()])
			.is_err());
	}
}
