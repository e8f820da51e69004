//! `hypha`: the command-line client of the Hypha marketplace.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use hypha_cli::{digits_check, require_accuracy, run_local, DigitsCheckConfig};
use hypha_compute::kernels::sgd_update::LearningRate;
use hypha_compute::BackendChoice;

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
	Job(JobCommand),
	/// Governance: propose marketplace parameter changes, vote, list referenda.
	#[command(subcommand)]
	Gov(GovCommand),
	/// Bond, unbond and inspect stake (providers and verifiers).
	#[command(subcommand)]
	Stake(StakeCommand),
	/// Balances.
	#[command(subcommand)]
	Account(AccountCommand),
	/// A content-addressed blob store for job programs and inputs.
	#[command(subcommand)]
	Store(StoreCommand),
	/// The digits example: prepare its training job, turn the trained weights
	/// into its inference job, score the predictions.
	#[command(subcommand)]
	Digits(DigitsCommand),
}

#[derive(Debug, Subcommand)]
enum StakeCommand {
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
		/// The bond, e.g. `100 HYPHA`.
		#[arg(long)]
		bond: String,
	},
	/// Add to a bond.
	BondExtra {
		#[command(flatten)]
		chain: ChainArgs,
		/// Whose bond.
		#[arg(long, value_enum)]
		role: hypha_cli::market::StakeRole,
		/// How much, e.g. `50 HYPHA`.
		#[arg(long)]
		amount: String,
	},
	/// Start unbonding part of a bond (released after the unbonding period).
	Unbond {
		#[command(flatten)]
		chain: ChainArgs,
		/// Whose bond.
		#[arg(long, value_enum)]
		role: hypha_cli::market::StakeRole,
		/// How much, e.g. `50 HYPHA`.
		#[arg(long)]
		amount: String,
	},
	/// Release the stake whose unbonding period is over.
	Withdraw {
		#[command(flatten)]
		chain: ChainArgs,
		/// Whose bond.
		#[arg(long, value_enum)]
		role: hypha_cli::market::StakeRole,
	},
	/// Leave a role; its whole bond starts unbonding (refused while it backs open jobs).
	Deregister {
		#[command(flatten)]
		chain: ChainArgs,
		/// Which role.
		#[arg(long, value_enum)]
		role: hypha_cli::market::StakeRole,
	},
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
	/// Free, held and frozen balance.
	Balance {
		#[command(flatten)]
		chain: ChainArgs,
		/// The account (SS58); default: the --seed account.
		account: Option<String>,
	},
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
	/// Serve a blob store (in memory) until Ctrl-C: `PUT /blobs`, `GET /blobs/<digest>`.
	Serve {
		/// Address to listen on.
		#[arg(long, default_value = "127.0.0.1:7300")]
		listen: std::net::SocketAddr,
		/// Largest blob accepted, in MiB.
		#[arg(long, default_value_t = 256)]
		max_blob_mib: u64,
	},
}

#[derive(Debug, Subcommand)]
enum DigitsCommand {
	/// Write the digits training job (train.toml, init.safetensors) to --out,
	/// ready for `hypha job submit`.
	Prepare(DigitsCheckArgs),
	/// Turn a training job's output (`hypha job fetch` wrote output.bin) into
	/// the inference job on the test split (infer.toml and its files in --out).
	Model {
		/// The digits data set.
		#[arg(long, default_value = "data/digits.safetensors")]
		data: PathBuf,
		/// The training job's output.bin.
		#[arg(long)]
		trained: PathBuf,
		/// Where to write infer.toml, model.safetensors, test_input.safetensors.
		#[arg(long)]
		out: PathBuf,
		#[command(flatten)]
		backend: BackendArg,
	},
	/// Score an inference job's output (output.bin) on the test labels.
	Accuracy {
		/// The digits data set.
		#[arg(long, default_value = "data/digits.safetensors")]
		data: PathBuf,
		/// The inference job's output.bin.
		#[arg(long)]
		output: PathBuf,
		/// Fail below this accuracy.
		#[arg(long, default_value_t = 0.0)]
		min_accuracy: f64,
	},
}

/// Where the chain is and who signs.
#[derive(Debug, Args)]
struct ChainArgs {
	/// The node's JSON-RPC endpoint.
	#[arg(long, env = "HYPHA_URL", default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// The signing account, as a secret URI: `//Alice` on dev chains, or a
	/// mnemonic with an optional derivation path.
	#[arg(long, env = "HYPHA_SEED")]
	seed: Option<String>,
}

#[derive(Debug, Subcommand)]
enum GovCommand {
	/// Propose new marketplace parameters on the `market_params` track:
	/// stores the call, submits the referendum and places its decision
	/// deposit (100 HYPHA, returned when it ends) from the --seed account.
	///
	/// Example: `hypha gov propose-params --seed //Alice --set p_min_ppm=100000
	/// --set verifier_fee="1 HYPHA"`. Unnamed parameters keep their current value.
	ProposeParams {
		#[command(flatten)]
		chain: ChainArgs,
		/// Whose parameters.
		#[arg(long, value_enum, default_value = "jobs")]
		pallet: hypha_cli::gov::ParamsPallet,
		/// A change, `name=value` (repeat for several); amounts in units or `<n> HYPHA`.
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
		/// Tokens behind the vote, in units or `<n> HYPHA`.
		#[arg(long)]
		balance: String,
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
		pallet: hypha_cli::gov::ParamsPallet,
		/// A change, `name=value` (repeat for several).
		#[arg(long = "set", value_name = "NAME=VALUE", required = true)]
		set: Vec<String>,
	},
}

#[derive(Debug, Subcommand)]
enum JobCommand {
	/// Run a job from its TOML spec and print its output digest.
	///
	/// The digest (blake2-256 of the canonical output encoding, see
	/// docs/COMPUTE.md) is what a worker commits on chain: run a job here
	/// before paying for it and compare.
	RunLocal(RunLocalArgs),
	/// Put a job on the market: upload its program and input to a blob store
	/// and pay for it (the budget is held in escrow until the job ends).
	///
	/// The spec is the TOML of `run-local`. Prints the job id; with --wait,
	/// follows the job until it ends and prints what was paid and refunded.
	Submit(SubmitArgs),
	/// Show a job: its spec, where it stands, and how it ended.
	Status {
		#[command(flatten)]
		chain: ChainArgs,
		/// The job id.
		job: u64,
	},
	/// Follow a job block by block until it ends.
	Watch {
		#[command(flatten)]
		chain: ChainArgs,
		/// The job id.
		job: u64,
	},
	/// Download a job's output from its provider (signed as the job's
	/// client), check it against the provider's commitment on chain, and
	/// write output.bin and output.safetensors.
	Fetch {
		#[command(flatten)]
		chain: ChainArgs,
		/// The job id.
		job: u64,
		/// Where to write the output files.
		#[arg(long, default_value = ".")]
		out: PathBuf,
	},
	/// Train an int8 MLP on the digits data set and check its test accuracy.
	///
	/// Runs the training job (fixed-point SGD) on the training split,
	/// quantizes the weights to int8, runs the inference job on the test
	/// split and prints `accuracy: 0.xxxx`. Exits non-zero below
	/// --min-accuracy.
	DigitsCheck(DigitsCheckArgs),
}

#[derive(Debug, Args)]
struct SubmitArgs {
	#[command(flatten)]
	chain: ChainArgs,
	/// The job spec (TOML; see docs/COMPUTE.md).
	spec: PathBuf,
	/// The blob store to upload the program and input to (`hypha store serve`).
	#[arg(long, env = "HYPHA_STORE", default_value = "http://127.0.0.1:7300")]
	store: String,
	/// The budget held in escrow, e.g. `2 HYPHA` [default: compute units
	/// times --max-price-per-unit, plus the most the verifiers can be paid].
	#[arg(long)]
	budget: Option<String>,
	/// The highest price per compute unit accepted, in HYPHA.
	#[arg(long, default_value = "0.001")]
	max_price_per_unit: String,
	/// Blocks a provider has, from its claim, to commit a result.
	#[arg(long, default_value_t = 60)]
	result_window: u32,
	/// The largest output accepted, in bytes.
	#[arg(long, default_value_t = hypha_cli::market::DEFAULT_MAX_OUTPUT_BYTES)]
	max_output_bytes: u32,
	/// Follow the job until it ends.
	#[arg(long)]
	wait: bool,
}

#[derive(Debug, Args)]
struct BackendArg {
	/// Where kernels run: auto (a real GPU if any, else the CPU path), cpu,
	/// gpu (wgpu on any adapter, software drivers included) or reference.
	#[arg(long, env = "HYPHA_BACKEND", default_value = "auto")]
	backend: BackendChoice,
}

#[derive(Debug, Args)]
struct RunLocalArgs {
	/// The job spec (TOML; see docs/COMPUTE.md).
	spec: PathBuf,
	#[command(flatten)]
	backend: BackendArg,
	/// Also write output.bin (canonical encoding) and output.safetensors here.
	#[arg(long)]
	out: Option<PathBuf>,
	/// Fail unless the output digest equals this one (64 hex digits, `0x`
	/// optional), e.g. the digest a worker committed.
	#[arg(long, value_name = "DIGEST")]
	expect: Option<String>,
}

#[derive(Debug, Args)]
struct DigitsCheckArgs {
	/// The digits data set.
	#[arg(long, default_value = "data/digits.safetensors")]
	data: PathBuf,
	#[command(flatten)]
	backend: BackendArg,
	/// Hidden units.
	#[arg(long, default_value_t = 32)]
	hidden: usize,
	/// Epochs.
	#[arg(long, default_value_t = 100)]
	epochs: u32,
	/// Minibatch size.
	#[arg(long, default_value_t = 32)]
	batch_size: usize,
	/// Learning-rate numerator (the rate is multiplier / 2^shift, applied to
	/// batch-summed gradients).
	#[arg(long, default_value_t = 1)]
	learning_rate_multiplier: i32,
	/// Learning-rate denominator's power of two.
	#[arg(long, default_value_t = 9)]
	learning_rate_shift: u32,
	/// Seed of the initial weights and the sample order.
	#[arg(long, default_value_t = 1)]
	seed: u64,
	/// Train on only the first N training samples.
	#[arg(long)]
	train_limit: Option<usize>,
	/// Fail below this test accuracy.
	#[arg(long, default_value_t = 0.95)]
	min_accuracy: f64,
	/// Write the jobs' files here (train.toml, infer.toml, weights, model,
	/// inputs) to rerun them with `hypha job run-local`.
	#[arg(long)]
	out: Option<PathBuf>,
}

fn main() -> ExitCode {
	hypha_worker::daemon::quiet_mesa();
	let cli = Cli::parse();
	hypha_worker::daemon::init_logging(&cli.log);
	match run(cli) {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("hypha: {error:#}");
			ExitCode::FAILURE
		},
	}
}

/// Runs a chain command on a fresh tokio runtime.
fn on_chain<T>(
	url: &str,
	work: impl AsyncFnOnce(hypha_client::Client) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
	let runtime = tokio::runtime::Runtime::new()?;
	runtime.block_on(async {
		let client = hypha_client::connect(url).await?;
		work(client).await
	})
}

fn signer(chain: &ChainArgs) -> anyhow::Result<hypha_client::subxt_signer::sr25519::Keypair> {
	let seed = chain.seed.as_deref().ok_or_else(|| {
		anyhow::anyhow!("this command signs a transaction: give --seed (e.g. //Alice on a dev chain) or set HYPHA_SEED")
	})?;
	hypha_cli::gov::keypair(seed)
}

fn run_gov(command: GovCommand) -> anyhow::Result<()> {
	match command {
		GovCommand::ProposeParams { chain, pallet, set } => {
			let proposer = signer(&chain)?;
			let proposal = on_chain(&chain.url, async |client| {
				hypha_cli::gov::propose_params(&client, pallet, &set, &proposer).await
			})?;
			println!("referendum #{} submitted on the market_params track", proposal.index);
			println!("proposal hash: 0x{}", hex::encode(proposal.hash));
			println!("proposed: {}", proposal.params);
			println!(
				"vote with: hypha gov vote {} --aye --balance \"<n> HYPHA\" --seed <account>",
				proposal.index
			);
		},
		GovCommand::Vote { chain, index, aye, balance, conviction } => {
			let voter = signer(&chain)?;
			let balance = hypha_cli::gov::parse_amount("--balance", &balance)?;
			on_chain(&chain.url, async |client| {
				hypha_cli::gov::vote(&client, index, aye, balance, conviction, &voter).await
			})?;
			println!("voted {} on referendum #{index}", if aye { "aye" } else { "nay" });
		},
		GovCommand::SudoSetParams { chain, pallet, set } => {
			let sudo = signer(&chain)?;
			let params = on_chain(&chain.url, async |client| {
				hypha_cli::gov::sudo_set_params(&client, pallet, &set, &sudo).await
			})?;
			println!("parameters set through sudo: {params}");
		},
		GovCommand::List { chain } => {
			let lines = on_chain(&chain.url, async |client| hypha_cli::gov::list(&client).await)?;
			if lines.is_empty() {
				println!("no referenda");
			}
			for line in lines {
				println!("{line}");
			}
		},
	}
	Ok(())
}

/// The account a command is about: `account` (SS58) if given, else the --seed account.
fn account_arg(
	chain: &ChainArgs,
	account: Option<&str>,
) -> anyhow::Result<hypha_client::AccountId> {
	match account {
		Some(text) => {
			text.parse().map_err(|e| anyhow::anyhow!("`{text}` is not an SS58 account id: {e:?}"))
		},
		None => Ok(hypha_worker::chain::account_of(&signer(chain).map_err(|_| {
			anyhow::anyhow!("name the account (SS58), or give --seed to use its account")
		})?)),
	}
}

fn amount(name: &str, text: &str) -> anyhow::Result<u128> {
	hypha_cli::gov::parse_amount(name, text)
}

fn print_lines(lines: Vec<String>) {
	for line in lines {
		println!("{line}");
	}
}

fn run_job_submit(args: SubmitArgs) -> anyhow::Result<()> {
	let payer = signer(&args.chain)?;
	let options = hypha_cli::market::SubmitOptions {
		store: args.store,
		budget: args.budget.as_deref().map(|b| amount("--budget", b)).transpose()?,
		max_price_per_unit: hypha_worker::chain::parse_hypha(&args.max_price_per_unit)
			.context("--max-price-per-unit")?,
		result_window: args.result_window,
		max_output_bytes: args.max_output_bytes,
	};
	let wait = args.wait;
	let spec = args.spec;
	on_chain(&args.chain.url, async |client| {
		let submitted = hypha_cli::market::submit(&client, &payer, &spec, &options).await?;
		println!(
			"job {} submitted: {}, {} compute units, budget {} held in escrow",
			submitted.job,
			submitted.kind,
			submitted.compute_units,
			hypha_worker::chain::format_hypha(submitted.budget)
		);
		println!("program: {}", submitted.program_uri);
		println!("input: {}", submitted.input_uri);
		if wait {
			watch_job(&client, submitted.job).await?;
		} else {
			println!("follow it with: hypha job watch {}", submitted.job);
		}
		Ok(())
	})
}

async fn watch_job(client: &hypha_client::Client, job: u64) -> anyhow::Result<()> {
	let started = std::time::Instant::now();
	let outcome = hypha_cli::market::watch(client, job, |block, line| {
		let elapsed = started.elapsed().as_secs_f64();
		if block == 0 {
			println!("[{elapsed:6.1} s] {line}");
		} else {
			println!("[{elapsed:6.1} s] #{block} {line}");
		}
	})
	.await?;
	println!("{}", outcome.describe(job));
	let audited = if outcome.verdicts.is_empty() {
		"no verdict in the final block (not audited)".to_string()
	} else {
		let agreed = outcome.verdicts.iter().filter(|(_, agrees)| *agrees).count();
		format!("yes: {agreed} of {} verdicts agreed with the provider", outcome.verdicts.len())
	};
	println!("audited: {audited}");
	Ok(())
}

fn run_stake(command: StakeCommand) -> anyhow::Result<()> {
	use hypha_cli::market::StakeAction;
	let (chain, action) = match command {
		StakeCommand::Show { chain, account } => {
			let account = account_arg(&chain, account.as_deref())?;
			let lines = on_chain(&chain.url, async |client| {
				hypha_cli::market::stake_info(&client, &account).await
			})?;
			print_lines(lines);
			return Ok(());
		},
		StakeCommand::RegisterVerifier { chain, bond } => {
			let bond = amount("--bond", &bond)?;
			(chain, StakeAction::RegisterVerifier(bond))
		},
		StakeCommand::BondExtra { chain, role, amount: a } => {
			let a = amount("--amount", &a)?;
			(chain, StakeAction::BondExtra(role, a))
		},
		StakeCommand::Unbond { chain, role, amount: a } => {
			let a = amount("--amount", &a)?;
			(chain, StakeAction::Unbond(role, a))
		},
		StakeCommand::Withdraw { chain, role } => (chain, StakeAction::Withdraw(role)),
		StakeCommand::Deregister { chain, role } => (chain, StakeAction::Deregister(role)),
	};
	let who = signer(&chain)?;
	let done =
		on_chain(&chain.url, async |client| hypha_cli::market::stake(&client, &who, action).await)?;
	println!("{done}");
	Ok(())
}

fn run_store(command: StoreCommand) -> anyhow::Result<()> {
	let StoreCommand::Serve { listen, max_blob_mib } = command;
	let runtime = tokio::runtime::Runtime::new()?;
	runtime.block_on(hypha_cli::market::serve_store(
		listen,
		max_blob_mib.saturating_mul(1 << 20),
		|address| {
			println!("blob store: serving http://{address}/blobs (in memory; Ctrl-C stops it)");
			tracing::info!(%address, "blob store listening");
		},
		async {
			let _ = tokio::signal::ctrl_c().await;
		},
	))
}

fn digits_config(args: DigitsCheckArgs) -> DigitsCheckConfig {
	DigitsCheckConfig {
		data: args.data,
		backend: args.backend.backend,
		hidden: args.hidden,
		epochs: args.epochs,
		batch_size: args.batch_size,
		learning_rate: LearningRate {
			multiplier: args.learning_rate_multiplier,
			shift: args.learning_rate_shift,
		},
		seed: args.seed,
		train_limit: args.train_limit,
		out: args.out,
	}
}

fn run_digits(command: DigitsCommand) -> anyhow::Result<()> {
	match command {
		DigitsCommand::Prepare(args) => {
			let spec = hypha_cli::prepare_digits_training(&digits_config(args))?;
			println!("training job: {}", spec.display());
		},
		DigitsCommand::Model { data, trained, out, backend } => {
			let bytes = std::fs::read(&trained)
				.with_context(|| format!("reading {}", trained.display()))?;
			let spec = hypha_cli::prepare_digits_inference(&bytes, &data, &out, backend.backend)?;
			println!("inference job: {}", spec.display());
		},
		DigitsCommand::Accuracy { data, output, min_accuracy } => {
			let bytes =
				std::fs::read(&output).with_context(|| format!("reading {}", output.display()))?;
			let (correct, total) = hypha_cli::digits_output_accuracy(&bytes, &data)?;
			let accuracy = correct as f64 / total as f64;
			println!("correct: {correct}/{total}");
			println!("accuracy: {accuracy:.4}");
			anyhow::ensure!(
				accuracy >= min_accuracy,
				"accuracy {accuracy:.4} is below the required {min_accuracy:.2}"
			);
		},
	}
	Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
	match cli.command {
		Command::Gov(command) => run_gov(command),
		Command::Stake(command) => run_stake(command),
		Command::Account(AccountCommand::Balance { chain, account }) => {
			let account = account_arg(&chain, account.as_deref())?;
			let lines = on_chain(&chain.url, async |client| {
				hypha_cli::market::balance(&client, &account).await
			})?;
			print_lines(lines);
			Ok(())
		},
		Command::Store(command) => run_store(command),
		Command::Digits(command) => run_digits(command),
		Command::Job(JobCommand::Submit(args)) => run_job_submit(args),
		Command::Job(JobCommand::Status { chain, job }) => {
			let lines =
				on_chain(&chain.url, async |client| hypha_cli::market::status(&client, job).await)?;
			print_lines(lines);
			Ok(())
		},
		Command::Job(JobCommand::Watch { chain, job }) => {
			on_chain(&chain.url, async |client| watch_job(&client, job).await)
		},
		Command::Job(JobCommand::Fetch { chain, job, out }) => {
			let reader = signer(&chain)?;
			let fetched = on_chain(&chain.url, async |client| {
				hypha_cli::market::fetch(&client, &reader, job, &out).await
			})?;
			println!(
				"output of job {job}: {} bytes, digest 0x{}",
				fetched.bytes.len(),
				hex::encode(fetched.digest)
			);
			println!("the digest matches the provider's commitment on chain");
			if !fetched.settled {
				println!(
					"note: the job is not settled yet; an audit may still prove this result wrong"
				);
			}
			for file in &fetched.files {
				println!("wrote {}", file.display());
			}
			Ok(())
		},
		Command::Job(JobCommand::RunLocal(args)) => {
			let report = run_local(&args.spec, args.backend.backend, args.out.as_deref())?;
			println!("kind: {}", report.kind);
			println!("backend: {}", report.backend);
			for (name, tensor) in &report.output.tensors {
				println!("output {name}: {:?} {:?}", tensor.dtype, tensor.shape);
			}
			println!("digest: 0x{}", hex::encode(report.digest));
			if let Some(expected) = args.expect {
				let expected = expected.trim_start_matches("0x").to_ascii_lowercase();
				anyhow::ensure!(
					expected == hex::encode(report.digest),
					"the output digest differs from the expected 0x{expected}. The job, its files or \
					 the worker's result differ; rerun with --backend reference to rule out this machine"
				);
				println!("digest matches the expected one");
			}
			Ok(())
		},
		Command::Job(JobCommand::DigitsCheck(args)) => {
			let min_accuracy = args.min_accuracy;
			let report = digits_check(&digits_config(args))?;
			println!("backend: {}", report.backend);
			let loss: Vec<String> =
				report.loss.iter().map(|l| format!("{:.4}", *l as f64 / 65536.0)).collect();
			println!("loss per epoch: [{}]", loss.join(", "));
			println!("training samples/s: {:.0}", report.samples_per_second);
			println!("training output digest: 0x{}", hex::encode(report.training_digest));
			println!("inference output digest: 0x{}", hex::encode(report.inference_digest));
			println!("correct: {}/{}", report.correct, report.total);
			println!("accuracy: {:.4}", report.accuracy);
			require_accuracy(&report, min_accuracy)
		},
	}
}
