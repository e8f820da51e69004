//! `hypha`: the command-line client of the Hypha marketplace.

use std::path::PathBuf;
use std::process::ExitCode;

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
	/// Run and check compute jobs on this machine, without a chain.
	#[command(subcommand)]
	Job(JobCommand),
	/// Governance: propose marketplace parameter changes, vote, list referenda.
	#[command(subcommand)]
	Gov(GovCommand),
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
}

#[derive(Debug, Subcommand)]
enum JobCommand {
	/// Run a job from its TOML spec and print its output digest.
	///
	/// The digest (blake2-256 of the canonical output encoding, see
	/// docs/COMPUTE.md) is what a worker commits on chain: run a job here
	/// before paying for it and compare.
	RunLocal(RunLocalArgs),
	/// Train an int8 MLP on the digits data set and check its test accuracy.
	///
	/// Runs the training job (fixed-point SGD) on the training split,
	/// quantizes the weights to int8, runs the inference job on the test
	/// split and prints `accuracy: 0.xxxx`. Exits non-zero below
	/// --min-accuracy.
	DigitsCheck(DigitsCheckArgs),
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
	// Mesa's Vulkan device-select layer prints an error on every start
	// without XDG_RUNTIME_DIR; it is harmless and the layer is not needed.
	if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
		std::env::set_var("NODEVICE_SELECT", "1");
	}
	let cli = Cli::parse();
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_new(&cli.log).unwrap_or_else(|_| "info".into()),
		)
		.with_writer(std::io::stderr)
		.init();
	match run(cli) {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("hypha: {error:#}");
			ExitCode::FAILURE
		},
	}
}

/// Runs a chain command on a fresh tokio runtime.
fn on_chain<T>(url: &str, work: impl AsyncFnOnce(hypha_client::Client) -> anyhow::Result<T>) -> anyhow::Result<T> {
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
			let proposal =
				on_chain(&chain.url, async |client| hypha_cli::gov::propose_params(&client, pallet, &set, &proposer).await)?;
			println!("referendum #{} submitted on the market_params track", proposal.index);
			println!("proposal hash: 0x{}", hex::encode(proposal.hash));
			println!("proposed: {}", proposal.params);
			println!("vote with: hypha gov vote {} --aye --balance \"<n> HYPHA\" --seed <account>", proposal.index);
		},
		GovCommand::Vote { chain, index, aye, balance, conviction } => {
			let voter = signer(&chain)?;
			let balance = hypha_cli::gov::parse_amount("--balance", &balance)?;
			on_chain(&chain.url, async |client| hypha_cli::gov::vote(&client, index, aye, balance, conviction, &voter).await)?;
			println!("voted {} on referendum #{index}", if aye { "aye" } else { "nay" });
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

fn run(cli: Cli) -> anyhow::Result<()> {
	match cli.command {
		Command::Gov(command) => run_gov(command),
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
			let config = DigitsCheckConfig {
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
			};
			let report = digits_check(&config)?;
			println!("backend: {}", report.backend);
			let loss: Vec<String> =
				report.loss.iter().map(|l| format!("{:.4}", *l as f64 / 65536.0)).collect();
			println!("loss per epoch: [{}]", loss.join(", "));
			println!("training samples/s: {:.0}", report.samples_per_second);
			println!("training output digest: 0x{}", hex::encode(report.training_digest));
			println!("inference output digest: 0x{}", hex::encode(report.inference_digest));
			println!("correct: {}/{}", report.correct, report.total);
			println!("accuracy: {:.4}", report.accuracy);
			require_accuracy(&report, args.min_accuracy)
		},
	}
}
