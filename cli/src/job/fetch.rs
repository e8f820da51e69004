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
	let record = query::job(client, job)
		.await?
		.with_context(|| format!("there is no job {job} on this chain"))?;
	let me = keys::account_of(signer);
	ensure!(
		record.client == me,
		"only the job's client may read its output: --seed is {me}, the client is {}",
		record.client
	);
	let (provider, commitment, uri, settled) = match &*record.status {
		JobStatus::Committed { provider, commitment, output_uri, .. }
		| JobStatus::Audit { provider, commitment, output_uri, .. }
		| JobStatus::Dispute { provider, commitment, output_uri, .. } => {
			(provider, commitment, output_uri, false)
		},
		JobStatus::Settled { provider, commitment, output_uri, .. } => {
			(provider, commitment, output_uri, true)
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
			// The provider may be gone: the copy it left in the client's
			// store (where the program came from), if any, will do.
			let program_uri = String::from_utf8_lossy(&record.spec.program_uri).to_string();
			let Ok((store, _)) = hypha_agent::fetch::split_blob_uri(&program_uri) else {
				return Err(from_provider.into());
			};
			let accept = |bytes: &[u8]| check(bytes).ok();
			match hypha_agent::output::fetch_deposited(&store, signer, job, provider.0, max_bytes, accept).await {
					Ok(Some((bytes, digest))) => {
						tracing::info!(job, %store, "the provider did not serve the output ({from_provider}); read the copy it left in the store");
						(bytes, digest, None)
					},
					Ok(None) => bail!("{from_provider}; and the store at {store} holds no copy of this job's output"),
					Err(error) => bail!("{from_provider}; and the store at {store} could not be asked for a copy: {error}"),
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
	std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
	let bin = out.join("output.bin");
	let safetensors = out.join("output.safetensors");
	std::fs::write(&bin, &bytes).with_context(|| format!("writing {}", bin.display()))?;
	std::fs::write(&safetensors, output.to_safetensors()?)
		.with_context(|| format!("writing {}", safetensors.display()))?;
	Ok(Fetched { digest, bytes, settled, receipt, files: vec![bin, safetensors] })
}
