//! Governance on a real dev node: a referendum on the `market_params` track
//! changes a marketplace parameter when token holders back it, and the next
//! job obeys the new value; a referendum without enough support changes
//! nothing. Dev chains decide referenda in about ten blocks
//! (`DEV_GOVERNANCE` in the runtime's presets).

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hypha_client::{
	api::{
		self,
		runtime_types::{
			frame_support::dispatch::RawOrigin,
			frame_support::traits::{preimages::Bounded, schedule::DispatchTime},
			hypha_runtime::OriginCaller,
			pallet_conviction_voting::vote::{AccountVote, Vote},
			pallet_governance::pallet::Origin as GovernanceOrigin,
			pallet_jobs::pallet::JobParams,
			pallet_referenda::types::ReferendumInfo,
		},
	},
	subxt::tx::Payload,
	subxt_signer::sr25519::{dev, Keypair},
	Backend, Client, JobKinds, JobSpec, ProviderCapabilities, Static, Uri, WorkloadKind,
};
use hypha_e2e::NodeProcess;
use hypha_primitives::{blake2_256, HYPHA};

const STARTUP: Duration = Duration::from_secs(120);
/// Liveness bound for a referendum to end (the dev decision period is 20 blocks).
const PATIENCE: Duration = Duration::from_secs(120);

struct Chain {
	node: NodeProcess,
	client: Client,
}

impl Chain {
	async fn start() -> Result<Self> {
		let mut node = NodeProcess::start("governance", &["--dev"])?;
		let client = node.client(STARTUP).await?;
		Ok(Chain { node, client })
	}

	/// Submits `call` signed by `signer` and waits until it is finalized and succeeded.
	async fn send<P: Payload>(
		&self,
		what: &str,
		call: &P,
		signer: &Keypair,
	) -> Result<hypha_client::TxEvents> {
		hypha_client::submit(&self.client, call, signer)
			.await
			.with_context(|| format!("{what} failed; {}", self.node.log_tail()))
	}

	async fn params(&self) -> Result<JobParams<u128, u32>> {
		let at = self.client.at_current_block().await?;
		Ok(at.storage().fetch(api::storage().jobs().params(), ()).await?.decode()?)
	}

	/// Proposes `Jobs::set_params(params)` on the `market_params` track.
	async fn propose(&self, params: JobParams<u128, u32>, proposer: &Keypair) -> Result<u32> {
		let call = self.client.tx().await?.call_data(&api::tx().jobs().set_params(params))?;
		self.propose_call(
			call,
			OriginCaller::Governance(GovernanceOrigin::MarketParams),
			1,
			proposer,
		)
		.await
	}

	/// Proposes the encoded `call`, to be dispatched as `origin`, which must
	/// land on track `track`: the call as a preimage, the referendum, its
	/// decision deposit. Returns the referendum's index.
	async fn propose_call(
		&self,
		call: Vec<u8>,
		origin: OriginCaller,
		track: u16,
		proposer: &Keypair,
	) -> Result<u32> {
		let hash = blake2_256(&call);
		let len = u32::try_from(call.len())?;
		self.send("note_preimage", &api::tx().preimage().note_preimage(call), proposer).await?;
		let submit = api::tx().referenda().submit(
			origin,
			Bounded::Lookup { hash: hash.into(), len },
			DispatchTime::After(1),
		);
		let events = self.send("referenda.submit", &submit, proposer).await?;
		let submitted = events
			.find_first::<api::referenda::events::Submitted>()
			.context("no Referenda::Submitted event")??;
		ensure!(
			submitted.track == track,
			"the referendum went to track {}, not {track}",
			submitted.track
		);
		let deposit = api::tx().referenda().place_decision_deposit(submitted.index);
		self.send("place_decision_deposit", &deposit, proposer).await?;
		Ok(submitted.index)
	}

	/// `voter` votes aye on `index` with `balance`, conviction 1x.
	async fn vote_aye(&self, index: u32, voter: &Keypair, balance: u128) -> Result<()> {
		// Bit 7: aye; low bits: conviction (1 = Locked1x).
		let vote = AccountVote::Standard { vote: Vote(0x80 | 1), balance };
		self.send("vote", &api::tx().conviction_voting().vote(index, vote), voter).await?;
		Ok(())
	}

	/// Waits until referendum `index` is no longer ongoing; returns how it ended.
	async fn outcome(&self, index: u32) -> Result<&'static str> {
		let deadline = Instant::now() + PATIENCE;
		loop {
			let at = self.client.at_current_block().await?;
			let info = at
				.storage()
				.try_fetch(api::storage().referenda().referendum_info_for(), (index,))
				.await?
				.with_context(|| format!("referendum {index} does not exist"))?
				.decode()?;
			let ended = match info {
				ReferendumInfo::Ongoing(_) => None,
				ReferendumInfo::Approved(..) => Some("approved"),
				ReferendumInfo::Rejected(..) => Some("rejected"),
				ReferendumInfo::Cancelled(..) => Some("cancelled"),
				ReferendumInfo::TimedOut(..) => Some("timed out"),
				ReferendumInfo::Killed(..) => Some("killed"),
			};
			if let Some(ended) = ended {
				return Ok(ended);
			}
			if Instant::now() >= deadline {
				bail!("referendum {index} still ongoing after {PATIENCE:?}");
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	/// Waits until the parameters satisfy `check` (enactment follows approval
	/// by `min_enactment_period` blocks).
	async fn wait_for_params(
		&self,
		check: impl Fn(&JobParams<u128, u32>) -> bool,
	) -> Result<JobParams<u128, u32>> {
		let deadline = Instant::now() + Duration::from_secs(30);
		loop {
			let params = self.params().await?;
			if check(&params) {
				return Ok(params);
			}
			if Instant::now() >= deadline {
				bail!("parameters not enacted within 30 s: {params:?}");
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	/// Submits a job with `result_window` blocks for its result; `Ok(false)`
	/// when the chain refuses it for its window.
	async fn job_with_window(&self, client: &Keypair, result_window: u32) -> Result<bool> {
		let spec = JobSpec {
			kind: WorkloadKind::Inference,
			program_digest: [1; 32],
			program_uri: Uri::truncate_from(b"http://127.0.0.1:1/model".to_vec()),
			input_digest: [2; 32],
			input_uri: Uri::truncate_from(b"http://127.0.0.1:1/input".to_vec()),
			compute_units: 10,
			max_output_bytes: 1024,
			output_key: None,
			model: None,
		};
		let call = api::tx().jobs().submit_job(Static(spec), HYPHA, result_window);
		match self.send("submit_job", &call, client).await {
			Ok(_) => Ok(true),
			Err(error) if format!("{error:#}").contains("ResultWindowOutOfRange") => Ok(false),
			Err(error) => Err(error),
		}
	}
}

#[tokio::test]
async fn a_backed_referendum_changes_a_market_parameter_and_the_next_job_obeys_it() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let chain = Chain::start().await?;
	let before = chain.params().await?;
	let window = before.min_result_window + 5;
	ensure!(
		chain.job_with_window(&dev::ferdie(), window).await?,
		"a {window}-block window is accepted at first"
	);

	let mut proposed = before.clone();
	proposed.min_result_window = window + 10;
	let index = chain.propose(proposed.clone(), &dev::alice()).await?;
	// Five of the twelve endowed accounts, 900,000 HYPHA each: about 37 % of the
	// issuance, above the support curve once a quarter of the decision period
	// has passed.
	// The votes go in together: one by one, the referendum can pass before the
	// last voter gets to it.
	let stake = 900_000 * HYPHA;
	let (bob, charlie, dave, eve, ferdie) =
		(dev::bob(), dev::charlie(), dev::dave(), dev::eve(), dev::ferdie());
	let votes = tokio::join!(
		chain.vote_aye(index, &bob, stake),
		chain.vote_aye(index, &charlie, stake),
		chain.vote_aye(index, &dave, stake),
		chain.vote_aye(index, &eve, stake),
		chain.vote_aye(index, &ferdie, stake),
	);
	for vote in [votes.0, votes.1, votes.2, votes.3, votes.4] {
		vote?;
	}
	ensure!(chain.outcome(index).await? == "approved", "the referendum was not approved");
	let enacted =
		chain.wait_for_params(|p| p.min_result_window == proposed.min_result_window).await?;
	ensure!(enacted == proposed, "enacted {enacted:?}, proposed {proposed:?}");

	// The same job as before is now refused: its window is below the new minimum.
	ensure!(
		!chain.job_with_window(&dev::ferdie(), window).await?,
		"a {window}-block window is still accepted after the minimum became {}",
		proposed.min_result_window
	);
	ensure!(chain.job_with_window(&dev::ferdie(), proposed.min_result_window).await?);
	Ok(())
}

#[tokio::test]
async fn a_referendum_without_enough_support_changes_nothing() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let chain = Chain::start().await?;
	let before = chain.params().await?;
	let mut proposed = before.clone();
	proposed.verifier_fee = before.verifier_fee * 10;
	let index = chain.propose(proposed, &dev::alice()).await?;
	// All ayes, but 100,000 HYPHA is under 1 % of the issuance: below the
	// support floor of 10 % for the whole decision period.
	chain.vote_aye(index, &dev::bob(), 100_000 * HYPHA).await?;
	let outcome = chain.outcome(index).await?;
	ensure!(outcome == "rejected", "the referendum ended {outcome}, expected rejected");
	ensure!(chain.params().await? == before, "the parameters changed without support");
	Ok(())
}

/// The runtime the upgrade installs: this runtime with `spec_version` + 1,
/// built by `scripts/upgrade-wasm.sh` (part of `make test`).
fn upgrade_wasm() -> Result<Vec<u8>> {
	let path = match std::env::var("HYPHA_UPGRADE_WASM") {
		Ok(path) => std::path::PathBuf::from(path),
		Err(_) => hypha_e2e::node_binary()?
			.parent()
			.context("node binary has no directory")?
			.join("hypha-upgrade/hypha_runtime.wasm"),
	};
	std::fs::read(&path).with_context(|| {
		format!(
			"reading {}: run scripts/upgrade-wasm.sh (make test does) or set HYPHA_UPGRADE_WASM",
			path.display()
		)
	})
}

#[tokio::test]
async fn a_runtime_upgrade_passed_by_referendum_bumps_the_version_and_keeps_jobs_stakes_and_balances(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let code = upgrade_wasm()?;
	let chain = Chain::start().await?;
	let version_before = chain.client.at_current_block().await?.spec_version();
	ensure!(
		version_before == 100,
		"the dev chain starts at spec_version {version_before}, expected 100"
	);

	// State the upgrade must keep: Eve's stake as a provider, Ferdie's open job,
	// and both accounts' balances (neither acts again below).
	let (provider, client) = (dev::eve(), dev::ferdie());
	let capabilities = ProviderCapabilities {
		backend: Backend::Cpu,
		memory_mib: 4096,
		job_kinds: JobKinds(0b11),
		price_per_unit: HYPHA / 100,
		endpoint: Uri::truncate_from(b"http://127.0.0.1:1/".to_vec()),
		receipt_key: [7; 32],
	};
	chain
		.send(
			"register_provider",
			&api::tx().stake().register_provider(Static(capabilities), 1_000 * HYPHA),
			&provider,
		)
		.await?;
	ensure!(chain.job_with_window(&client, 20).await?, "the job is accepted");
	let snapshot = |chain: &Chain| {
		let chain_client = chain.client.clone();
		let (provider_id, client_id): (hypha_client::AccountId, hypha_client::AccountId) =
			(provider.public_key().into(), client.public_key().into());
		async move {
			let at = chain_client.at_current_block().await?;
			let storage = at.storage();
			let stake = storage
				.try_fetch(api::storage().stake().providers(), (provider_id,))
				.await?
				.context("Eve is not a provider")?
				.decode()?;
			let job = storage
				.try_fetch(api::storage().jobs().jobs(), (0u64,))
				.await?
				.context("job 0 is missing")?
				.decode()?;
			let provider_account =
				storage.fetch(api::storage().system().account(), (provider_id,)).await?.decode()?;
			let client_account =
				storage.fetch(api::storage().system().account(), (client_id,)).await?.decode()?;
			anyhow::Ok((stake, job, provider_account.data, client_account.data))
		}
	};
	let before = snapshot(&chain).await?;

	// Alice proposes `System::set_code` on the root track; four holders back it.
	let call = chain.client.tx().await?.call_data(&api::tx().system().set_code(code))?;
	let index =
		chain.propose_call(call, OriginCaller::system(RawOrigin::Root), 0, &dev::alice()).await?;
	let stake = 900_000 * HYPHA;
	let (alice, bob, charlie, dave) = (dev::alice(), dev::bob(), dev::charlie(), dev::dave());
	let votes = tokio::join!(
		chain.vote_aye(index, &alice, stake),
		chain.vote_aye(index, &bob, stake),
		chain.vote_aye(index, &charlie, stake),
		chain.vote_aye(index, &dave, stake),
	);
	for vote in [votes.0, votes.1, votes.2, votes.3] {
		vote?;
	}
	ensure!(chain.outcome(index).await? == "approved", "the upgrade referendum was not approved");

	let deadline = Instant::now() + Duration::from_secs(30);
	loop {
		let version = chain.client.at_current_block().await?.spec_version();
		if version == version_before + 1 {
			break;
		}
		if Instant::now() >= deadline {
			bail!("spec_version is {version} 30 s after approval; {}", chain.node.log_tail());
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	let after = snapshot(&chain).await?;
	ensure!(
		after == before,
		"state changed across the upgrade:\nbefore {before:?}\nafter  {after:?}"
	);
	// The upgraded chain still takes jobs.
	ensure!(chain.job_with_window(&dev::bob(), 20).await?, "the upgraded runtime refuses a job");
	Ok(())
}

/// Runs the `hypha` CLI (built next to the node) and returns its stdout, or
/// fails with its stderr.
fn hypha(args: &[&str]) -> Result<std::process::Output> {
	let binary =
		hypha_e2e::node_binary()?.parent().context("node binary has no directory")?.join("hypha");
	std::process::Command::new(&binary).args(args).env("HYPHA_LOG", "warn").output().with_context(
		|| format!("running {} (build it: cargo build -p hypha-cli)", binary.display()),
	)
}

fn stdout_of(output: std::process::Output) -> Result<String> {
	ensure!(output.status.success(), "hypha failed: {}", String::from_utf8_lossy(&output.stderr));
	Ok(String::from_utf8(output.stdout)?)
}

// Multi-threaded: the CLI runs as blocking child processes, and the test's
// subxt client must keep following blocks meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_proposes_votes_and_lists_a_parameter_referendum() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let chain = Chain::start().await?;
	let url = chain.node.ws_url();
	let before = chain.params().await?;

	// Mistakes are refused with the reason, before anything is sent.
	let unknown =
		hypha(&["gov", "propose-params", "--url", &url, "--seed", "//Alice", "--set", "speed=3"])?;
	ensure!(!unknown.status.success(), "an unknown parameter was accepted");
	ensure!(String::from_utf8_lossy(&unknown.stderr).contains("no `speed`"));
	let unsigned = hypha(&["gov", "propose-params", "--url", &url, "--set", "audit_window=40"])?;
	ensure!(
		!unsigned.status.success() && String::from_utf8_lossy(&unsigned.stderr).contains("--seed")
	);

	let window = (before.min_result_window + 7).to_string();
	let proposed = stdout_of(hypha(&[
		"gov",
		"propose-params",
		"--url",
		&url,
		"--seed",
		"//Alice",
		"--set",
		&format!("min-result-window={window}"),
	])?)?;
	ensure!(proposed.contains("referendum #0 submitted"), "unexpected output:\n{proposed}");
	let listed = stdout_of(hypha(&["gov", "list", "--url", &url])?)?;
	ensure!(listed.contains("#0 market_params ongoing"), "unexpected list:\n{listed}");

	// Five holders vote at once, as separate processes.
	let voters: Vec<_> = ["//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie"]
		.iter()
		.map(|seed| {
			let (url, seed) = (url.clone(), seed.to_string());
			std::thread::spawn(move || {
				hypha(&[
					"gov",
					"vote",
					"0",
					"--aye",
					"--balance",
					"900000 HYPHA",
					"--url",
					&url,
					"--seed",
					&seed,
				])
			})
		})
		.collect();
	for voter in voters {
		let output = voter.join().map_err(|_| anyhow::anyhow!("voter thread panicked"))??;
		let text = stdout_of(output)?;
		ensure!(text.contains("voted aye on referendum #0"), "unexpected vote output:\n{text}");
	}
	ensure!(chain.outcome(0).await? == "approved");
	let enacted = chain.wait_for_params(|p| p.min_result_window.to_string() == window).await?;
	ensure!(enacted.audit_window == before.audit_window, "another parameter changed");
	let listed = stdout_of(hypha(&["gov", "list", "--url", &url])?)?;
	ensure!(listed.contains("#0 approved at block"), "unexpected list:\n{listed}");
	Ok(())
}
