//! The marketplace commands: `hypha job submit | status | watch | fetch`,
//! `hypha stake ...`, `hypha account balance` and `hypha store serve`.
//!
//! A job's two blobs (the program and the input, see
//! `hypha_worker::workload`) are uploaded to a blob store (`hypha store
//! serve` runs one), named in the [`JobSpec`] by digest and URI, and the job
//! is paid for with `Jobs::submit_job`. The chain only ever sees digests and
//! a commitment to the output's digest; [`fetch`] downloads the output from
//! the worker with a request signed by the client's key and checks it
//! against that commitment before writing anything.
//!
//! Every chain error comes back through [`chain::ChainError`], which names
//! the pallet error and its documentation (`Jobs::JobNotOpen (The job is not
//! open.)`).

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use hypha_client::api::{
	self,
	runtime_types::{
		bounded_collections::bounded_vec::BoundedVec,
		hypha_primitives::{JobSpec, WorkloadKind},
		pallet_stake::interface::Role,
	},
};
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{AccountId, Client, HyphaConfig};
use hypha_compute::output::JobOutput;
use hypha_primitives::{JobId, MAX_OUTPUT_BYTES};
use hypha_worker::chain::{self, format_hypha, ChainStatus};
use hypha_worker::workload;

/// How a job is put on the market.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
	/// The blob store the program and input are uploaded to.
	pub store: String,
	/// The budget; `None`: `compute_units * max_price_per_unit` plus the
	/// most the verifiers can be paid.
	pub budget: Option<u128>,
	/// The highest price per compute unit the client accepts (sets the
	/// default budget).
	pub max_price_per_unit: u128,
	/// Blocks a provider has from its claim to commit a result.
	pub result_window: u32,
	/// The largest output the client accepts, in bytes.
	pub max_output_bytes: u32,
}

/// A job on chain.
#[derive(Debug, Clone)]
pub struct Submitted {
	/// Its id.
	pub job: JobId,
	/// `inference` or `training`.
	pub kind: &'static str,
	/// Declared work.
	pub compute_units: u64,
	/// Held from the client until the job ends.
	pub budget: u128,
	/// The program's URI.
	pub program_uri: String,
	/// The input's URI.
	pub input_uri: String,
}

/// Uploads the blobs of the job described by `spec_path` (the TOML of `hypha
/// job run-local`) and submits it, paid by `signer`.
pub async fn submit(
	client: &Client,
	signer: &Keypair,
	spec_path: &Path,
	options: &SubmitOptions,
) -> Result<Submitted> {
	let packaged = workload::program_and_input(spec_path)?;
	let store = hypha_blobstore::BlobClient::new(options.store.clone());
	let base = options.store.trim_end_matches('/');
	let upload = |what: &'static str, bytes: Vec<u8>| {
		let store = store.clone();
		async move {
			store.put(bytes, &[]).await.with_context(|| {
				format!("uploading the {what} to the blob store at {base}. Is it running (`hypha store serve`)?")
			})
		}
	};
	let program = upload("program", packaged.program).await?;
	let input = upload("input", packaged.input).await?;
	let program_uri = format!("{base}/blobs/{}", program.to_hex());
	let input_uri = format!("{base}/blobs/{}", input.to_hex());
	for uri in [&program_uri, &input_uri] {
		ensure!(
			uri.len() <= hypha_primitives::MAX_URI_BYTES as usize,
			"the blob URI {uri} is longer than the chain's {} bytes: use a shorter --store URL",
			hypha_primitives::MAX_URI_BYTES
		);
	}
	let params = chain::params(client).await?;
	let budget = match options.budget {
		Some(budget) => budget,
		None => u128::from(packaged.compute_units)
			.checked_mul(options.max_price_per_unit)
			.and_then(|price| price.checked_add(chain::max_verifier_fees(&params)))
			.context("the default budget overflows: give --budget")?,
	};
	ensure!(
		options.result_window >= params.min_result_window
			&& options.result_window <= params.max_result_window,
		"--result-window {} is outside the chain's bounds {}..={} blocks",
		options.result_window,
		params.min_result_window,
		params.max_result_window
	);
	let kind = match packaged.kind {
		hypha_primitives::WorkloadKind::Inference => WorkloadKind::Inference,
		hypha_primitives::WorkloadKind::Training => WorkloadKind::Training,
	};
	let spec = JobSpec {
		kind,
		program_digest: program.0,
		program_uri: BoundedVec(program_uri.clone().into_bytes()),
		input_digest: input.0,
		input_uri: BoundedVec(input_uri.clone().into_bytes()),
		compute_units: packaged.compute_units,
		max_output_bytes: options.max_output_bytes,
	};
	let events = chain::submit(
		client,
		&api::tx().jobs().submit_job(spec, budget, options.result_window),
		signer,
	)
	.await?;
	let submitted = events
		.find_first::<api::jobs::events::JobSubmitted>()
		.context("the chain accepted the job but emitted no JobSubmitted event")??;
	Ok(Submitted {
		job: submitted.job,
		kind: workload::kind_name(packaged.kind),
		compute_units: packaged.compute_units,
		budget,
		program_uri,
		input_uri,
	})
}

/// A job's final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
	/// The provider was paid.
	Settled,
	/// The provider's result was proven wrong.
	Slashed,
	/// The client got its budget back without a result.
	Refunded,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
	/// Which final state.
	pub ending: Ending,
	/// The block it ended in.
	pub at: u32,
	/// The provider paid or slashed.
	pub provider: Option<AccountId>,
	/// Paid to the provider.
	pub paid: u128,
	/// Paid to verifiers out of the budget.
	pub verifier_fees: u128,
	/// Returned to the client from the budget.
	pub refunded: u128,
	/// Taken from the provider's collateral (to the client and the verifiers).
	pub slashed: u128,
	/// Verdicts given in the final block (auditor or panel), if any.
	pub verdicts: Vec<(AccountId, bool)>,
}

impl Outcome {
	/// One line for people.
	pub fn describe(&self, job: JobId) -> String {
		let provider = self.provider.as_ref().map(|p| p.to_string()).unwrap_or_default();
		match self.ending {
			Ending::Settled => format!(
				"job {job} settled at block #{}: provider {provider} paid {}, verifier fees {}, {} returned to the client",
				self.at,
				format_hypha(self.paid),
				format_hypha(self.verifier_fees),
				format_hypha(self.refunded)
			),
			Ending::Slashed => format!(
				"job {job} slashed at block #{}: provider {provider}'s result was proven wrong; {} of its collateral slashed, the whole budget ({}) returned to the client",
				self.at,
				format_hypha(self.slashed),
				format_hypha(self.refunded)
			),
			Ending::Refunded => format!(
				"job {job} refunded at block #{}: {} returned to the client",
				self.at,
				format_hypha(self.refunded)
			),
		}
	}
}

/// What a job's events in one block say, one line each, and its outcome if
/// one of them ended it.
pub fn job_events(
	events: &hypha_client::subxt::events::Events<HyphaConfig>,
	job: JobId,
) -> Result<(Vec<String>, Option<Outcome>)> {
	use api::jobs::events as e;
	let mut lines = Vec::new();
	let mut outcome: Option<Outcome> = None;
	let mut verdicts = Vec::new();
	for event in events.iter() {
		let event = event?;
		if event.pallet_name() != "Jobs" {
			continue;
		}
		let line = if let Some(ev) = event.decode_fields_as::<e::JobSubmitted>().transpose()? {
			(ev.job == job).then(|| {
				format!("submitted by {} with a budget of {}", ev.client, format_hypha(ev.budget))
			})
		} else if let Some(ev) = event.decode_fields_as::<e::JobClaimed>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"claimed by {} at a price of {} ({} collateral locked); result due by block #{}",
					ev.provider,
					format_hypha(ev.price),
					format_hypha(ev.collateral),
					ev.deadline
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::ResultCommitted>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"result committed by {}; output at {}",
					ev.provider,
					String::from_utf8_lossy(&ev.output_uri.0)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::SamplingDrawn>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"sampling drawn (audit probability {:.1} %): {}",
					f64::from(ev.probability_ppm) / 10_000.0,
					if ev.audited {
						"audited"
					} else {
						"not audited, settles after the challenge window"
					}
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::AuditAssigned>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"audit assigned to verifier {}; verdict due by block #{}",
					ev.verifier, ev.deadline
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::VerdictSubmitted>().transpose()? {
			(ev.job == job).then(|| {
				verdicts.push((ev.verifier, ev.agrees));
				format!(
					"verdict from {}: {}",
					ev.verifier,
					if ev.agrees {
						"agrees with the provider"
					} else {
						"DISAGREES with the provider"
					}
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::DisputeOpened>().transpose()? {
			(ev.job == job).then(|| {
				let panel: Vec<String> = ev.panel.iter().map(|p| p.to_string()).collect();
				format!(
					"dispute opened: panel [{}] re-executes by block #{}",
					panel.join(", "),
					ev.deadline
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::VerifierAbsent>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"verifier {} did not answer in time: {} slashed",
					ev.verifier,
					format_hypha(ev.slashed)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::VerifierSlashed>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"verifier {} lost the dispute: {} slashed",
					ev.verifier,
					format_hypha(ev.slashed)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::DeadlineMissed>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"provider {} missed its deadline: {} of its collateral went to the client",
					ev.provider,
					format_hypha(ev.slashed)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::JobReopened>().transpose()? {
			(ev.job == job)
				.then(|| format!("open again for providers until block #{}", ev.expires_at))
		} else if let Some(ev) = event.decode_fields_as::<e::JobSettled>().transpose()? {
			(ev.job == job).then(|| {
				outcome = Some(Outcome {
					ending: Ending::Settled,
					at: 0,
					provider: Some(ev.provider),
					paid: ev.paid,
					verifier_fees: ev.verifier_fees,
					refunded: ev.refunded,
					slashed: 0,
					verdicts: Vec::new(),
				});
				format!("settled: provider {} paid {}", ev.provider, format_hypha(ev.paid))
			})
		} else if let Some(ev) = event.decode_fields_as::<e::ProviderSlashed>().transpose()? {
			(ev.job == job).then(|| {
				outcome = Some(Outcome {
					ending: Ending::Slashed,
					at: 0,
					provider: Some(ev.provider),
					paid: 0,
					verifier_fees: 0,
					refunded: ev.refunded,
					slashed: ev.slashed,
					verdicts: Vec::new(),
				});
				format!(
					"provider {} slashed {}: its result was wrong",
					ev.provider,
					format_hypha(ev.slashed)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::JobRefunded>().transpose()? {
			(ev.job == job).then(|| {
				outcome = Some(Outcome {
					ending: Ending::Refunded,
					at: 0,
					provider: None,
					paid: 0,
					verifier_fees: 0,
					refunded: ev.refunded,
					slashed: 0,
					verdicts: Vec::new(),
				});
				format!("refunded: {} returned to the client", format_hypha(ev.refunded))
			})
		} else {
			None
		};
		lines.extend(line);
	}
	if let Some(outcome) = &mut outcome {
		outcome.verdicts = verdicts;
	}
	Ok((lines, outcome))
}

/// How a final job ended, read from the events of the block it ended in.
/// `None` if that block's state is no longer available (a pruned node).
pub async fn outcome_at(client: &Client, job: JobId, at: u32) -> Result<Option<Outcome>> {
	let Ok(block) = client.at_block(u64::from(at)).await else { return Ok(None) };
	let Ok(events) = block.events().fetch().await else { return Ok(None) };
	let (_, outcome) = job_events(&events, job)?;
	Ok(outcome.map(|outcome| Outcome { at, ..outcome }))
}

/// A job's record, as lines for people.
pub async fn status(client: &Client, job: JobId) -> Result<Vec<String>> {
	let record = chain::fetch_job(client, job)
		.await?
		.with_context(|| format!("there is no job {job} on this chain"))?;
	let kind = match record.spec.kind {
		WorkloadKind::Inference => "inference",
		WorkloadKind::Training => "training",
	};
	let mut lines = vec![
		format!(
			"job {job}: {kind}, {} compute units, submitted at block #{}",
			record.spec.compute_units, record.submitted_at
		),
		format!("client: {}", record.client),
		format!("budget: {}", format_hypha(record.budget)),
		format!(
			"program: 0x{} at {}",
			hex::encode(record.spec.program_digest),
			String::from_utf8_lossy(&record.spec.program_uri.0)
		),
		format!(
			"input: 0x{} at {}",
			hex::encode(record.spec.input_digest),
			String::from_utf8_lossy(&record.spec.input_uri.0)
		),
	];
	if record.missed_deadlines > 0 {
		lines.push(format!("missed deadlines: {}", record.missed_deadlines));
	}
	let state = match &record.status {
		ChainStatus::Open { expires_at } => {
			format!("open: waiting for a provider until block #{expires_at}")
		},
		ChainStatus::Assigned { provider, price, deadline, .. } => {
			format!(
				"assigned to {provider} at {}; result due by block #{deadline}",
				format_hypha(*price)
			)
		},
		ChainStatus::Committed { provider, committed_at, audit_probability_ppm, .. } => format!(
			"committed by {provider} at block #{committed_at}; audit probability {:.1} %",
			f64::from(*audit_probability_ppm) / 10_000.0
		),
		ChainStatus::Audit { verifiers, deadline, .. } => format!(
			"in audit by {}; verdict due by block #{deadline}",
			verifiers.0.last().map(|slot| slot.verifier.to_string()).unwrap_or_default()
		),
		ChainStatus::Dispute { verifiers, deadline, .. } => {
			let answered = verifiers.0.iter().filter(|slot| slot.digest.is_some()).count();
			format!(
				"in dispute: {answered} of {} verdicts in; decided by block #{deadline}",
				verifiers.0.len()
			)
		},
		ChainStatus::Settled { at, .. }
		| ChainStatus::Slashed { at, .. }
		| ChainStatus::Refunded { at } => match outcome_at(client, job, *at).await? {
			Some(outcome) => {
				let audit = match outcome.verdicts.as_slice() {
					[] if outcome.ending == Ending::Settled => {
						"; not audited (or the audit settled earlier)".to_string()
					},
					[] => String::new(),
					verdicts => {
						let agreed = verdicts.iter().filter(|(_, agrees)| *agrees).count();
						format!(
							"; audited: {agreed} of {} verdicts agreed with the provider",
							verdicts.len()
						)
					},
				};
				format!("{}{audit}", outcome.describe(job))
			},
			None => format!("{} at block #{at}", chain::status_name(&record.status)),
		},
	};
	lines.push(format!("status: {state}"));
	Ok(lines)
}

/// Follows finalized blocks from `from` (inclusive) and calls `progress` with
/// a line for each event of `job`, until the job ends; returns how it ended.
/// A job that already ended is reported at once.
pub async fn watch(
	client: &Client,
	job: JobId,
	mut progress: impl FnMut(u32, &str),
) -> Result<Outcome> {
	let mut blocks = client.stream_blocks().await.context("following finalized blocks")?;
	let record = chain::fetch_job(client, job)
		.await?
		.with_context(|| format!("there is no job {job} on this chain"))?;
	if let ChainStatus::Settled { at, .. }
	| ChainStatus::Slashed { at, .. }
	| ChainStatus::Refunded { at } = record.status
	{
		return outcome_at(client, job, at).await?.with_context(|| {
			format!("job {job} ended at block #{at}, whose events this node no longer keeps")
		});
	}
	progress(0, &format!("job {job} is {}", chain::status_name(&record.status)));
	while let Some(block) = blocks.next().await {
		let block = block.context("reading a finalized block")?;
		let number = u32::try_from(block.number()).context("block number out of range")?;
		let events =
			block.at().await?.events().fetch().await.context("reading a block's events")?;
		let (lines, outcome) = job_events(&events, job)?;
		for line in &lines {
			progress(number, line);
		}
		if let Some(outcome) = outcome {
			return Ok(Outcome { at: number, ..outcome });
		}
	}
	bail!("the node closed the block subscription before job {job} ended")
}

/// A fetched, checked output.
#[derive(Debug, Clone)]
pub struct Fetched {
	/// blake2-256 of the output: the digest the provider committed to.
	pub digest: [u8; 32],
	/// The canonical bytes.
	pub bytes: Vec<u8>,
	/// Whether the job is settled (else the result may still be audited).
	pub settled: bool,
	/// Where `output.bin` and `output.safetensors` were written.
	pub files: Vec<PathBuf>,
}

/// Downloads `job`'s output from its provider as the job's client `signer`,
/// checks it against the provider's commitment on chain, and writes
/// `output.bin` (canonical) and `output.safetensors` into `out`.
pub async fn fetch(client: &Client, signer: &Keypair, job: JobId, out: &Path) -> Result<Fetched> {
	let record = chain::fetch_job(client, job)
		.await?
		.with_context(|| format!("there is no job {job} on this chain"))?;
	let me = chain::account_of(signer);
	ensure!(
		record.client == me,
		"only the job's client may read its output: --seed is {me}, the client is {}",
		record.client
	);
	let (provider, commitment, uri, settled) = match &record.status {
		ChainStatus::Committed { provider, commitment, output_uri, .. }
		| ChainStatus::Audit { provider, commitment, output_uri, .. }
		| ChainStatus::Dispute { provider, commitment, output_uri, .. } => {
			(provider, commitment, output_uri, false)
		},
		ChainStatus::Settled { provider, commitment, output_uri, .. } => {
			(provider, commitment, output_uri, true)
		},
		ChainStatus::Slashed { .. } => {
			bail!("job {job}'s result was proven wrong and slashed: there is no output to fetch")
		},
		ChainStatus::Refunded { .. } => bail!("job {job} was refunded without a result"),
		other => bail!(
			"job {job} has no result yet (it is {}); `hypha job watch {job}` follows it",
			chain::status_name(other)
		),
	};
	let uri = String::from_utf8(uri.0.clone()).context("the output URI on chain is not UTF-8")?;
	let bytes = hypha_worker::serve::fetch_output(
		&uri,
		job,
		signer,
		u64::from(record.spec.max_output_bytes),
	)
	.await?;
	let digest = hypha_primitives::blake2_256(&bytes);
	ensure!(
		chain::commitment(job, provider, &digest) == *commitment,
		"the output served at {uri} (digest 0x{}) does not match the provider's commitment on chain: do not use it",
		hex::encode(digest)
	);
	let output = JobOutput::from_canonical_bytes(&bytes)
		.context("the output is not a canonical job output")?;
	std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
	let bin = out.join("output.bin");
	let safetensors = out.join("output.safetensors");
	std::fs::write(&bin, &bytes).with_context(|| format!("writing {}", bin.display()))?;
	std::fs::write(&safetensors, output.to_safetensors()?)
		.with_context(|| format!("writing {}", safetensors.display()))?;
	Ok(Fetched { digest, bytes, settled, files: vec![bin, safetensors] })
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
				String::from_utf8_lossy(&caps.endpoint.0)
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

/// Runs a blob store on `listen` until `shutdown` completes; `ready` gets the
/// bound address.
pub async fn serve_store(
	listen: std::net::SocketAddr,
	max_blob_bytes: u64,
	ready: impl FnOnce(std::net::SocketAddr),
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
	let listener = tokio::net::TcpListener::bind(listen)
		.await
		.with_context(|| format!("listening on {listen}"))?;
	ready(listener.local_addr()?);
	hypha_blobstore::serve(
		listener,
		hypha_blobstore::BlobStore::new(max_blob_bytes),
		hypha_blobstore::ServerConfig::default(),
		shutdown,
	)
	.await
	.context("serving blobs")
}

/// The default bound on a job's output: 16 MiB (the chain allows up to 64 MiB).
pub const DEFAULT_MAX_OUTPUT_BYTES: u32 = 16 << 20;
const _: () = assert!(DEFAULT_MAX_OUTPUT_BYTES <= MAX_OUTPUT_BYTES);
