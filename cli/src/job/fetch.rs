//! `hypha job fetch`: download a job's output as its client and check it
//! against the provider's commitment before writing anything.

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use hypha_agent::seal::{OutputKey, OVERHEAD};
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{api, keys, query, Client, JobStatus};
use hypha_compute::output::JobOutput;
use hypha_primitives::JobId;

/// A fetched, checked output.
#[derive(Debug, Clone)]
pub struct Fetched {
	/// blake2-256 of the output: the digest the provider committed to.
	pub digest: [u8; 32],
	/// The canonical bytes.
	pub bytes: Vec<u8>,
	/// Whether the job is settled (else the result may still be audited).
	pub settled: bool,
	/// The provider's receipt for these bytes, signed with the receipt key
	/// it registered on chain; `None` if it sent none or one that does not
	/// verify.
	pub receipt: Option<[u8; 64]>,
	/// Where `output.bin` and `output.safetensors` were written.
	pub files: Vec<PathBuf>,
}

/// Downloads `job`'s output from its provider as the job's client `signer`
/// (or, if the provider does not serve it, the copy the provider left in
/// the client's store), opens it with `output_key` if the job has it sealed
/// to the client, checks it against the provider's commitment on chain, and
/// writes `output.bin` (canonical) and `output.safetensors` into `out`.
pub async fn fetch(
	client: &Client,
	signer: &Keypair,
	output_key: Option<&OutputKey>,
	job: JobId,
	out: &Path,
) -> Result<Fetched> {
	fetch_at(client, signer, output_key, job, Some(out), None).await
}

/// [`fetch`], reading the job as of block `at` (a best block that holds
/// the commitment, before it is final; the finalized block if `None`), and
/// writing the files only if `out` is given.
pub async fn fetch_at(
	client: &Client,
	signer: &Keypair,
	output_key: Option<&OutputKey>,
	job: JobId,
	out: Option<&Path>,
	at: Option<hypha_client::subxt::config::substrate::H256>,
) -> Result<Fetched> {
	let record = match at {
		Some(block) => query::job_at(client, block, job).await?,
		None => query::job(client, job).await?,
	}
	.with_context(|| format!("there is no job {job} on this chain"))?;
	let me = keys::account_of(signer);
	ensure!(
		record.client == me,
		"only the job's client may read its output: --seed is {me}, the client is {}",
		record.client
	);
	// Who may have left a copy in the client's store: the provider, and the
	// verifiers that re-executed the job (each leaves one before it backs
	// the provider; a settled job names those whose verdicts paid it).
	let (provider, commitment, uri, settled, depositors) = match &*record.status {
		JobStatus::Committed { provider, commitment, output_uri, .. } => {
			(provider, commitment, output_uri, false, vec![provider.0])
		},
		JobStatus::Audit { provider, commitment, output_uri, verifiers, .. }
		| JobStatus::Dispute { provider, commitment, output_uri, verifiers, .. } => {
			let seats = verifiers.iter().map(|slot| slot.verifier.0);
			(
				provider,
				commitment,
				output_uri,
				false,
				std::iter::once(provider.0).chain(seats).collect(),
			)
		},
		JobStatus::Settled { provider, commitment, output_uri, auditors, .. } => {
			let auditors = auditors.iter().map(|auditor| auditor.0);
			(
				provider,
				commitment,
				output_uri,
				true,
				std::iter::once(provider.0).chain(auditors).collect(),
			)
		},
		JobStatus::Slashed { .. } => {
			bail!("job {job}'s result was proven wrong and slashed: there is no output to fetch")
		},
		JobStatus::Refunded { .. } => bail!("job {job} was refunded without a result"),
		other => bail!(
			"job {job} has no result yet (it is {}); `hypha job watch {job}` follows it",
			other.name()
		),
	};
	let uri = String::from_utf8(uri.to_vec()).context("the output URI on chain is not UTF-8")?;
	let sealed_to = record.spec.output_key;
	let key = match (sealed_to, output_key) {
		(None, _) => None,
		(Some(_), None) => bail!("job {job}'s output is sealed to its client's key: give --seed"),
		(Some(named), Some(key)) => {
			ensure!(
				key.public() == named,
				"job {job}'s output is sealed to the key 0x{}, and this --seed derives 0x{} (the same account written as another secret URI derives another key)",
				hex::encode(named),
				hex::encode(key.public())
			);
			Some(key)
		},
	};
	// Opens a sealed output (the plaintext as is otherwise) and checks it
	// against the provider's commitment.
	let check = |bytes: &[u8]| -> Result<(Vec<u8>, [u8; 32])> {
		let plain = match key {
			Some(key) => key.open(job, bytes)?,
			None => bytes.to_vec(),
		};
		let digest = hypha_primitives::blake2_256(&plain);
		ensure!(
			hypha_client::commitment(job, provider, &digest) == *commitment,
			"the output (digest 0x{}) does not match the provider's commitment on chain: do not use it",
			hex::encode(digest)
		);
		Ok((plain, digest))
	};
	let max_bytes =
		u64::from(record.spec.max_output_bytes) + if key.is_some() { OVERHEAD as u64 } else { 0 };
	let (bytes, digest, served_receipt) = match hypha_agent::output::fetch_output(
		&uri, job, signer, max_bytes,
	)
	.await
	{
		Ok(served) => {
			let (bytes, digest) =
				check(&served.bytes).with_context(|| format!("the output served at {uri}"))?;
			(bytes, digest, served.receipt)
		},
		Err(from_provider) => {
			// The provider may be gone or withholding: a copy that it or an
			// auditor left in the client's store (where the program came
			// from) will do; each is checked against the commitment.
			let Some(store) = hypha_agent::output::client_store(&record.spec) else {
				return Err(from_provider.into());
			};
			let accept = |bytes: &[u8]| check(bytes).ok();
			let mut asked = Vec::new();
			let mut found = None;
			for depositor in &depositors {
				match hypha_agent::output::fetch_deposited(
					&store, signer, job, *depositor, max_bytes, &accept,
				)
				.await
				{
					Ok(Some(kept)) => {
						found = Some(kept);
						break;
					},
					Ok(None) => asked.push(format!("0x{}: no copy", hex::encode(depositor))),
					Err(error) => asked.push(format!("0x{}: {error}", hex::encode(depositor))),
				}
			}
			match found {
				Some((bytes, digest)) => {
					tracing::info!(job, %store, "the provider did not serve the output ({from_provider}); read a copy left in the store");
					(bytes, digest, None)
				},
				None if matches!(&*record.status, JobStatus::Committed { .. }) => bail!(
					"{from_provider}; and the store at {store} holds no copy of this job's output ({}). The result is not paid yet: `hypha job report-undelivered {job}` has it audited, and the auditor leaves its own copy there before the provider is paid",
					asked.join("; ")
				),
				None => bail!(
					"{from_provider}; and the store at {store} holds no copy of this job's output ({})",
					asked.join("; ")
				),
			}
		},
	};
	// The receipt proves which bytes this provider handed over; check it
	// against the receipt key the provider registered.
	let offer = client
		.at_current_block()
		.await?
		.storage()
		.try_fetch(api::storage().stake().providers(), (*provider,))
		.await?
		.map(|info| info.decode())
		.transpose()?;
	let receipt = match (served_receipt, offer) {
		(Some(receipt), Some(info))
			if hypha_agent::output::verify_receipt(
				&info.capabilities.receipt_key,
				job,
				&digest,
				&receipt,
			) =>
		{
			Some(receipt)
		},
		_ => None,
	};
	let output = JobOutput::from_canonical_bytes(&bytes)
		.context("the output is not a canonical job output")?;
	let Some(out) = out else {
		return Ok(Fetched { digest, bytes, settled, receipt, files: Vec::new() });
	};
	std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
	let bin = out.join("output.bin");
	let safetensors = out.join("output.safetensors");
	std::fs::write(&bin, &bytes).with_context(|| format!("writing {}", bin.display()))?;
	std::fs::write(&safetensors, output.to_safetensors()?)
		.with_context(|| format!("writing {}", safetensors.display()))?;
	Ok(Fetched { digest, bytes, settled, receipt, files: vec![bin, safetensors] })
}

/// `hypha job report-undelivered`: as the job's client `signer`, reports
/// that the provider did not hand the output over, so that the result is
/// audited (and an auditor's copy left in the client's store) before it is
/// paid. Returns the block of the audit draw.
pub async fn report_undelivered(client: &Client, signer: &Keypair, job: JobId) -> Result<u32> {
	let events =
		hypha_client::chain::submit(client, &api::tx().jobs().report_undelivered(job), signer)
			.await
			.with_context(|| format!("reporting job {job}'s output as undelivered"))?;
	let reported = events
		.find_first::<api::jobs::events::DeliveryReported>()
		.context("the chain took the report but emitted no DeliveryReported")??;
	Ok(reported.draw_at)
}
