//! `hypha job ...`: put jobs on the market, follow them, fetch their
//! outputs, or run them on this machine without a chain.
//!
//! A job's two blobs (the program and the input, see
//! `hypha_compute::package`) are uploaded to a blob store (`hypha store
//! serve` runs one), named in the chain's `JobSpec` by digest and URI, and the
//! job is paid for with `Jobs::submit_job` ([`submit`]). The chain only ever
//! sees digests and a commitment to the output's digest; [`fetch`] downloads
//! the output from the worker with a request signed by the client's key and
//! checks it against that commitment before writing anything.
//!
//! Every chain error comes back through `hypha_client::ChainError`, which
//! names the pallet error and its documentation (`Jobs::JobNotOpen (The job
//! is not open.)`).

pub mod fetch;
pub mod local;
pub mod narrate;
pub mod status;
pub mod submit;

use std::path::PathBuf;

use anyhow::{Context, Result};
use hypha_client::amount::{amount_arg, format_hypha};
use hypha_client::Client;
use hypha_primitives::Balance;

use crate::args::{print_lines, BackendArg, ChainArgs};
use crate::digits::DigitsCheckArgs;

/// Jobs on the market and on this machine.
#[derive(Debug, clap::Subcommand)]
pub enum JobCommand {
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
	/// client), check it against the provider's commitment on chain and the
	/// provider's receipt, and write output.bin and output.safetensors.
	Fetch {
		#[command(flatten)]
		chain: ChainArgs,
		/// The job id.
		job: u64,
		/// Where to write the output files.
		#[arg(long, default_value = ".")]
		out: PathBuf,
		/// For a `generate` job: the model file it ran (`hypha model
		/// import`), to print the generated text with its tokenizer.
		#[arg(long)]
		model: Option<PathBuf>,
	},
	/// Tell the chain the provider did not hand a committed result's output
	/// over (its endpoint and the store hold no copy), as the job's client.
	///
	/// The result is then audited whatever its draw said, before it is
	/// paid, and the auditor leaves its own re-executed copy in the store
	/// the program came from; `hypha job fetch` reads it once the job is
	/// settled. Costs one verifier fee from the budget. Only while the
	/// result waits for settlement, a few blocks before it at the latest.
	ReportUndelivered {
		#[command(flatten)]
		chain: ChainArgs,
		/// The job id.
		job: u64,
	},
	/// Train an int8 MLP on the digits data set and check its test accuracy.
	///
	/// Runs the training job (fixed-point SGD) on the training split,
	/// quantizes the weights to int8, runs the inference job on the test
	/// split and prints `accuracy: 0.xxxx`. Exits non-zero below
	/// --min-accuracy.
	DigitsCheck(DigitsCheckArgs),
}

/// `hypha job submit`.
#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
	#[command(flatten)]
	chain: ChainArgs,
	/// The job specs (TOML; see docs/COMPUTE.md). Several go on chain in
	/// one transaction (`Utility::batch_all`, up to 64 per transaction):
	/// all of them or none.
	#[arg(required = true, num_args = 1..)]
	specs: Vec<PathBuf>,
	/// The blob store to upload the program and input to (`hypha store serve`).
	#[arg(long, env = "HYPHA_STORE", default_value = "http://127.0.0.1:7300")]
	store: String,
	/// Upload the program and input as private blobs: only this account,
	/// and the provider and verifiers of this job (checked by a store run
	/// with --node), may read them. Implies --seal.
	#[arg(long)]
	private: bool,
	/// Have the provider seal the output to this client (HPKE to a key
	/// derived from --seed): the provider's endpoint and the copy in the
	/// store hold only ciphertext, and `hypha job fetch --seed` opens it.
	#[arg(long)]
	seal: bool,
	/// The budget held in escrow, in HYPHA (`2`, `2 HYPHA`; the smallest unit
	/// only as `5 units`) [default: compute units times --max-price-per-unit,
	/// plus the most the verifiers can be paid].
	#[arg(long, value_parser = amount_arg)]
	budget: Option<Balance>,
	/// The highest price per compute unit accepted, in HYPHA (`0.001`; the
	/// smallest unit only as `5 units`).
	#[arg(long, default_value = "0.001", value_parser = amount_arg)]
	max_price_per_unit: Balance,
	/// Blocks a provider has, from its claim, to commit a result.
	#[arg(long, default_value_t = 60)]
	result_window: u32,
	/// The largest output accepted, in bytes.
	#[arg(long, default_value_t = submit::DEFAULT_MAX_OUTPUT_BYTES)]
	max_output_bytes: u32,
	/// Follow the jobs until they end.
	#[arg(long)]
	wait: bool,
	/// The registered model version (NAME@VERSION) the jobs run or start
	/// from: the spec on chain stores its digest, so the job keeps naming
	/// the same file whatever happens to the name later. A training spec's
	/// initial weights, a generate or score spec's model, must be that
	/// file (an inference spec's model is its int8 quantization).
	#[arg(long)]
	model: Option<crate::registry::ModelRef>,
}

/// `hypha job run-local`.
#[derive(Debug, clap::Args)]
pub struct RunLocalArgs {
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

impl JobCommand {
	/// Runs the command.
	pub fn run(self) -> Result<()> {
		match self {
			JobCommand::Submit(args) => run_submit(args),
			JobCommand::Status { chain, job } => {
				print_lines(chain.run(async |client| status::status(&client, job).await)?);
				Ok(())
			},
			JobCommand::Watch { chain, job } => {
				chain.run(async |client| watch(&client, job).await.map(drop))
			},
			JobCommand::Fetch { chain, job, out, model } => {
				let reader = chain.signer()?;
				let key = chain.output_key()?;
				let fetched = chain.run(async |client| {
					fetch::fetch(&client, &reader, Some(&key), job, &out).await
				})?;
				println!(
					"output of job {job}: {} bytes, digest 0x{}",
					fetched.bytes.len(),
					hex::encode(fetched.digest)
				);
				println!("the digest matches the provider's commitment on chain");
				match fetched.receipt {
					Some(receipt) => println!(
						"the provider's receipt verifies against its registered key: 0x{}",
						hex::encode(receipt)
					),
					None => println!("warning: the provider sent no receipt that verifies"),
				}
				if !fetched.settled {
					println!(
						"note: the job is not settled yet; an audit may still prove this result wrong"
					);
				}
				for file in &fetched.files {
					println!("wrote {}", file.display());
				}
				if let Some(model) = model {
					let output =
						hypha_compute::output::JobOutput::from_canonical_bytes(&fetched.bytes)?;
					let (_, tokens) = output.u32("tokens").context(
						"--model decodes a generate job's tokens, and this output holds none",
					)?;
					let model = crate::model::load_model(&model)?;
					let text = hypha_compute::lm::Tokenizer::from_json(&model.tokenizer)?
						.decode(&tokens)?;
					println!("tokens: {}", tokens.len());
					println!("text: {text:?}");
				}
				Ok(())
			},
			JobCommand::ReportUndelivered { chain, job } => {
				let client_key = chain.signer()?;
				let draw_at = chain.run(async |client| {
					fetch::report_undelivered(&client, &client_key, job).await
				})?;
				println!("reported: job {job}'s result will be audited, its auditor drawn in block #{draw_at}");
				println!("the auditor leaves its own copy of the output in your store before the provider is paid; then: hypha job fetch {job}");
				Ok(())
			},
			JobCommand::RunLocal(args) => run_local(args),
			JobCommand::DigitsCheck(args) => crate::digits::run_check(args),
		}
	}
}

fn run_submit(args: SubmitArgs) -> Result<()> {
	let payer = args.chain.signer()?;
	let options = submit::SubmitOptions {
		store: args.store,
		budget: args.budget,
		max_price_per_unit: args.max_price_per_unit,
		result_window: args.result_window,
		max_output_bytes: args.max_output_bytes,
		private: args.private,
		output_key: match args.seal || args.private {
			true => Some(args.chain.output_key()?.public()),
			false => None,
		},
		model: None,
		best_block: false,
	};
	let (wait, specs, model) = (args.wait, args.specs, args.model);
	args.chain.run(async |client| {
		let mut options = options;
		if let Some(model) = &model {
			for spec in &specs {
				options.model =
					Some(crate::registry::resolve_for_spec(&client, model, spec).await?);
			}
			println!("model: {model} (0x{})", hex::encode(options.model.unwrap_or_default()));
		}
		let paths: Vec<&std::path::Path> = specs.iter().map(PathBuf::as_path).collect();
		let submitted = submit::submit_many(&client, &payer, &paths, &options).await?;
		for job in &submitted {
			println!(
				"job {} submitted: {}, {} compute units, budget {} held in escrow",
				job.job,
				job.kind,
				job.compute_units,
				format_hypha(job.budget)
			);
			println!("program: {}", job.program_uri);
			println!("input: {}", job.input_uri);
		}
		for job in &submitted {
			if wait {
				watch(&client, job.job).await?;
			} else {
				println!("follow it with: hypha job watch {}", job.job);
			}
		}
		Ok(())
	})
}

/// Follows `job`, one line per event, then a summary; returns how it ended.
pub async fn watch(client: &Client, job: u64) -> Result<narrate::Outcome> {
	let started = std::time::Instant::now();
	let outcome = narrate::watch(client, job, |block, line| {
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
	Ok(outcome)
}

fn run_local(args: RunLocalArgs) -> Result<()> {
	let report = local::run_local(&args.spec, args.backend.backend, args.out.as_deref())?;
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
}
