//! `hypha job submit`: upload a job's program and input and pay for it.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use hypha_agent::fetch::BlobUri;
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{api, chain, query, Client, JobSpec, Static, Uri, WorkloadKind};
use hypha_primitives::{Balance, JobId, MAX_OUTPUT_BYTES};

/// The default bound on a job's output: 16 MiB (the chain allows up to 64 MiB).
pub const DEFAULT_MAX_OUTPUT_BYTES: u32 = 16 << 20;
const _: () = assert!(DEFAULT_MAX_OUTPUT_BYTES <= MAX_OUTPUT_BYTES);

/// How a job is put on the market.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
	/// The blob store the program and input are uploaded to.
	pub store: String,
	/// The budget; `None`: `compute_units * max_price_per_unit` plus the
	/// most the verifiers can be paid.
	pub budget: Option<Balance>,
	/// The highest price per compute unit the client accepts (sets the
	/// default budget).
	pub max_price_per_unit: Balance,
	/// Blocks a provider has from its claim to commit a result.
	pub result_window: u32,
	/// The largest output the client accepts, in bytes.
	pub max_output_bytes: u32,
	/// Upload the program and input as private blobs: readable by the
	/// client, and (through a store that asks the chain) by the provider
	/// and the verifiers of the client's live jobs that name them.
	pub private: bool,
	/// The client's X25519 key to seal the output to
	/// (`hypha_agent::seal`); `None`: the output is not encrypted.
	pub output_key: Option<[u8; 32]>,
	/// The registered model version the jobs run or start from (the digest
	/// `hypha model` resolved `--model NAME@VERSION` to). `None`: a
	/// `generate` or `score` job names its program, the model file it
	/// runs; other jobs name none.
	pub model: Option<hypha_client::Digest>,
	/// Return once a best block includes the jobs, not at their finality
	/// (the gateway: seconds count; a re-org that drops the submission
	/// leaves no job, and nothing was paid).
	pub best_block: bool,
}

/// A job on chain.
#[derive(Debug, Clone)]
pub struct Submitted {
	/// Its id.
	pub job: JobId,
	/// Inference or training.
	pub kind: WorkloadKind,
	/// Declared work.
	pub compute_units: u64,
	/// Held from the client until the job ends.
	pub budget: Balance,
	/// The program's URI.
	pub program_uri: String,
	/// The input's URI.
	pub input_uri: String,
}

/// The most jobs one transaction submits (`Utility::batch_all`); more specs
/// go in several transactions, one after the other.
pub const JOBS_PER_BATCH: usize = 64;

/// A job ready to go on chain: its blobs uploaded, its spec and budget set.
struct Prepared {
	spec: JobSpec,
	budget: Balance,
	program_uri: String,
	input_uri: String,
}

/// Uploads the blobs of the job described by `spec_path` (the TOML of `hypha
/// job run-local`, parsed once by [`hypha_compute::package::program_and_input`])
/// and submits it, paid by `signer`.
pub async fn submit(
	client: &Client,
	signer: &Keypair,
	spec_path: &Path,
	options: &SubmitOptions,
) -> Result<Submitted> {
	let mut submitted = submit_many(client, signer, &[spec_path], options).await?;
	submitted.pop().context("the chain emitted no JobSubmitted event")
}

/// Uploads the blobs of every job in `spec_paths` and submits them, paid by
/// `signer`: one `submit_job` for one spec, else `Utility::batch_all` of
/// `submit_job` calls, [`JOBS_PER_BATCH`] per transaction (all of a batch
/// go on chain or none). Returns the jobs in the order of `spec_paths`.
pub async fn submit_many(
	client: &Client,
	signer: &Keypair,
	spec_paths: &[&Path],
	options: &SubmitOptions,
) -> Result<Vec<Submitted>> {
	ensure!(!spec_paths.is_empty(), "give at least one job spec");
	let params = checked_params(client, options).await?;
	let mut packaged = Vec::with_capacity(spec_paths.len());
	for path in spec_paths {
		packaged.push(hypha_compute::package::program_and_input(path).with_context(|| {
			format!("the job spec {} does not form a valid job", path.display())
		})?);
	}
	submit_packaged_with(client, signer, packaged, options, &params).await
}

/// Uploads the blobs of already packed jobs and submits them, as
/// [`submit_many`] does (a program the store already holds is stored once:
/// the store is content-addressed).
pub async fn submit_packaged(
	client: &Client,
	signer: &Keypair,
	packaged: Vec<hypha_compute::package::PackagedJob>,
	options: &SubmitOptions,
) -> Result<Vec<Submitted>> {
	ensure!(!packaged.is_empty(), "give at least one job");
	let params = checked_params(client, options).await?;
	submit_packaged_with(client, signer, packaged, options, &params).await
}

/// The chain's job parameters, once `options`' result window is within them.
async fn checked_params(
	client: &Client,
	options: &SubmitOptions,
) -> Result<hypha_client::JobParams> {
	let params = query::params(client).await?;
	ensure!(
		options.result_window >= params.min_result_window
			&& options.result_window <= params.max_result_window,
		"the result window (--result-window) {} is outside the chain's bounds {}..={} blocks",
		options.result_window,
		params.min_result_window,
		params.max_result_window
	);
	Ok(params)
}

async fn submit_packaged_with(
	client: &Client,
	signer: &Keypair,
	packaged: Vec<hypha_compute::package::PackagedJob>,
	options: &SubmitOptions,
	params: &hypha_client::JobParams,
) -> Result<Vec<Submitted>> {
	let mut prepared = Vec::with_capacity(packaged.len());
	for job in packaged {
		prepared.push(prepare(job, signer, options, params).await?);
	}
	let mut submitted = Vec::with_capacity(prepared.len());
	for batch in prepared.chunks(JOBS_PER_BATCH) {
		let submit_job = |job: &Prepared| {
			api::tx().jobs().submit_job(Static(job.spec.clone()), job.budget, options.result_window)
		};
		let events = match batch {
			[one] => send(client, &submit_job(one), signer, options.best_block).await?,
			many => {
				use api::runtime_types::{hypha_runtime::RuntimeCall, pallet_jobs::pallet::Call};
				let calls = many
					.iter()
					.map(|job| {
						RuntimeCall::Jobs(Call::submit_job {
							spec: Static(job.spec.clone()),
							budget: job.budget,
							result_window: options.result_window,
						})
					})
					.collect();
				send(client, &api::tx().utility().batch_all(calls), signer, options.best_block)
					.await?
			},
		};
		let mut ids: Vec<JobId> = Vec::with_capacity(batch.len());
		for event in events.find::<api::jobs::events::JobSubmitted>() {
			ids.push(event?.job);
		}
		ensure!(
			ids.len() == batch.len(),
			"the chain accepted {} jobs but emitted {} JobSubmitted events",
			batch.len(),
			ids.len()
		);
		for (job, prepared) in ids.into_iter().zip(batch) {
			submitted.push(Submitted {
				job,
				kind: prepared.spec.kind,
				compute_units: prepared.spec.compute_units,
				budget: prepared.budget,
				program_uri: prepared.program_uri.clone(),
				input_uri: prepared.input_uri.clone(),
			});
		}
	}
	Ok(submitted)
}

/// Submits `call`; its events once a best block includes it
/// (`best_block`) or once it is final.
async fn send<Call: hypha_client::subxt::transactions::Payload>(
	client: &Client,
	call: &Call,
	signer: &Keypair,
	best_block: bool,
) -> Result<hypha_client::TxEvents> {
	let included = chain::submit_in_block(client, call, signer).await?;
	Ok(if best_block { included.events } else { included.finalized().await? })
}

/// Uploads the blobs of a packed job and builds its on-chain spec.
async fn prepare(
	packaged: hypha_compute::package::PackagedJob,
	signer: &Keypair,
	options: &SubmitOptions,
	params: &hypha_client::JobParams,
) -> Result<Prepared> {
	let store = hypha_blobstore::BlobClient::new(options.store.clone())
		.with_context(|| format!("--store {}", options.store))?
		.with_signer(signer.clone());
	let base = options.store.trim_end_matches('/');
	let access = if options.private {
		hypha_blobstore::Access::private(Vec::new())
	} else {
		hypha_blobstore::Access::public()
	};
	let upload = |what: &'static str, bytes: Vec<u8>| {
		let (store, access) = (store.clone(), access.clone());
		async move {
			store.put(bytes, &access).await.with_context(|| {
				format!("uploading the {what} to the blob store at {base}. Is it running (`hypha store serve`)?")
			})
		}
	};
	// The URIs name each blob's chunk root, so that the provider and the
	// verifiers check the blobs chunk by chunk as they arrive.
	let program_chunks = hypha_blobstore::chunks::Manifest::of(&packaged.program).root();
	let input_chunks = hypha_blobstore::chunks::Manifest::of(&packaged.input).root();
	let program = upload("program", packaged.program).await?;
	let input = upload("input", packaged.input).await?;
	let program_uri = BlobUri::format(base, &program, Some(&program_chunks));
	let input_uri = BlobUri::format(base, &input, Some(&input_chunks));
	let bounded = |uri: &str| {
		Uri::try_from(uri.as_bytes().to_vec()).map_err(|_| {
			anyhow::anyhow!(
				"the blob URI {uri} is longer than the chain's {} bytes: use a shorter --store URL",
				hypha_primitives::MAX_URI_BYTES
			)
		})
	};
	let budget = match options.budget {
		Some(budget) => budget,
		None => u128::from(packaged.compute_units)
			.checked_mul(options.max_price_per_unit)
			.and_then(|price| price.checked_add(query::max_verifier_fees(params)))
			.context("the default budget overflows: give --budget")?,
	};
	let spec = JobSpec {
		kind: packaged.kind,
		program_digest: program.0,
		program_uri: bounded(&program_uri)?,
		input_digest: input.0,
		input_uri: bounded(&input_uri)?,
		compute_units: packaged.compute_units,
		max_output_bytes: options.max_output_bytes,
		output_key: options.output_key,
		model: match packaged.kind {
			WorkloadKind::Generate | WorkloadKind::Score => options.model.or(Some(program.0)),
			WorkloadKind::Training | WorkloadKind::Inference => options.model,
		},
	};
	spec.validate().map_err(|e| anyhow::anyhow!("the job is not acceptable: {e:?}"))?;
	Ok(Prepared { spec, budget, program_uri, input_uri })
}
