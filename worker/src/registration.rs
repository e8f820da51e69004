//! Becoming a provider: the offer registered on chain, made only of what is
//! true of this machine, and the key that signs the worker's receipts.

use anyhow::{Context, Result};
use hypha_client::amount::format_hypha;
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{api, chain, keys, Client, ProviderCapabilities, Static};
use hypha_compute::Backend;
use hypha_primitives::{JobKinds, Uri, WorkloadKind};

use crate::WorkerConfig;

/// The offer: the backend the jobs really run on, the memory this machine
/// has (or less, as configured), the kinds, the price, the endpoint and the
/// receipt key that signs every output the worker serves
/// ([`hypha_agent::output::sign_receipt`]; the client checks it).
pub fn capabilities(
	config: &WorkerConfig,
	backend: &Backend,
	memory_mib: u32,
	public_url: &str,
	receipt_key: &ed25519_dalek::SigningKey,
) -> Result<ProviderCapabilities> {
	let endpoint = Uri::try_from(public_url.as_bytes().to_vec()).map_err(|_| {
		anyhow::anyhow!(
			"the public URL {public_url} is longer than the chain's {} bytes",
			hypha_primitives::MAX_URI_BYTES
		)
	})?;
	Ok(ProviderCapabilities {
		backend: backend.registered(),
		memory_mib,
		job_kinds: JobKinds::from_kinds(&config.job_kinds),
		price_per_unit: config.price_per_unit,
		endpoint,
		receipt_key: receipt_key.verifying_key().to_bytes(),
	})
}

/// The memory offered to jobs: the configured amount, which may not exceed
/// the machine's, or all of the machine's.
pub fn memory_mib(configured: Option<u32>) -> Result<u32> {
	let machine = machine_memory_mib();
	match (configured, machine) {
		(Some(asked), Some(machine)) if asked > machine => anyhow::bail!(
			"memory_mib = {asked} is more than this machine has ({machine} MiB): offer at most that"
		),
		(Some(asked), _) => Ok(asked),
		(None, Some(machine)) => Ok(machine),
		(None, None) => {
			anyhow::bail!("cannot read this machine's memory (/proc/meminfo): set --memory-mib")
		},
	}
}

/// Total memory of this machine in MiB, from `/proc/meminfo`.
fn machine_memory_mib() -> Option<u32> {
	let text = std::fs::read_to_string("/proc/meminfo").ok()?;
	let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
	let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
	u32::try_from(kib / 1024).ok()
}

/// Whether a job with these blob sizes and output bound fits in `memory_mib`:
/// the blobs are held twice (bytes and decoded tensors) and the output once.
pub fn fits_in_memory(program: u64, input: u64, max_output: u64, memory_mib: u32) -> bool {
	let need = program.saturating_add(input).saturating_mul(2).saturating_add(max_output);
	need <= u64::from(memory_mib).saturating_mul(1 << 20)
}

/// Registers the provider, or updates its offer if it changed.
pub async fn ensure_registered(
	client: &Client,
	signer: &Keypair,
	capabilities: ProviderCapabilities,
	bond: u128,
) -> Result<()> {
	let account = keys::account_of(signer);
	let at = client.at_current_block().await?;
	let existing = at
		.storage()
		.entry(api::storage().stake().providers())?
		.try_fetch((account,))
		.await?
		.map(|v| v.decode())
		.transpose()?;
	let kinds: Vec<&str> = WorkloadKind::ALL
		.into_iter()
		.filter(|kind| capabilities.job_kinds.contains(*kind))
		.map(WorkloadKind::name)
		.collect();
	tracing::info!(backend = ?capabilities.backend, memory_mib = capabilities.memory_mib, kinds = ?kinds, "offer");
	match existing {
		None => {
			tracing::info!(bond = %format_hypha(bond), "registering as a provider");
			chain::submit(
				client,
				&api::tx().stake().register_provider(Static(capabilities), bond),
				signer,
			)
			.await
			.context("registering as a provider")?;
		},
		Some(info) if *info.capabilities != capabilities => {
			tracing::info!("updating the provider offer");
			chain::submit(client, &api::tx().stake().update_provider(Static(capabilities)), signer)
				.await
				.context("updating the provider offer")?;
		},
		Some(info) => {
			tracing::info!(bonded = %format_hypha(info.bonded), "already registered as a provider")
		},
	}
	Ok(())
}

/// The ed25519 key that signs the provider's receipts: created once, kept in
/// the state directory.
pub fn receipt_key(dir: &std::path::Path) -> Result<ed25519_dalek::SigningKey> {
	let path = dir.join("receipt.key");
	match std::fs::read(&path) {
		Ok(bytes) => {
			let seed: [u8; 32] = bytes
				.as_slice()
				.try_into()
				.with_context(|| format!("{} must hold 32 bytes", path.display()))?;
			Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
		},
		Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
			let mut seed = [0u8; 32];
			getrandom::getrandom(&mut seed).context("drawing a receipt key")?;
			std::fs::write(&path, seed).with_context(|| format!("writing {}", path.display()))?;
			Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
		},
		Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_offer_is_true_of_the_machine() {
		let config = WorkerConfig::default();
		let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
		let offer =
			capabilities(&config, &Backend::Cpu, 512, "http://127.0.0.1:7100", &key).unwrap();
		assert_eq!(offer.backend, hypha_primitives::Backend::Cpu);
		assert_eq!(offer.receipt_key, key.verifying_key().to_bytes());
		assert!(offer.job_kinds.contains(WorkloadKind::Training));
		let long = format!("http://{}", "a".repeat(300));
		assert!(capabilities(&config, &Backend::Cpu, 512, &long, &key).is_err());
	}

	#[test]
	fn memory_offers_never_exceed_the_machine() {
		let machine = machine_memory_mib().expect("/proc/meminfo on Linux");
		assert_eq!(memory_mib(None).unwrap(), machine);
		assert_eq!(memory_mib(Some(1)).unwrap(), 1);
		assert!(memory_mib(Some(machine + 1)).is_err());
		// 1 MiB program + 1 MiB input, held twice, + 1 MiB output = 5 MiB.
		assert!(fits_in_memory(1 << 20, 1 << 20, 1 << 20, 5));
		assert!(!fits_in_memory(1 << 20, 1 << 20, 1 << 20, 4));
	}
}
