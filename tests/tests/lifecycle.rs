//! The marketplace pallets on a real node, driven through subxt the way any
//! client would: an honest job is audited and settled, and a provider that
//! commits a wrong digest is caught by the audit, outvoted in the dispute and
//! slashed, with the client made whole. Every balance is checked to the unit
//! against what `pallets/jobs/src/lifecycle.rs` says the transition moves,
//! transaction fees included (they are burned, so total issuance falls by
//! exactly the fees).
//!
//! No worker or verifier daemon runs here: the accounts act by hand, with
//! made-up output digests. The daemons are tested in `market.rs`.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hypha_client::{
	api,
	subxt::tx::Payload,
	subxt_signer::sr25519::{dev, Keypair},
	AccountId, Backend, Client, JobKinds, JobSpec, JobStatus, ProviderCapabilities, Static, Uri,
	WorkloadKind,
};
use hypha_e2e::NodeProcess;
use hypha_primitives::{digest_commitment, Digest, HYPHA};

const STARTUP: Duration = Duration::from_secs(120);
/// Liveness bound for a job to reach a state (the windows are a few blocks).
const PATIENCE: Duration = Duration::from_secs(90);

const PRICE_PER_UNIT: u128 = HYPHA / 100;
const COMPUTE_UNITS: u64 = 100;
const PRICE: u128 = PRICE_PER_UNIT * COMPUTE_UNITS as u128;
const BUDGET: u128 = 2 * HYPHA;
const PROVIDER_BOND: u128 = 1_000 * HYPHA;
const VERIFIER_BOND: u128 = 100 * HYPHA;
/// The right output of the job, and what a cheat commits to instead.
const OUTPUT: Digest = [0x0a; 32];
const WRONG: Digest = [0xee; 32];

/// Free and held balance of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Balances {
	free: u128,
	held: u128,
}

struct Market {
	node: NodeProcess,
	client: Client,
	/// Fees paid per account since the start, as reported by TransactionFeePaid.
	fees: std::collections::HashMap<[u8; 32], u128>,
}

fn id(keypair: &Keypair) -> AccountId {
	keypair.public_key().into()
}

fn uri(text: &str) -> Uri {
	Uri::truncate_from(text.as_bytes().to_vec())
}

impl Market {
	async fn start() -> Result<Self> {
		let mut node = NodeProcess::start("lifecycle", &["--dev"])?;
		let client = node.client(STARTUP).await?;
		Ok(Market { node, client, fees: Default::default() })
	}

	/// Submits `call` signed by `signer`, waits until it is finalized and
	/// succeeded, and books its fee.
	async fn send<P: Payload>(
		&mut self,
		what: &str,
		call: &P,
		signer: &Keypair,
	) -> Result<hypha_client::TxEvents> {
		let events = hypha_client::submit(&self.client, call, signer)
			.await
			.with_context(|| format!("{what} failed; {}", self.node.log_tail()))?;
		let fee = events
			.find_first::<api::transaction_payment::events::TransactionFeePaid>()
			.context("no TransactionFeePaid event")??;
		*self.fees.entry(fee.who.0).or_default() += fee.actual_fee;
		Ok(events)
	}

	fn fees_of(&self, who: &Keypair) -> u128 {
		self.fees.get(&id(who).0).copied().unwrap_or(0)
	}

	async fn balances(&self, who: &Keypair) -> Result<Balances> {
		let at = self.client.at_current_block().await?;
		let account =
			at.storage().fetch(api::storage().system().account(), (id(who),)).await?.decode()?;
		Ok(Balances { free: account.data.free, held: account.data.reserved })
	}

	async fn issuance(&self) -> Result<u128> {
		let at = self.client.at_current_block().await?;
		Ok(at.storage().fetch(api::storage().balances().total_issuance(), ()).await?.decode()?)
	}

	async fn status(&self, job: u64) -> Result<JobStatus> {
		hypha_e2e::job_status(&self.client, job).await
	}

	/// Waits until job `job` reaches a status `accept` returns `Some` for.
	async fn wait_for<R>(
		&self,
		job: u64,
		what: &str,
		accept: impl Fn(&JobStatus) -> Option<R>,
	) -> Result<R> {
		let deadline = Instant::now() + PATIENCE;
		loop {
			let status = self.status(job).await?;
			if let Some(found) = accept(&status) {
				return Ok(found);
			}
			if Instant::now() >= deadline {
				bail!("job {job} did not reach {what} within {PATIENCE:?}; it is {status:?}");
			}
			tokio::time::sleep(Duration::from_millis(300)).await;
		}
	}

	/// Audits every result (p_min = 100 %), through sudo.
	async fn force_audits(&mut self) -> Result<()> {
		let at = self.client.at_current_block().await?;
		let mut params = at.storage().fetch(api::storage().jobs().params(), ()).await?.decode()?;
		params.p_min_ppm = 1_000_000;
		let call = api::tx().sudo().sudo(api::runtime_types::hypha_runtime::RuntimeCall::Jobs(
			api::runtime_types::pallet_jobs::pallet::Call::set_params { params },
		));
		self.send("sudo set_params", &call, &dev::alice()).await?;
		Ok(())
	}

	async fn register_provider(&mut self, who: &Keypair) -> Result<()> {
		let capabilities = ProviderCapabilities {
			backend: Backend::Cpu,
			memory_mib: 4096,
			job_kinds: JobKinds(0b11),
			price_per_unit: PRICE_PER_UNIT,
			endpoint: uri("http://127.0.0.1:1/"),
			receipt_key: [7; 32],
		};
		let call = api::tx().stake().register_provider(Static(capabilities), PROVIDER_BOND);
		self.send("register_provider", &call, who).await?;
		Ok(())
	}

	async fn register_verifier(&mut self, who: &Keypair) -> Result<()> {
		let call = api::tx().stake().register_verifier(VERIFIER_BOND);
		self.send("register_verifier", &call, who).await?;
		Ok(())
	}

	async fn submit_job(&mut self, client: &Keypair) -> Result<u64> {
		let spec = JobSpec {
			kind: WorkloadKind::Inference,
			program_digest: [1; 32],
			program_uri: uri("http://127.0.0.1:1/model"),
			input_digest: [2; 32],
			input_uri: uri("http://127.0.0.1:1/input"),
			compute_units: COMPUTE_UNITS,
			max_output_bytes: 1024,
			output_key: None,
			model: None,
		};
		let events = self
			.send("submit_job", &api::tx().jobs().submit_job(Static(spec), BUDGET, 20), client)
			.await?;
		let submitted = events
			.find_first::<api::jobs::events::JobSubmitted>()
			.context("no JobSubmitted event")??;
		Ok(submitted.job)
	}

	/// Claims `job` for `provider` and commits to `output`; returns the collateral.
	async fn claim_and_commit(
		&mut self,
		job: u64,
		provider: &Keypair,
		output: &Digest,
	) -> Result<u128> {
		let events = self.send("claim_job", &api::tx().jobs().claim_job(job), provider).await?;
		let claimed = events
			.find_first::<api::jobs::events::JobClaimed>()
			.context("no JobClaimed event")??;
		ensure!(claimed.price == PRICE, "price {} != {PRICE}", claimed.price);
		let provider_id: hypha_client::subxt::utils::AccountId32 = id(provider);
		let commitment = digest_commitment(job, &provider_id.0, output);
		let call = api::tx().jobs().submit_result(
			job,
			commitment,
			hypha_client::uri_arg("http://127.0.0.1:1/output"),
		);
		self.send("submit_result", &call, provider).await?;
		Ok(claimed.collateral)
	}

	/// Reveals `digest`: an auditor's agreement, or a seat's reveal in a dispute.
	async fn verdict(&mut self, job: u64, verifier: &Keypair, digest: Digest) -> Result<()> {
		self.send("submit_verdict", &api::tx().jobs().submit_verdict(job, digest), verifier)
			.await?;
		Ok(())
	}

	/// Commits `digest` without revealing it: an auditor's disagreement, or
	/// a panel member's verdict in a dispute's commit phase.
	async fn commit_verdict(&mut self, job: u64, verifier: &Keypair, digest: Digest) -> Result<()> {
		let verifier_id: hypha_client::subxt::utils::AccountId32 = id(verifier);
		let commitment = digest_commitment(job, &verifier_id.0, &digest);
		self.send("commit_verdict", &api::tx().jobs().commit_verdict(job, commitment), verifier)
			.await?;
		Ok(())
	}
}

fn keypair_of(account: &AccountId, candidates: &[Keypair]) -> Result<Keypair> {
	candidates
		.iter()
		.find(|k| id(k) == *account)
		.cloned()
		.with_context(|| format!("{account} is not one of the registered verifiers"))
}

/// A dev chain with audits forced, Eve registered as a provider and Charlie,
/// Dave and Ferdie as verifiers; Bob is the client. Fees are booked from here on.
struct Scene {
	market: Market,
	client: Keypair,
	provider: Keypair,
	verifiers: Vec<Keypair>,
	verifier_fee: u128,
	job_deposit: u128,
	issuance: u128,
	client_before: Balances,
	provider_before: Balances,
	verifiers_before: Vec<Balances>,
}

impl Scene {
	async fn set_up() -> Result<Self> {
		let mut market = Market::start().await?;
		let (client, provider) = (dev::bob(), dev::eve());
		let verifiers = vec![dev::charlie(), dev::dave(), dev::ferdie()];
		market.force_audits().await?;
		market.register_provider(&provider).await?;
		for verifier in &verifiers {
			market.register_verifier(verifier).await?;
		}
		let at = market.client.at_current_block().await?;
		let params = at.storage().fetch(api::storage().jobs().params(), ()).await?.decode()?;
		let (verifier_fee, job_deposit) = (params.verifier_fee, params.job_deposit);
		market.fees.clear();
		let issuance = market.issuance().await?;
		let client_before = market.balances(&client).await?;
		let provider_before = market.balances(&provider).await?;
		let mut verifiers_before = Vec::new();
		for verifier in &verifiers {
			verifiers_before.push(market.balances(verifier).await?);
		}
		Ok(Scene {
			market,
			client,
			provider,
			verifiers,
			verifier_fee,
			job_deposit,
			issuance,
			client_before,
			provider_before,
			verifiers_before,
		})
	}

	/// Waits for the job's audit and returns the auditor.
	async fn auditor(&self, job: u64) -> Result<Keypair> {
		let auditor = self
			.market
			.wait_for(job, "an audit", |status| match status {
				JobStatus::Audit { verifiers, .. } => verifiers.last().map(|slot| slot.verifier),
				_ => None,
			})
			.await?;
		keypair_of(&auditor, &self.verifiers)
	}

	/// Checks that total issuance fell by exactly the fees paid since set-up.
	async fn check_only_fees_burned(&self) -> Result<()> {
		let fees: u128 = self.market.fees.values().sum();
		let issuance = self.market.issuance().await?;
		ensure!(
			issuance == self.issuance - fees,
			"issuance {} -> {issuance}, fees {fees}",
			self.issuance
		);
		Ok(())
	}

	/// Checks each verifier's balances: `earned(verifier)` more, minus its fees;
	/// its bond still held.
	async fn check_verifiers(&self, earned: impl Fn(&Keypair) -> u128) -> Result<()> {
		for (verifier, before) in self.verifiers.iter().zip(&self.verifiers_before) {
			let after = self.market.balances(verifier).await?;
			ensure!(
				after.free == before.free + earned(verifier) - self.market.fees_of(verifier),
				"verifier {}: {before:?} -> {after:?}",
				id(verifier)
			);
			ensure!(after.held == VERIFIER_BOND, "verifier {} bond: {after:?}", id(verifier));
		}
		Ok(())
	}
}

#[tokio::test]
async fn an_honest_job_is_audited_settled_and_pays_exactly_what_the_design_says() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut scene = Scene::set_up().await?;
	let (client, provider) = (scene.client.clone(), scene.provider.clone());

	let job = scene.market.submit_job(&client).await?;
	let held = scene.market.balances(&client).await?.held;
	let deposit = scene.job_deposit;
	ensure!(held == scene.client_before.held + BUDGET + deposit, "budget and deposit held: {held}");
	let collateral = scene.market.claim_and_commit(job, &provider, &OUTPUT).await?;
	ensure!(collateral == 30 * PRICE, "collateral {collateral} is not 3000 % of the price");

	let auditor = scene.auditor(job).await?;
	scene.market.verdict(job, &auditor, OUTPUT).await?;
	scene
		.market
		.wait_for(job, "Settled", |status| {
			matches!(status, JobStatus::Settled { .. }).then_some(())
		})
		.await?;

	// The client paid the price and one verifier fee; the rest came back.
	let (before, after) = (scene.client_before, scene.market.balances(&client).await?);
	ensure!(after.held == before.held, "client's budget still held: {before:?} -> {after:?}");
	ensure!(
		after.free == before.free - PRICE - scene.verifier_fee - scene.market.fees_of(&client),
		"client: {before:?} -> {after:?}"
	);
	// The provider got the price; its bond is untouched, the collateral free again.
	let (before, after) = (scene.provider_before, scene.market.balances(&provider).await?);
	ensure!(after.held == before.held, "provider's hold: {before:?} -> {after:?}");
	ensure!(
		after.free == before.free + PRICE - scene.market.fees_of(&provider),
		"provider: {before:?} -> {after:?}"
	);
	// The auditor earned its fee, the other verifiers nothing.
	let fee = scene.verifier_fee;
	scene.check_verifiers(|v| if id(v) == id(&auditor) { fee } else { 0 }).await?;
	scene.check_only_fees_burned().await
}

#[tokio::test]
async fn a_cheat_is_caught_in_audit_slashed_and_the_client_made_whole() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut scene = Scene::set_up().await?;
	let (client, provider) = (scene.client.clone(), scene.provider.clone());

	let job = scene.market.submit_job(&client).await?;
	// The provider commits to a digest it did not compute.
	let collateral = scene.market.claim_and_commit(job, &provider, &WRONG).await?;
	// The auditor re-executes, gets the right digest and disagrees: it
	// commits its verdict, the panel commits theirs, then all reveal.
	let auditor = scene.auditor(job).await?;
	scene.market.commit_verdict(job, &auditor, OUTPUT).await?;
	let panel = scene
		.market
		.wait_for(job, "a dispute", |status| match status {
			JobStatus::Dispute { verifiers, .. } => Some(
				verifiers
					.iter()
					.filter(|slot| slot.commitment.is_none())
					.map(|slot| slot.verifier)
					.collect::<Vec<_>>(),
			),
			_ => None,
		})
		.await?;
	ensure!(panel.len() == 2, "the dispute panel has {} verifiers, expected 2", panel.len());
	let panel = panel
		.iter()
		.map(|member| keypair_of(member, &scene.verifiers))
		.collect::<Result<Vec<_>>>()?;
	for member in &panel {
		scene.market.commit_verdict(job, member, OUTPUT).await?;
	}
	scene
		.market
		.wait_for(job, "the reveal", |status| {
			matches!(status, JobStatus::Dispute { revealing: true, .. }).then_some(())
		})
		.await?;
	for seat in std::iter::once(&auditor).chain(&panel) {
		scene.market.verdict(job, seat, OUTPUT).await?;
	}
	scene
		.market
		.wait_for(job, "Slashed", |status| {
			matches!(status, JobStatus::Slashed { .. }).then_some(())
		})
		.await?;

	// Three verifiers were right: each earned its fee out of the collateral;
	// the rest of the collateral compensates the client, who also gets the
	// whole budget back.
	let winners_fees = 3 * scene.verifier_fee;
	let (before, after) = (scene.client_before, scene.market.balances(&client).await?);
	ensure!(after.held == before.held, "client's budget still held: {before:?} -> {after:?}");
	ensure!(
		after.free == before.free + (collateral - winners_fees) - scene.market.fees_of(&client),
		"client: {before:?} -> {after:?} (collateral {collateral})"
	);
	let (before, after) = (scene.provider_before, scene.market.balances(&provider).await?);
	ensure!(
		after.held == before.held - collateral,
		"provider's stake: {before:?} -> {after:?}, collateral {collateral}"
	);
	ensure!(
		after.free == before.free - scene.market.fees_of(&provider),
		"provider: {before:?} -> {after:?}"
	);
	let fee = scene.verifier_fee;
	scene.check_verifiers(|_| fee).await?;
	scene.check_only_fees_burned().await
}
