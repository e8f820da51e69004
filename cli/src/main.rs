//! `hypha`: the command-line client of the Hypha marketplace. The commands
//! live in the library, one module per group.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hypha_cli::{account, digits, explorer, gov, job, model, stake, store};

/// Hypha: a decentralized GPU compute marketplace with deterministic,
/// re-executable integer workloads.
#[derive(Debug, Parser)]
#[command(name = "hypha", version, propagate_version = true)]
struct Cli {
	/// Log filter (tracing's env-filter syntax), written to stderr.
	#[arg(long, global = true, env = "HYPHA_LOG", default_value = "info")]
	log: String,
	#[command(subcommand)]
	command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
	/// Jobs: put them on the market, follow them, fetch their outputs, or
	/// run them on this machine without a chain.
	#[command(subcommand)]
	Job(job::JobCommand),
	/// Governance: propose marketplace parameter changes, vote, list referenda.
	#[command(subcommand)]
	Gov(gov::GovCommand),
	/// Bond, unbond and inspect stake (providers and verifiers).
	#[command(subcommand)]
	Stake(stake::StakeCommand),
	/// Balances.
	#[command(subcommand)]
	Account(account::AccountCommand),
	/// A content-addressed blob store for job programs and inputs.
	#[command(subcommand)]
	Store(store::StoreCommand),
	/// The digits example: prepare its training job, turn the trained weights
	/// into its inference job, score the predictions.
	#[command(subcommand)]
	Digits(digits::DigitsCommand),
	/// Models: the registry on chain (versions, lineage checked against the
	/// market's jobs, evaluations, `verify` by re-running); import a Hugging
	/// Face checkpoint as an integer-only model, generate and score locally.
	#[command(subcommand)]
	Model(model::ModelCommand),
	/// Buy a completion on the market: a `generate` job on a Hypha model,
	/// followed until it is settled; prints the prompt and the completion.
	Generate(model::MarketGenerateArgs),
	/// Serve the market explorer: live web pages of the market, its jobs,
	/// accounts, parameters and referenda.
	Explorer(explorer::ExplorerArgs),
}

fn main() -> ExitCode {
	hypha_agent::process::quiet_mesa();
	let cli = Cli::parse();
	hypha_agent::process::init_logging(&cli.log);
	let result = match cli.command {
		Command::Job(command) => command.run(),
		Command::Gov(command) => command.run(),
		Command::Stake(command) => command.run(),
		Command::Account(command) => command.run(),
		Command::Store(command) => command.run(),
		Command::Digits(command) => command.run(),
		Command::Model(command) => command.run(),
		Command::Explorer(args) => args.run(),
		Command::Generate(args) => {
			let prompt = args.prompt().to_string();
			args.run().map(|c| {
				println!("prompt: {prompt}");
				println!("completion: {:?}", c.text);
				println!(
					"job {}: provider paid {}; audited: {}",
					c.job,
					hypha_client::amount::format_hypha(c.paid),
					if c.verdicts == 0 {
						"no verdict in the final block".to_string()
					} else {
						format!("{} of {} verdicts agreed", c.agreed, c.verdicts)
					}
				);
			})
		},
	};
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("hypha: {error:#}");
			ExitCode::FAILURE
		},
	}
}
