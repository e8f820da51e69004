//! The marketplace end to end, with real processes only: a dev node, a blob
//! store (`hypha store serve`), `hypha-worker` and `hypha-verifier` daemons,
//! and the `hypha` CLI as the client. Each test checks every balance it
//! touches to the unit: the balances at a block before the job, the balances
//! at a block after it, and the transaction fees paid in between (read from
//! the `TransactionFeePaid` events of every block), against what
//! `pallets/jobs/src/lifecycle.rs` says each transition moves; and that total
//! issuance fell by exactly the fees (no token created or lost).
//!
//! The job is the digits training job of `hypha digits prepare` with a few
//! epochs: small, but the real workload, computed by the worker and
//! re-executed by the verifiers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hypha_client::api;
use hypha_client::subxt_signer::sr25519::{dev, Keypair};
use hypha_client::{AccountId, Client, JobSpec, JobStatus, Static, Uri, WorkloadKind};
use hypha_e2e::{
	digits_training_job, hypha_cli, hypha_cli_fails, start_blob_store_in, start_verifier,
	start_worker, Balances, Daemon, Ledger, NodeProcess,
};
use hypha_primitives::HYPHA;

const STARTUP: Duration = Duration::from_secs(120);
/// Liveness bound for a job or a daemon to reach a state.
const PATIENCE: Duration = Duration::from_secs(120);
/// What the workers ask per compute unit.
const PRICE_PER_UNIT: u128 = HYPHA / 100;
/// A provider's bond.
const PROVIDER_BOND: u128 = 1_000 * HYPHA;
/// A verifier's bond.
const VERIFIER_BOND: u128 = 100 * HYPHA;
/// Paid to each verifier that answers (set by sudo in every test).
const VERIFIER_FEE: u128 = HYPHA / 100;
/// What a client puts in escrow.
const BUDGET: u128 = 5 * HYPHA;

fn id(keypair: &Keypair) -> AccountId {
	keypair.public_key().into()
}

fn name_of(keypair: &Keypair) -> &'static str {
	let all = [
		(dev::alice(), "alice"),
		(dev::bob(), "bob"),
		(dev::charlie(), "charlie"),
		(dev::dave(), "dave"),
		(dev::eve(), "eve"),
		(dev::ferdie(), "ferdie"),
	];
	all.iter().find(|(k, _)| id(k) == id(keypair)).map_or("unknown", |(_, name)| name)
}

fn seed_of(keypair: &Keypair) -> String {
	let name = name_of(keypair);
	format!("//{}{}", name[..1].to_uppercase(), &name[1..])
}

/// A dev chain, a blob store and the daemons started on it.
struct Market {
	node: NodeProcess,
	client: Client,
	store: Daemon,
	store_url: String,
	dir: PathBuf,
	/// Daemons by name; killed when the market is dropped.
	daemons: HashMap<String, Daemon>,
}

impl Market {
	/// Starts a dev node and a blob store; sets `params` (`name=value`) through
	/// sudo, with audits of every result and a verifier fee.
	async fn start(name: &str, params: &[&str]) -> Result<Self> {
		let dir = std::env::temp_dir().join(format!("hypha-market-{name}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		std::fs::create_dir_all(&dir)?;
		let mut node = NodeProcess::start(name, &["--dev"])?;
		let client = node.client(STARTUP).await?;
		// The store asks the chain who may read a private blob through a job.
		let store_dir = dir.join("store");
		let store = start_blob_store_in(
			&format!("{name}-store"),
			&store_dir,
			hypha_e2e::free_port()?,
			&["--node", &node.ws_url()],
		)
		.await?;
		let store_url = store.url();
		let market = Market { node, client, store, store_url, dir, daemons: HashMap::new() };
		let fee = format!("verifier_fee={VERIFIER_FEE} units");
		let mut set = vec!["p_min_ppm=1000000", fee.as_str()];
		set.extend_from_slice(params);
		market.sudo_set_params(&set).await?;
		Ok(market)
	}

	fn url(&self) -> String {
		self.node.ws_url()
	}

	/// The collateral a job of `price` locks at the chain's parameters.
	async fn collateral_for(&self, price: u128) -> Result<u128> {
		let params = hypha_client::query::params(&self.client).await?;
		Ok(price / 100 * u128::from(params.collateral_percent)
			+ price % 100 * u128::from(params.collateral_percent) / 100)
	}

	async fn sudo_set_params(&self, set: &[&str]) -> Result<()> {
		let url = self.url();
		let mut args = vec!["gov", "sudo-set-params", "--url", &url, "--seed", "//Alice"];
		for change in set {
			args.extend(["--set", change]);
		}
		hypha_cli(&args).await?;
		Ok(())
	}

	/// Starts `hypha-worker` for `provider` (0.01 HYPHA per unit) with `extra` flags.
	fn start_worker(&mut self, provider: &Keypair, extra: &[&str]) -> Result<()> {
		let name = format!("worker-{}", name_of(provider));
		let state = self.dir.join(&name);
		let daemon = start_worker(&name, &self.url(), &seed_of(provider), &state, "0.01", extra)?;
		self.daemons.insert(name, daemon);
		Ok(())
	}

	/// Starts `hypha-verifier` for `verifier` with `extra` flags.
	fn start_verifier(&mut self, verifier: &Keypair, extra: &[&str]) -> Result<()> {
		let name = format!("verifier-{}", name_of(verifier));
		let daemon = start_verifier(&name, &self.url(), &seed_of(verifier), extra)?;
		self.daemons.insert(name, daemon);
		Ok(())
	}

	fn daemon(&mut self, name: &str) -> Result<&mut Daemon> {
		self.daemons.get_mut(name).with_context(|| format!("no daemon {name}"))
	}

	/// A daemon's Prometheus counter.
	fn metric(&mut self, daemon: &str, counter: &str) -> Result<f64> {
		let port = self.daemon(daemon)?.port;
		let text = hypha_e2e::http_get(port, "/metrics")?;
		text.lines()
			.find_map(|line| line.strip_prefix(counter).and_then(|rest| rest.trim().parse().ok()))
			.with_context(|| format!("{daemon} exports no {counter}:\n{text}"))
	}

	/// Everything the processes logged, for a failure message.
	fn logs(&self) -> String {
		let mut text = self.node.log_tail();
		text.push('\n');
		text.push_str(&self.store.process.log_tail());
		for daemon in self.daemons.values() {
			text.push('\n');
			text.push_str(&daemon.process.log_tail());
		}
		text
	}

	/// Polls until `check` returns `Some`, failing (with the logs) after PATIENCE.
	async fn wait_until<R>(
		&mut self,
		what: &str,
		mut check: impl AsyncFnMut(&mut Self) -> Result<Option<R>>,
	) -> Result<R> {
		let deadline = Instant::now() + PATIENCE;
		loop {
			for daemon in self.daemons.values_mut() {
				daemon.process.ensure_running()?;
			}
			if let Some(found) = check(self).await? {
				return Ok(found);
			}
			if Instant::now() >= deadline {
				bail!("{what} did not happen within {PATIENCE:?}\n{}", self.logs());
			}
			tokio::time::sleep(Duration::from_millis(300)).await;
		}
	}

	async fn wait_for_provider(&mut self, provider: &Keypair) -> Result<()> {
		self.wait_for_registration(provider, "provider").await
	}

	async fn wait_for_verifier(&mut self, verifier: &Keypair) -> Result<()> {
		self.wait_for_registration(verifier, "verifier").await
	}

	/// Waits until `who`'s daemon has registered it as `role`.
	async fn wait_for_registration(&mut self, who: &Keypair, role: &str) -> Result<()> {
		let account = id(who);
		let provider = role == "provider";
		self.wait_until(&format!("registration of {role} {}", name_of(who)), async |market| {
			let at = market.client.at_current_block().await?;
			let storage = at.storage();
			let registered = if provider {
				storage.try_fetch(api::storage().stake().providers(), (account,)).await?.is_some()
			} else {
				storage
					.try_fetch(api::storage().stake().verifier_bonds(), (account,))
					.await?
					.is_some()
			};
			Ok(registered.then_some(()))
		})
		.await
	}

	async fn status(&self, job: u64) -> Result<JobStatus> {
		hypha_e2e::job_status(&self.client, job).await
	}

	async fn compute_units(&self, job: u64) -> Result<u64> {
		let at = self.client.at_current_block().await?;
		let record = at.storage().fetch(api::storage().jobs().jobs(), (job,)).await?.decode()?;
		Ok(record.spec.compute_units)
	}

	/// Waits until `job`'s status passes `accept`.
	async fn wait_for_status<R>(
		&mut self,
		job: u64,
		what: &str,
		accept: impl Fn(&JobStatus) -> Option<R>,
	) -> Result<R> {
		self.wait_until(&format!("job {job} reaching {what}"), async |market| {
			Ok(accept(&market.status(job).await?))
		})
		.await
	}

	/// Writes the small digits training job (3 epochs) and returns its spec.
	async fn training_job(&self) -> Result<PathBuf> {
		digits_training_job(&self.dir.join("job"), 3).await
	}

	/// Fetches `job`'s output as its client Bob (checked against the
	/// provider's commitment) and re-runs `spec` here on the reference
	/// backend, expecting the committed digest; returns run-local's output.
	async fn fetch_and_rerun(&self, job: u64, spec: &std::path::Path) -> Result<String> {
		let out = self.dir.join(format!("fetched-{job}"));
		let fetched = hypha_cli(&[
			"job",
			"fetch",
			&job.to_string(),
			"--url",
			&self.url(),
			"--seed",
			"//Bob",
			"--out",
			&out.display().to_string(),
		])
		.await?;
		ensure!(fetched.contains("matches the provider's commitment"), "{fetched}");
		let digest = fetched
			.lines()
			.find_map(|line| line.split("digest ").nth(1))
			.context("no digest in the fetch output")?
			.trim()
			.to_string();
		hypha_cli(&[
			"job",
			"run-local",
			&spec.display().to_string(),
			"--backend",
			"reference",
			"--expect",
			&digest,
		])
		.await
	}

	/// `hypha job submit` as `client`; returns the job id and the CLI's output.
	async fn submit(
		&self,
		client: &Keypair,
		spec: &std::path::Path,
		extra: &[&str],
	) -> Result<(u64, String)> {
		let url = self.url();
		let seed = seed_of(client);
		let spec = spec.display().to_string();
		let budget = format!("{BUDGET} units");
		let mut args = vec![
			"job",
			"submit",
			&spec,
			"--url",
			&url,
			"--seed",
			&seed,
			"--store",
			&self.store_url,
			"--budget",
			&budget,
		];
		args.extend_from_slice(extra);
		let output = hypha_cli(&args).await.with_context(|| self.logs())?;
		Ok((hypha_e2e::submitted_job(&output)?, output))
	}
}

/// Balances of `accounts` before (at `before`) and after (at `after`), and
/// the fees each paid in between.
struct Books {
	before: HashMap<[u8; 32], Balances>,
	after: HashMap<[u8; 32], Balances>,
	fees: HashMap<[u8; 32], u128>,
	total_fees: u128,
}

impl Books {
	async fn read(
		client: &Client,
		before: &Ledger,
		after: &Ledger,
		accounts: &[&Keypair],
	) -> Result<Self> {
		let mut books = Books {
			before: HashMap::new(),
			after: HashMap::new(),
			fees: before.fees_until(client, after).await?,
			total_fees: 0,
		};
		books.total_fees = books.fees.values().sum();
		let burned = before.burns_until(client, after).await?;
		for account in accounts {
			books.before.insert(id(account).0, before.balances(client, &id(account)).await?);
			books.after.insert(id(account).0, after.balances(client, &id(account)).await?);
		}
		ensure!(
			after.issuance == before.issuance - books.total_fees - burned,
			"total issuance {} -> {}, but only {} was paid in fees and {burned} burned: tokens \
			 were created or lost",
			before.issuance,
			after.issuance,
			books.total_fees
		);
		Ok(books)
	}

	fn fee(&self, who: &Keypair) -> u128 {
		self.fees.get(&id(who).0).copied().unwrap_or(0)
	}

	/// Checks `who`'s free balance moved by `gained - lost - fees` and its held
	/// balance by `held_delta`.
	fn check(&self, who: &Keypair, gained: u128, lost: u128, held_delta: i128) -> Result<()> {
		let (before, after) = (self.before[&id(who).0], self.after[&id(who).0]);
		let free = before.free + gained - lost - self.fee(who);
		let held = (before.held as i128 + held_delta) as u128;
		ensure!(
			after.free == free && after.held == held,
			"{}: {before:?} -> {after:?}; expected free {free} and held {held} (gained {gained}, lost {lost}, fees {})",
			name_of(who),
			self.fee(who)
		);
		Ok(())
	}

	/// For an account that registered in between: checks only free + held.
	fn check_total(&self, who: &Keypair, gained: u128, lost: u128) -> Result<()> {
		let (before, after) = (self.before[&id(who).0], self.after[&id(who).0]);
		let total = before.total() + gained - lost - self.fee(who);
		ensure!(
			after.total() == total,
			"{}: {before:?} -> {after:?}; expected a total of {total}",
			name_of(who)
		);
		Ok(())
	}
}

#[tokio::test]
async fn an_honest_job_is_audited_paid_and_the_refund_is_exact_to_the_unit() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut market = Market::start("honest", &[]).await?;
	let (client, provider, verifier) = (dev::bob(), dev::eve(), dev::ferdie());
	market.start_worker(&provider, &[])?;
	market.start_verifier(&verifier, &[])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&verifier).await?;
	let spec = market.training_job().await?;

	let before = Ledger::now(&market.client).await?;
	let (job, output) = market.submit(&client, &spec, &["--wait"]).await?;
	ensure!(
		output.contains(&format!("job {job} settled")),
		"the CLI did not report the settlement:\n{output}"
	);
	ensure!(
		output.contains("audited: yes: 1 of 1 verdicts agreed"),
		"the CLI did not report the audit:\n{output}"
	);
	let after = Ledger::now(&market.client).await?;

	let price = PRICE_PER_UNIT * u128::from(market.compute_units(job).await?);
	let books =
		Books::read(&market.client, &before, &after, &[&client, &provider, &verifier]).await?;
	// The client paid the price and one verifier fee; the rest of the budget came back.
	books.check(&client, 0, price + VERIFIER_FEE, 0)?;
	// The provider got the price; its collateral is free again.
	books.check(&provider, price, 0, 0)?;
	// The auditor got its fee; its bond is what the daemon registered with.
	books.check(&verifier, VERIFIER_FEE, 0, 0)?;
	ensure!(books.after[&id(&verifier).0].held == VERIFIER_BOND, "the verifier's bond");

	// The client fetches the output; it matches the provider's commitment, and
	// re-running the job here gives the same digest.
	let url = market.url();
	let out = market.dir.join("fetched");
	let local = market.fetch_and_rerun(job, &spec).await?;
	ensure!(local.contains("digest matches"), "{local}");
	// Nobody else may read it.
	let refused = hypha_cli_fails(&[
		"job",
		"fetch",
		&job.to_string(),
		"--url",
		&url,
		"--seed",
		"//Charlie",
		"--out",
		&out.display().to_string(),
	])
	.await?;
	ensure!(refused.contains("only the job's client"), "{refused}");
	let status = hypha_cli(&["job", "status", &job.to_string(), "--url", &url]).await?;
	ensure!(status.contains("settled") && status.contains("1 of 1 verdicts agreed"), "{status}");

	ensure!(market.metric("worker-eve", "hypha_worker_jobs_done_total")? == 1.0, "worker metrics");
	ensure!(
		market.metric("worker-eve", "hypha_worker_jobs_claimed_total")? == 1.0,
		"worker metrics"
	);
	ensure!(
		market.metric("verifier-ferdie", "hypha_verifier_agreements_total")? == 1.0,
		"verifier metrics"
	);
	// SIGTERM stops the daemons cleanly.
	for name in ["worker-eve", "verifier-ferdie"] {
		let process = &mut market.daemon(name)?.process;
		ensure!(
			process.terminate(Duration::from_secs(20))?,
			"{name} did not exit cleanly on SIGTERM"
		);
	}
	Ok(())
}

#[tokio::test]
async fn a_completion_bought_with_hypha_generate_is_audited_paid_and_reproducible() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut market = Market::start("generate", &[]).await?;
	let (client, provider, verifier) = (dev::bob(), dev::eve(), dev::ferdie());
	market.start_worker(&provider, &[])?;
	market.start_verifier(&verifier, &[])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&verifier).await?;
	// The shipped checkpoint, imported as a user would import their own.
	let model = market.dir.join("fortune-lm.hypha.safetensors").display().to_string();
	let checkpoint = hypha_e2e::repo_root().join("data/fortune-lm").display().to_string();
	let imported = hypha_cli(&["model", "import", &checkpoint, "--out", &model]).await?;
	ensure!(imported.contains("model digest: 0x"), "{imported}");

	let before = Ledger::now(&market.client).await?;
	let url = market.url();
	let prompt = "The secret of life is";
	let output = hypha_cli(&[
		"generate",
		"--model",
		&model,
		"--prompt",
		prompt,
		"--max-new",
		"16",
		"--url",
		&url,
		"--seed",
		"//Bob",
		"--store",
		&market.store_url,
		"--max-price-per-unit",
		"0.01",
	])
	.await
	.with_context(|| market.logs())?;
	let job = hypha_e2e::submitted_job(&output)?;
	ensure!(output.contains(&format!("job {job} settled")), "not settled:\n{output}");
	ensure!(output.contains("audited: 1 of 1 verdicts agreed"), "not audited:\n{output}");
	let completion = output
		.lines()
		.find_map(|line| line.strip_prefix("completion: "))
		.context("no completion printed")?;
	ensure!(completion.len() > 4, "an empty completion: {output}");
	let after = Ledger::now(&market.client).await?;

	// Paid like any job: the price and one verifier fee, the rest refunded.
	let price = PRICE_PER_UNIT * u128::from(market.compute_units(job).await?);
	let books =
		Books::read(&market.client, &before, &after, &[&client, &provider, &verifier]).await?;
	books.check(&client, 0, price + VERIFIER_FEE, 0)?;
	books.check(&provider, price, 0, 0)?;
	books.check(&verifier, VERIFIER_FEE, 0, 0)?;

	// Anyone with the model re-runs the job to the digest the provider committed.
	let spec = market.dir.join("generate.toml");
	std::fs::write(
		&spec,
		format!(
			"kind = \"generate\"\nmodel = {model:?}\nprompt = {prompt:?}\nmax_new_tokens = 16\n"
		),
	)?;
	let local = market.fetch_and_rerun(job, &spec).await?;
	ensure!(local.contains("kind: generate") && local.contains("digest matches"), "{local}");
	Ok(())
}

#[tokio::test]
async fn a_provider_that_commits_a_wrong_digest_is_caught_slashed_and_the_client_made_whole(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut market = Market::start("cheat", &[]).await?;
	let (client, provider) = (dev::bob(), dev::eve());
	let verifiers = [dev::charlie(), dev::dave(), dev::ferdie()];
	market.start_worker(&provider, &["--cheat"])?;
	for verifier in &verifiers {
		market.start_verifier(verifier, &[])?;
	}
	market.wait_for_provider(&provider).await?;
	for verifier in &verifiers {
		market.wait_for_verifier(verifier).await?;
	}
	let spec = market.training_job().await?;

	let before = Ledger::now(&market.client).await?;
	let (job, output) = market.submit(&client, &spec, &["--wait"]).await?;
	ensure!(
		output.contains(&format!("job {job} slashed")),
		"the CLI did not report the slash:\n{output}"
	);
	let after = Ledger::now(&market.client).await?;

	let price = PRICE_PER_UNIT * u128::from(market.compute_units(job).await?);
	let collateral = market.collateral_for(price).await?;
	let mut accounts = vec![&client, &provider];
	accounts.extend(verifiers.iter());
	let books = Books::read(&market.client, &before, &after, &accounts).await?;
	// The three verifiers who re-executed the job were right: each got its fee
	// from the provider's collateral; the rest of it went to the client, who
	// also got its whole budget back.
	books.check(&client, collateral - 3 * VERIFIER_FEE, 0, 0)?;
	books.check(&provider, 0, 0, -(collateral as i128))?;
	for verifier in &verifiers {
		books.check(verifier, VERIFIER_FEE, 0, 0)?;
	}
	let url = market.url();
	let refused =
		hypha_cli_fails(&["job", "fetch", &job.to_string(), "--url", &url, "--seed", "//Bob"])
			.await?;
	ensure!(refused.contains("proven wrong"), "{refused}");
	ensure!(
		market.metric("worker-eve", "hypha_worker_jobs_slashed_total")? == 1.0,
		"worker metrics"
	);
	Ok(())
}

#[tokio::test]
async fn a_worker_killed_mid_job_lets_the_deadline_pass_and_another_completes_it() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut market = Market::start("killed", &["deadline_slash_percent=10"]).await?;
	let (client, first, second, verifier) = (dev::bob(), dev::eve(), dev::dave(), dev::ferdie());
	// The first worker claims and then hangs in its computation.
	market.start_worker(&first, &["--compute-delay-ms", "600000"])?;
	market.start_verifier(&verifier, &[])?;
	market.wait_for_provider(&first).await?;
	market.wait_for_verifier(&verifier).await?;
	let spec = market.training_job().await?;

	let before = Ledger::now(&market.client).await?;
	let (job, _) = market.submit(&client, &spec, &["--result-window", "8"]).await?;
	let first_id = id(&first);
	market
		.wait_for_status(job, "Assigned to the first worker", |status| match status {
			JobStatus::Assigned { provider, .. } if *provider == first_id => Some(()),
			_ => None,
		})
		.await?;
	market.daemon("worker-eve")?.process.kill();
	market.daemons.remove("worker-eve");
	// Another provider comes along; the job reopens after the deadline and it takes it.
	market.start_worker(&second, &[])?;
	let second_id = id(&second);
	market
		.wait_for_status(job, "Settled by the second worker", |status| match status {
			JobStatus::Settled { provider, .. } if *provider == second_id => Some(()),
			JobStatus::Settled { .. } | JobStatus::Refunded { .. } | JobStatus::Slashed { .. } => {
				None
			},
			_ => None,
		})
		.await?;
	let after = Ledger::now(&market.client).await?;

	let price = PRICE_PER_UNIT * u128::from(market.compute_units(job).await?);
	let collateral = market.collateral_for(price).await?;
	let penalty = collateral / 100 * 10;
	let books =
		Books::read(&market.client, &before, &after, &[&client, &first, &second, &verifier])
			.await?;
	// The client paid the second provider and the auditor; the first
	// provider's penalty was burned (a client must not earn from a provider
	// that misses its deadline: issue 11, attack 3).
	books.check(&client, 0, price + VERIFIER_FEE, 0)?;
	books.check(&first, 0, 0, -(penalty as i128))?;
	// The second provider registered in between: its bond moved from free to
	// held; overall it gained the price.
	books.check_total(&second, price, 0)?;
	ensure!(
		books.after[&second_id.0].held == books.before[&second_id.0].held + PROVIDER_BOND,
		"second provider's bond"
	);
	books.check(&verifier, VERIFIER_FEE, 0, 0)?;
	Ok(())
}

#[tokio::test]
async fn a_verifier_that_lies_loses_the_dispute_and_is_slashed() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let verifier_slash = 5 * HYPHA;
	let slash = format!("verifier_slash={verifier_slash} units");
	let mut market = Market::start("liar", &[slash.as_str(), "audit_window=90"]).await?;
	let (client, provider, liar) = (dev::bob(), dev::eve(), dev::ferdie());
	let honest = [dev::charlie(), dev::dave()];
	market.start_worker(&provider, &[])?;
	// The liar is the only verifier when the result is sampled, so it audits;
	// it waits before answering so that the honest verifiers can register and
	// sit on the dispute panel.
	market.start_verifier(&liar, &["--lie", "--verdict-delay-ms", "20000"])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&liar).await?;
	let spec = market.training_job().await?;

	let before = Ledger::now(&market.client).await?;
	let (job, _) = market.submit(&client, &spec, &[]).await?;
	let liar_id = id(&liar);
	market
		.wait_for_status(job, "an audit by the liar", |status| match status {
			JobStatus::Audit { verifiers, .. }
				if verifiers.last().is_some_and(|slot| slot.verifier == liar_id) =>
			{
				Some(())
			},
			_ => None,
		})
		.await?;
	for verifier in &honest {
		market.start_verifier(verifier, &[])?;
	}
	for verifier in &honest {
		market.wait_for_verifier(verifier).await?;
	}
	ensure!(
		matches!(market.status(job).await?, JobStatus::Audit { .. }),
		"the liar answered before the honest verifiers registered; raise its --verdict-delay-ms"
	);
	let url = market.url();
	let watched = hypha_cli(&["job", "watch", &job.to_string(), "--url", &url]).await?;
	ensure!(watched.contains("dispute opened"), "no dispute in:\n{watched}");
	ensure!(watched.contains(&format!("job {job} settled")), "not settled:\n{watched}");
	let after = Ledger::now(&market.client).await?;

	let price = PRICE_PER_UNIT * u128::from(market.compute_units(job).await?);
	let mut accounts = vec![&client, &provider, &liar];
	accounts.extend(honest.iter());
	let books = Books::read(&market.client, &before, &after, &accounts).await?;
	// The panel backed the provider: it is paid, and the liar's slash goes to it.
	books.check(&client, 0, price + 2 * VERIFIER_FEE, 0)?;
	books.check(&provider, price + verifier_slash, 0, 0)?;
	books.check(&liar, 0, 0, -(verifier_slash as i128))?;
	for verifier in &honest {
		books.check_total(verifier, VERIFIER_FEE, 0)?;
	}
	ensure!(
		market.metric("verifier-ferdie", "hypha_verifier_slashed_total")? == 1.0,
		"liar's metrics"
	);
	ensure!(
		market.metric("verifier-ferdie", "hypha_verifier_disagreements_total")? == 1.0,
		"liar's metrics"
	);
	Ok(())
}

#[tokio::test]
async fn a_lone_verifier_that_lies_about_an_honest_result_does_not_get_the_provider_slashed(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	// Issue 11, attack 1: one verifier on the chain (as in `make demo`), so
	// no dispute panel can be drawn when it disagrees. It lies.
	let slash = format!("verifier_slash={} units", 5 * HYPHA);
	let mut market = Market::start("lone-liar", &[slash.as_str()]).await?;
	let (client, provider, liar) = (dev::bob(), dev::eve(), dev::ferdie());
	market.start_worker(&provider, &[])?;
	market.start_verifier(&liar, &["--lie"])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&liar).await?;
	let spec = market.training_job().await?;

	let before = Ledger::now(&market.client).await?;
	let (job, output) = market.submit(&client, &spec, &["--wait"]).await?;
	ensure!(
		output.contains("DISAGREES with the provider")
			&& output.contains(&format!("job {job} refunded")),
		"expected the lone liar's verdict to end in a refund:\n{output}"
	);
	let after = Ledger::now(&market.client).await?;

	let books = Books::read(&market.client, &before, &after, &[&client, &provider, &liar]).await?;
	// Nobody gains: the client gets its whole budget back, the provider's
	// collateral is released (it loses nothing but its work), the liar earns
	// no fee. Nobody is slashed: one verdict proves nothing.
	books.check(&client, 0, 0, 0)?;
	books.check(&provider, 0, 0, 0)?;
	books.check(&liar, 0, 0, 0)?;
	ensure!(
		matches!(market.status(job).await?, JobStatus::Refunded { .. }),
		"job {job} should be refunded"
	);
	Ok(())
}

#[tokio::test]
async fn a_job_whose_input_does_not_match_its_digest_is_refused_and_the_client_refunded(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut market = Market::start("mismatch", &["open_timeout=15"]).await?;
	let (client, provider) = (dev::bob(), dev::eve());
	market.start_worker(&provider, &[])?;
	market.wait_for_provider(&provider).await?;
	let spec = market.training_job().await?;

	// The CLI itself refuses a malformed spec before anything is paid.
	let broken = market.dir.join("broken.toml");
	std::fs::write(&broken, "kind = \"training\"\nlayers = [64, 10]\n")?;
	let url = market.url();
	let refused = hypha_cli_fails(&[
		"job",
		"submit",
		&broken.display().to_string(),
		"--url",
		&url,
		"--seed",
		"//Bob",
		"--store",
		&market.store_url,
	])
	.await?;
	ensure!(
		refused.contains("does not form a valid job") && refused.contains("initial_weights"),
		"the CLI should name the missing field of the spec: {refused}"
	);

	// Upload the real program. The input's URI names the digest the spec
	// declares, but the store behind it serves other bytes: only hashing what
	// arrives can tell.
	let store =
		hypha_blobstore::BlobClient::new(market.store_url.clone())?.with_signer(client.clone());
	let train_dir = spec.parent().context("spec dir")?;
	let weights = std::fs::read(train_dir.join("init.safetensors"))?;
	let real = store.put(weights.clone(), &hypha_blobstore::Access::public()).await?;
	let declared = hypha_primitives::blake2_256(b"the data set the client paid for");
	let lying_store = hypha_e2e::serve_fixed_bytes(b"not the data set".to_vec())?;
	let uri = |base: &str, digest: &str| {
		Uri::truncate_from(format!("{base}/blobs/{digest}").into_bytes())
	};
	let job_spec = JobSpec {
		kind: WorkloadKind::Training,
		program_digest: real.0,
		program_uri: uri(&market.store_url, &real.to_hex()),
		input_digest: declared,
		input_uri: uri(&format!("http://127.0.0.1:{lying_store}"), &hex::encode(declared)),
		compute_units: 10,
		max_output_bytes: 1 << 20,
		output_key: None,
		model: None,
	};

	let before = Ledger::now(&market.client).await?;
	let events = hypha_client::submit(
		&market.client,
		&api::tx().jobs().submit_job(Static(job_spec), BUDGET, 20),
		&client,
	)
	.await?;
	let job =
		events.find_first::<api::jobs::events::JobSubmitted>().context("no JobSubmitted")??.job;
	market
		.wait_until("the worker refusing the job", async |market| {
			Ok((market.metric("worker-eve", "hypha_worker_jobs_refused_total")? >= 1.0)
				.then_some(()))
		})
		.await?;
	ensure!(
		matches!(market.status(job).await?, JobStatus::Open { .. }),
		"the worker claimed a job it refused"
	);
	market
		.wait_for_status(job, "Refunded", |status| {
			matches!(status, JobStatus::Refunded { .. }).then_some(())
		})
		.await?;
	let after = Ledger::now(&market.client).await?;

	let books = Books::read(&market.client, &before, &after, &[&client, &provider]).await?;
	// The client lost nothing but the fee of its submission; the worker never claimed.
	books.check(&client, 0, 0, 0)?;
	books.check(&provider, 0, 0, 0)?;
	ensure!(
		market.metric("worker-eve", "hypha_worker_jobs_claimed_total")? == 0.0,
		"worker metrics"
	);
	let log = market.daemon("worker-eve")?.process.log();
	ensure!(
		log.contains("job refused") && log.contains("blob digest mismatch"),
		"the worker did not refuse the job for bytes not hashing to its digest:\n{log}"
	);
	Ok(())
}

#[tokio::test]
async fn a_job_whose_output_cannot_fit_its_own_bound_is_refused_before_any_claim() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	// Issue 11, attack 3 (the deadline trap): a client declares an output
	// bound the job cannot meet, so that whoever claims it misses its deadline
	// and pays the client. The worker knows the output's size from the shapes
	// and never claims it.
	let mut market = Market::start("tiny-bound", &["open_timeout=15"]).await?;
	let (client, provider) = (dev::bob(), dev::eve());
	market.start_worker(&provider, &[])?;
	market.wait_for_provider(&provider).await?;
	let spec = market.training_job().await?;

	let before = Ledger::now(&market.client).await?;
	let (job, _) = market.submit(&client, &spec, &["--max-output-bytes", "1"]).await?;
	market
		.wait_until("the worker refusing the job", async |market| {
			Ok((market.metric("worker-eve", "hypha_worker_jobs_refused_total")? >= 1.0)
				.then_some(()))
		})
		.await?;
	ensure!(
		matches!(market.status(job).await?, JobStatus::Open { .. }),
		"the worker claimed a job whose output cannot fit"
	);
	market
		.wait_for_status(job, "Refunded", |status| {
			matches!(status, JobStatus::Refunded { .. }).then_some(())
		})
		.await?;
	let after = Ledger::now(&market.client).await?;
	let books = Books::read(&market.client, &before, &after, &[&client, &provider]).await?;
	// Nobody gains: the client gets its budget back, the provider keeps its stake.
	books.check(&client, 0, 0, 0)?;
	books.check(&provider, 0, 0, 0)?;
	ensure!(
		market.metric("worker-eve", "hypha_worker_jobs_claimed_total")? == 0.0,
		"worker metrics"
	);
	let log = market.daemon("worker-eve")?.process.log();
	ensure!(
		log.contains("more than the 1 it allows"),
		"the worker did not refuse the job for its output bound:\n{log}"
	);
	Ok(())
}

/// A market named `name` with Eve's worker and Ferdie registered as the
/// only verifier but with its daemon down, and one job of Bob's committed
/// and waiting for Ferdie's audit (so that Ferdie has fetched nothing yet).
/// Returns the market, the job and the ledger before the job.
async fn a_job_awaiting_a_stopped_auditor(name: &str) -> Result<(Market, u64, Ledger)> {
	let mut market = Market::start(name, &[]).await?;
	let (client, provider, verifier) = (dev::bob(), dev::eve(), dev::ferdie());
	market.start_worker(&provider, &[])?;
	market.start_verifier(&verifier, &[])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&verifier).await?;
	market.daemon("verifier-ferdie")?.process.kill();
	market.daemons.remove("verifier-ferdie");
	let spec = market.training_job().await?;
	let before = Ledger::now(&market.client).await?;
	let (job, _) = market.submit(&client, &spec, &[]).await?;
	let verifier_id = id(&verifier);
	market
		.wait_for_status(job, "an audit by the verifier", |status| match status {
			JobStatus::Audit { verifiers, .. }
				if verifiers.last().is_some_and(|slot| slot.verifier == verifier_id) =>
			{
				Some(())
			},
			_ => None,
		})
		.await?;
	Ok((market, job, before))
}

#[tokio::test]
async fn draining_verifiers_an_auditor_gets_the_inputs_from_the_provider_when_the_client_withholds_them(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	// Issue 11, attack 4: the client stops serving its program and input once
	// the provider has them, hoping the auditors cannot re-execute and are
	// slashed for not answering. The provider serves the blobs of the jobs
	// it holds, so the auditor gets them there and the job settles.
	// The verifier's daemon is down until the store has gone away, so it
	// cannot fetch the blobs before.
	let (mut market, job, before) = a_job_awaiting_a_stopped_auditor("withheld").await?;
	let (client, provider, verifier) = (dev::bob(), dev::eve(), dev::ferdie());
	market.store.process.kill();
	market.start_verifier(&verifier, &[])?;
	market
		.wait_for_status(job, "Settled", |status| match status {
			JobStatus::Settled { .. } => Some(()),
			JobStatus::Refunded { .. } | JobStatus::Slashed { .. } => Some(()),
			_ => None,
		})
		.await?;
	ensure!(
		matches!(market.status(job).await?, JobStatus::Settled { .. }),
		"job {job} should settle: {:?}",
		market.status(job).await?
	);
	let after = Ledger::now(&market.client).await?;
	let price = PRICE_PER_UNIT * u128::from(market.compute_units(job).await?);
	let books =
		Books::read(&market.client, &before, &after, &[&client, &provider, &verifier]).await?;
	// The auditor answered: it earned its fee and lost nothing.
	books.check(&verifier, VERIFIER_FEE, 0, 0)?;
	books.check(&provider, price, 0, 0)?;
	let log = market.daemon("verifier-ferdie")?.process.log();
	ensure!(
		log.contains("asking the provider"),
		"the verifier did not fall back to the provider:\n{log}"
	);
	Ok(())
}

#[tokio::test]
async fn draining_verifiers_an_auditor_whose_inputs_client_and_provider_both_withhold_says_so_and_loses_nothing(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	// Issue 11, attack 4, the case the provider's mirror does not cover: the
	// client's store and the provider both go away once the provider has
	// committed. The auditor, a single verifier on the chain, can get the
	// inputs from nobody; it answers "inputs unavailable" (committed, as any
	// disagreement) instead of staying silent and being slashed for it. No
	// panel can be drawn, so the job is refunded: nobody is paid, nobody
	// slashed.
	let (mut market, job, before) = a_job_awaiting_a_stopped_auditor("unavailable").await?;
	let (client, provider, verifier) = (dev::bob(), dev::eve(), dev::ferdie());
	market.store.process.kill();
	market.daemon("worker-eve")?.process.kill();
	market.daemons.remove("worker-eve");
	market.start_verifier(&verifier, &[])?;
	market
		.wait_for_status(job, "the end of the job", |status| match status {
			JobStatus::Settled { .. } | JobStatus::Refunded { .. } | JobStatus::Slashed { .. } => {
				Some(())
			},
			_ => None,
		})
		.await?;
	ensure!(
		matches!(market.status(job).await?, JobStatus::Refunded { .. }),
		"job {job} should be refunded: {:?}\n{}",
		market.status(job).await?,
		market.logs()
	);
	let after = Ledger::now(&market.client).await?;
	let books =
		Books::read(&market.client, &before, &after, &[&client, &provider, &verifier]).await?;
	// The auditor answered and lost nothing; the provider is unpaid but
	// keeps its collateral; the client gets everything back.
	books.check(&verifier, 0, 0, 0)?;
	books.check(&provider, 0, 0, 0)?;
	books.check(&client, 0, 0, 0)?;
	let log = market.daemon("verifier-ferdie")?.process.log();
	ensure!(
		log.contains("answering \"inputs unavailable\""),
		"the verifier did not report the inputs unavailable:\n{log}"
	);
	Ok(())
}

/// Charlie (no provider, no verifier) reads `digest` through `job`.
async fn charlie_reads(
	store: &str,
	digest: &hypha_blobstore::Digest,
	job: u64,
) -> Result<Result<Vec<u8>, hypha_blobstore::BlobError>> {
	let charlie = hypha_blobstore::BlobClient::new(store.to_string())?.with_signer(dev::charlie());
	Ok(charlie.get_through_job(digest, 1 << 30, Some(job), None).await)
}

/// Issue 11, attack 10, real processes: a provider commits the right digest
/// and never hands the output over (nothing at its endpoint, no copy in the
/// client's store). `hypha job fetch` says so and points at
/// `hypha job report-undelivered`; after the report the result is audited
/// although its draw (about 5 %) said no, the auditor leaves its own sealed
/// copy in the client's store before it answers, the provider is paid only
/// then, the settled job names the auditor, and the client's fetch reads the
/// auditor's copy, checked against the provider's commitment.
#[tokio::test]
async fn withholding_the_output_is_reported_audited_and_the_client_reads_the_auditors_copy(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	// Audits by the draw only (p from price and collateral), and a challenge
	// window long enough for a client to notice and report.
	let mut market = Market::start("withheld", &["p_min_ppm=1", "challenge_window=60"]).await?;
	let (client, provider, verifier) = (dev::bob(), dev::eve(), dev::ferdie());
	market.start_worker(&provider, &["--withhold-output"])?;
	market.start_verifier(&verifier, &[])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&verifier).await?;
	let spec = market.training_job().await?;
	let (job, _) = market.submit(&client, &spec, &["--seal"]).await?;
	let committed_before_the_draw = market
		.wait_for_status(job, "a committed result", |status| match status {
			JobStatus::Committed { .. } => Some(true),
			JobStatus::Audit { .. } => Some(false),
			_ => None,
		})
		.await?;
	let url = market.url();
	let out = market.dir.join(format!("fetched-{job}"));
	let (job_arg, out_arg) = (job.to_string(), out.display().to_string());
	let fetch_args =
		["job", "fetch", &job_arg, "--url", &url, "--seed", "//Bob", "--out", &out_arg];
	if committed_before_the_draw && matches!(market.status(job).await?, JobStatus::Committed { .. })
	{
		let refused = hypha_cli_fails(&fetch_args).await?;
		ensure!(refused.contains("holds no copy"), "{refused}");
		let report = ["job", "report-undelivered", &job_arg, "--url", &url, "--seed", "//Bob"];
		match hypha_cli(&report).await {
			Ok(reported) => {
				ensure!(refused.contains("report-undelivered"), "{refused}");
				ensure!(reported.contains("will be audited"), "{reported}");
			},
			// The draw audited on its own between the two commands. The
			// report ran in a best block and `status` reads the finalized
			// one, so the audit may show there a block or two later.
			Err(error) => {
				ensure!(
					format!("{error:#}").contains("NotCommitted"),
					"the report failed for another reason: {error:#}\n{}",
					market.logs()
				);
				market
					.wait_for_status(job, "the audit the draw started", |status| {
						(!matches!(status, JobStatus::Committed { .. })).then_some(())
					})
					.await?;
			},
		}
	}
	// (A draw that audited on its own, one time in twenty, takes the same
	// path from here: every auditor that backs a provider leaves its copy.)
	let auditors = market
		.wait_for_status(job, "settlement", |status| match status {
			JobStatus::Settled { auditors, .. } => Some(auditors.clone()),
			_ => None,
		})
		.await?;
	ensure!(auditors.to_vec() == vec![id(&verifier)], "settled on {auditors:?}");
	let verifier_log = market.daemon("verifier-ferdie")?.process.log();
	ensure!(verifier_log.contains("output deposited in the client's store"), "{verifier_log}");
	ensure!(market.metric("verifier-ferdie", "hypha_verifier_output_copies_total")? >= 1.0);
	let worker_log = market.daemon("worker-eve")?.process.log();
	ensure!(!worker_log.contains("output deposited in the client's store"), "{worker_log}");
	let local = market.fetch_and_rerun(job, &spec).await?;
	ensure!(local.contains("digest matches"), "{local}");
	Ok(())
}

#[tokio::test]
async fn a_private_job_is_read_by_its_provider_and_auditor_and_by_no_stranger_and_its_output_outlives_the_worker(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	// Issue 14, item 4: `hypha job submit --private` uploads the program and
	// input readable by the client only; the store (run with --node) lets
	// the job's provider and its auditor read them through the job, checked
	// against the chain, and nobody else.
	let mut market = Market::start("private", &[]).await?;
	let (client, provider, verifier, stranger) =
		(dev::bob(), dev::eve(), dev::ferdie(), dev::charlie());
	market.start_worker(&provider, &[])?;
	market.start_verifier(&verifier, &[])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&verifier).await?;
	let spec = market.training_job().await?;
	let (job, output) = market.submit(&client, &spec, &["--private", "--wait"]).await?;
	ensure!(output.contains(&format!("job {job} settled")), "{output}\n{}", market.logs());
	ensure!(output.contains("audited: yes: 1 of 1 verdicts agreed"), "{output}");
	// Item 5: the worker left a copy of the output in the client's store
	// before committing, so the client gets it after the worker is gone.
	let worker_log = market.daemon("worker-eve")?.process.log();
	ensure!(worker_log.contains("output deposited in the client's store"), "{worker_log}");
	market.daemon("worker-eve")?.process.kill();
	market.daemons.remove("worker-eve");
	let local = market.fetch_and_rerun(job, &spec).await?;
	ensure!(local.contains("digest matches"), "{local}");

	let at = market.client.at_current_block().await?;
	let record = at.storage().fetch(api::storage().jobs().jobs(), (job,)).await?.decode()?;
	// The output was sealed to Bob (`--private` implies `--seal`): the copy
	// in the store, on its disk too, is ciphertext that only Bob's key
	// opens, and what it opens to is what the provider committed to.
	let bob_key = hypha_agent::seal::OutputKey::from_secret_uri("//Bob");
	ensure!(record.spec.output_key == Some(bob_key.public()), "the job names Bob's output key");
	let hypha_client::JobStatus::Settled { provider: paid, commitment, .. } = &*record.status
	else {
		anyhow::bail!("job {job} is not settled");
	};
	let bob_store =
		hypha_blobstore::BlobClient::new(market.store_url.clone())?.with_signer(client.clone());
	let deposited = bob_store.outputs_of(job, &provider.public_key().0).await?;
	ensure!(deposited.len() == 1, "one output copy in the store: {deposited:?}");
	let sealed = bob_store.get(&deposited[0], 1 << 20).await?;
	let on_disk = std::fs::read(
		market
			.dir
			.join("store/blobs")
			.join(&deposited[0].to_hex()[..2])
			.join(deposited[0].to_hex()),
	)?;
	ensure!(on_disk == sealed, "the store's file is the sealed output");
	let opened = bob_key.open(job, &sealed)?;
	ensure!(opened.len() + hypha_agent::seal::OVERHEAD == sealed.len());
	let committed = |bytes: &[u8]| {
		hypha_client::commitment(job, paid, &hypha_primitives::blake2_256(bytes)) == *commitment
	};
	ensure!(committed(&opened), "the opened output is the committed one");
	ensure!(!committed(&sealed), "the store holds no plaintext output");
	ensure!(
		hypha_agent::seal::OutputKey::from_secret_uri("//Charlie").open(job, &sealed).is_err(),
		"a stranger's key opened the sealed output"
	);
	let program = hypha_blobstore::Digest(record.spec.program_digest);
	let input = hypha_blobstore::Digest(record.spec.input_digest);
	let reader = |key: Option<Keypair>| -> Result<hypha_blobstore::BlobClient> {
		let store = hypha_blobstore::BlobClient::new(market.store_url.clone())?;
		Ok(match key {
			Some(key) => store.with_signer(key),
			None => store,
		})
	};
	let status_of = |result: Result<Vec<u8>, hypha_blobstore::BlobError>| match result {
		Ok(_) => 200,
		Err(hypha_blobstore::BlobError::Status { status, .. }) => status,
		Err(other) => panic!("unexpected error: {other}"),
	};
	for digest in [program, input] {
		// The client reads its own blobs.
		ensure!(status_of(reader(Some(client.clone()))?.get(&digest, 1 << 30).await) == 200);
		// Without a signature: 401. A stranger, directly or naming the job: 403.
		ensure!(status_of(reader(None)?.get(&digest, 1 << 30).await) == 401);
		let charlie = reader(Some(stranger.clone()))?;
		ensure!(status_of(charlie.get(&digest, 1 << 30).await) == 403);
		ensure!(status_of(charlie.get_through_job(&digest, 1 << 30, Some(job), None).await) == 403);
		// The job has ended: its provider and auditor may no longer read.
		for party in [&provider, &verifier] {
			let party = reader(Some(party.clone()))?;
			ensure!(
				status_of(party.get_through_job(&digest, 1 << 30, Some(job), None).await) == 403
			);
		}
	}
	// A stranger who posts a job naming Bob's private blob gains nothing:
	// it is that job's client, not an owner of the blob, so even a bonded
	// provider may not read the blob through that job. Through an open job
	// of Bob's own, every registered provider may (it must check the job
	// before claiming it). Eve's worker is gone, so neither job is claimed.
	let spec_of = |record: &hypha_client::Job| (*record.spec).clone();
	let post = async |who: &Keypair| -> Result<u64> {
		let events = hypha_client::submit(
			&market.client,
			&api::tx().jobs().submit_job(Static(spec_of(&record)), BUDGET, 20),
			who,
		)
		.await?;
		Ok(events.find_first::<api::jobs::events::JobSubmitted>().context("no JobSubmitted")??.job)
	};
	let strangers_job = post(&stranger).await?;
	let bobs_job = post(&client).await?;
	let eve = reader(Some(provider.clone()))?;
	ensure!(
		status_of(eve.get_through_job(&program, 1 << 30, Some(strangers_job), None).await) == 403,
		"a provider read a private blob through a stranger's job naming it"
	);
	ensure!(
		status_of(eve.get_through_job(&program, 1 << 30, Some(bobs_job), None).await) == 200,
		"a registered provider should read the blobs of its owner's open job"
	);
	ensure!(
		status_of(charlie_reads(&market.store_url, &program, bobs_job).await?) == 403,
		"a stranger who is no provider read a private blob through an open job"
	);

	// On disk the store keeps the blob under the store's directory, nowhere
	// a stranger's HTTP request reaches.
	ensure!(market
		.dir
		.join("store/blobs")
		.join(&program.to_hex()[..2])
		.join(program.to_hex())
		.exists());
	Ok(())
}

/// Issue 13: a client submits four jobs in one transaction (`hypha job
/// submit` with four specs: `Utility::batch_all`), one worker with
/// `--max-jobs 4` works on them at once (each waits 3 s after its claim,
/// so they can only overlap if the worker runs them side by side), and all
/// four settle.
#[tokio::test]
async fn four_jobs_submitted_in_one_transaction_run_side_by_side_on_one_worker_and_all_settle(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut market = Market::start("batch", &[]).await?;
	let (client, provider, verifier) = (dev::bob(), dev::eve(), dev::ferdie());
	market.start_worker(&provider, &["--max-jobs", "4", "--compute-delay-ms", "3000"])?;
	market.start_verifier(&verifier, &[])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&verifier).await?;
	let spec = market.training_job().await?.display().to_string();

	let nonce = async |market: &Market| -> Result<u32> {
		let at = market.client.at_current_block().await?;
		let account = at.storage().fetch(api::storage().system().account(), (id(&client),)).await?;
		Ok(account.decode()?.nonce)
	};
	let nonce_before = nonce(&market).await?;
	let (url, seed, budget) = (market.url(), seed_of(&client), format!("{BUDGET} units"));
	let mut args = vec!["job", "submit"];
	args.extend([spec.as_str(); 4]);
	args.extend([
		"--url",
		&url,
		"--seed",
		&seed,
		"--store",
		&market.store_url,
		"--budget",
		&budget,
	]);
	let output = hypha_cli(&args).await.with_context(|| market.logs())?;
	let jobs: Vec<u64> = output
		.lines()
		.filter_map(|line| line.strip_prefix("job ")?.split_whitespace().next()?.parse().ok())
		.collect();
	ensure!(jobs.len() == 4, "four job ids expected:\n{output}");
	ensure!(
		nonce(&market).await? == nonce_before + 1,
		"the four jobs took more than one transaction"
	);

	let mut most_in_flight = 0.0f64;
	for &job in &jobs {
		market
			.wait_until(&format!("job {job} ending"), async |market| {
				most_in_flight =
					most_in_flight.max(market.metric("worker-eve", "hypha_worker_jobs_in_flight")?);
				Ok(market.status(job).await?.is_final().then_some(()))
			})
			.await?;
		let status = market.status(job).await?;
		ensure!(status.name() == "settled", "job {job} ended {}", status.name());
	}
	ensure!(
		most_in_flight >= 2.0,
		"the worker never had two jobs in flight (at most {most_in_flight})"
	);
	ensure!(
		market.metric("worker-eve", "hypha_worker_jobs_claimed_total")? == 4.0,
		"worker metrics"
	);
	// The claims overlapped: every job was claimed before the first commitment.
	let log = market.daemon("worker-eve")?.process.log();
	let claimed: Vec<usize> =
		log.match_indices("claimed (in a best block").map(|(at, _)| at).collect();
	let first_commit = log.find("result committed").context("no commitment in the log")?;
	ensure!(
		claimed.len() == 4 && claimed.iter().filter(|at| **at < first_commit).count() >= 2,
		"the worker did not overlap its jobs:\n{log}"
	);
	Ok(())
}

/// The Python with the official `openai` package that scripts/setup.sh
/// installs (`make test` runs it first).
fn openai_python() -> Result<PathBuf> {
	let home = std::env::var("HOME").context("HOME is not set")?;
	let python = PathBuf::from(home).join(".cache/hypha-tools/openai-venv/bin/python");
	ensure!(
		python.exists(),
		"{} does not exist: run scripts/setup.sh (make test does), which installs the openai package",
		python.display()
	);
	Ok(python)
}

/// Runs a command with a time bound; its stdout.
async fn run_for(program: &std::path::Path, args: &[&str], limit: Duration) -> Result<String> {
	let output = tokio::time::timeout(
		limit,
		tokio::process::Command::new(program).args(args).kill_on_drop(true).output(),
	)
	.await
	.with_context(|| format!("{} {args:?} ran past {limit:?}", program.display()))??;
	ensure!(
		output.status.success(),
		"{} {args:?} failed: {}\n{}",
		program.display(),
		String::from_utf8_lossy(&output.stdout),
		String::from_utf8_lossy(&output.stderr)
	);
	Ok(String::from_utf8(output.stdout)?)
}

/// `text` is the committed `fetched` text, or its start cut at the chat
/// endpoint's turn marker.
fn is_committed_text(text: &str, fetched: &str) -> bool {
	text == fetched || fetched.strip_prefix(text).is_some_and(|rest| rest.starts_with("\nUser:"))
}

#[tokio::test]
async fn openai_clients_buy_plain_and_streamed_completions_through_the_gateway() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let python = openai_python()?;
	let mut market = Market::start("gateway", &[]).await?;
	let (buyer, provider, verifier) = (dev::charlie(), dev::eve(), dev::ferdie());
	// A slow device (100 ms a token), so that the tokens of a completion
	// come one by one, as from a real model on a real GPU.
	market.start_worker(&provider, &["--token-delay-ms", "100"])?;
	market.start_verifier(&verifier, &[])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&verifier).await?;
	let model = market.dir.join("fortune-lm.hypha.safetensors").display().to_string();
	let checkpoint = hypha_e2e::repo_root().join("data/fortune-lm").display().to_string();
	hypha_cli(&["model", "import", &checkpoint, "--out", &model]).await?;

	// The gateway, paying as Charlie, with one API key.
	let key = "sk-hypha-e2e-0123456789abcdef";
	let port = hypha_e2e::free_port()?;
	let listen = format!("127.0.0.1:{port}");
	let url = market.url();
	let gateway_args: Vec<String> = [
		"--listen",
		&listen,
		"--node",
		&url,
		"--store",
		&market.store_url,
		"--seed",
		"//Charlie",
		"--model",
		&format!("fortune-lm={model}"),
		"--api-key",
		&format!("{key}=50"),
		"--max-price-per-unit",
		"0.01",
	]
	.iter()
	.map(|a| a.to_string())
	.collect();
	let binary = hypha_e2e::binary("hypha-gateway")?;
	let gateway = hypha_e2e::Process::start("gateway", &binary, &gateway_args)?;
	market.daemons.insert("gateway".into(), Daemon { process: gateway, port });
	hypha_e2e::wait_for_port(port, STARTUP).await.with_context(|| market.logs())?;
	let before = Ledger::now(&market.client).await?;

	// The official client: a plain completion, a streamed chat, a chat, errors.
	let script = hypha_e2e::repo_root().join("tests/gateway/openai_client.py");
	let base = format!("http://{listen}/v1");
	let report = run_for(
		&python,
		&[&script.display().to_string(), &base, key, "fortune-lm"],
		Duration::from_secs(300),
	)
	.await
	.with_context(|| market.logs())?;
	let report: serde_json::Value = serde_json::from_str(report.trim())?;
	ensure!(report["models"] == serde_json::json!(["fortune-lm"]), "{report}");
	ensure!(report["unknown_model"] == "model_not_found", "{report}");
	ensure!(report["wrong_key"] == "invalid_api_key", "{report}");
	ensure!(report["n2"] == "unsupported_parameter", "{report}");
	let stream = &report["stream"];
	ensure!(
		stream["finish_reason"].is_string()
			&& stream["usage"]["completion_tokens"].as_u64() > Some(0),
		"{report}"
	);
	ensure!(
		stream["deltas"].as_u64() >= Some(2),
		"the text came in one piece, not streamed: {report}"
	);
	ensure!(report["completion"]["usage"]["prompt_tokens"].as_u64() > Some(0), "{report}");

	// curl, plain and streamed.
	let curl = PathBuf::from("curl");
	let post = |body: &str| {
		vec![
			"-sS".to_string(),
			"-N".into(),
			"-H".into(),
			format!("Authorization: Bearer {key}"),
			"-H".into(),
			"Content-Type: application/json".into(),
			"-d".into(),
			body.to_string(),
			format!("{base}/completions"),
		]
	};
	let plain =
		post(r#"{"model":"fortune-lm","prompt":"A friend is","max_tokens":10,"temperature":0}"#);
	let plain =
		run_for(&curl, &plain.iter().map(String::as_str).collect::<Vec<_>>(), PATIENCE).await?;
	let plain: serde_json::Value = serde_json::from_str(&plain).with_context(|| plain.clone())?;
	let streamed = post(
		r#"{"model":"fortune-lm","prompt":"A friend is","max_tokens":10,"temperature":0,"stream":true}"#,
	);
	let streamed =
		run_for(&curl, &streamed.iter().map(String::as_str).collect::<Vec<_>>(), PATIENCE).await?;
	let events: Vec<&str> = streamed.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
	ensure!(events.last() == Some(&"[DONE]"), "no [DONE] at the end:\n{streamed}");
	let mut curl_text = String::new();
	let mut curl_job = None;
	for event in &events[..events.len() - 1] {
		let chunk: serde_json::Value = serde_json::from_str(event)?;
		curl_text.push_str(chunk["choices"][0]["text"].as_str().unwrap_or_default());
		if let Some(job) = chunk["hypha"]["job"].as_u64() {
			curl_job = Some(job);
		}
	}
	// Greedy decoding: the same prompt gives the same text, streamed or not.
	ensure!(plain["choices"][0]["text"] == curl_text.as_str(), "{plain} vs {curl_text:?}");

	// Every text is what `hypha job fetch` reads for the same job, checked
	// against the commitment.
	let texts = [
		(report["completion"]["job"].as_u64(), report["completion"]["text"].as_str()),
		(stream["job"].as_u64(), stream["text"].as_str()),
		(report["chat"]["job"].as_u64(), report["chat"]["text"].as_str()),
		(plain["hypha"]["job"].as_u64(), plain["choices"][0]["text"].as_str()),
		(curl_job, Some(curl_text.as_str())),
	];
	let mut jobs = Vec::new();
	for (job, text) in texts {
		let (job, text) = (job.context("a response without its job")?, text.context("no text")?);
		market
			.wait_for_status(job, "settled", |s| {
				matches!(s, JobStatus::Settled { .. }).then_some(())
			})
			.await?;
		let out = market.dir.join(format!("fetched-{job}"));
		let fetched = hypha_cli(&[
			"job",
			"fetch",
			&job.to_string(),
			"--url",
			&url,
			"--seed",
			"//Charlie",
			"--model",
			&model,
			"--out",
			&out.display().to_string(),
		])
		.await?;
		let line = fetched.lines().find_map(|l| l.strip_prefix("text: ")).context("no text")?;
		let committed: String = serde_json::from_str(line).with_context(|| line.to_string())?;
		ensure!(
			is_committed_text(text, &committed),
			"job {job}: the gateway said {text:?}, the commitment holds {committed:?}"
		);
		jobs.push(job);
	}
	// Streamed before settlement: the gateway relayed the provider's tokens.
	let log = market.daemon("gateway")?.process.log();
	ensure!(log.contains("streamed completion delivered") && !log.contains("streamed=0 "), "{log}");
	ensure!(market.metric("gateway", "hypha_gateway_jobs_total")? == 5.0, "gateway metrics");
	ensure!(
		market.metric("gateway", "hypha_gateway_time_to_first_token_seconds_count")? == 2.0,
		"gateway metrics"
	);
	// How the job ended, through the gateway (with the key only).
	let unkeyed = hypha_e2e::http_get(port, &format!("/v1/hypha/jobs/{}", jobs[0]))?;
	ensure!(unkeyed.contains("401") && unkeyed.contains("invalid_api_key"), "{unkeyed}");
	let keyed = run_for(
		&curl,
		&[
			"-sS",
			"-H",
			&format!("Authorization: Bearer {key}"),
			&format!("{base}/hypha/jobs/{}", jobs[0]),
		],
		PATIENCE,
	)
	.await?;
	let keyed: serde_json::Value = serde_json::from_str(&keyed)?;
	ensure!(keyed["state"] == "settled" && keyed["audited"] == true, "{keyed}");

	// Balances move as for any job: the price and one verifier fee (every
	// result is audited here) for each, the rest refunded.
	let after = Ledger::now(&market.client).await?;
	let mut price = 0;
	for job in &jobs {
		price += PRICE_PER_UNIT * u128::from(market.compute_units(*job).await?);
	}
	let fees = VERIFIER_FEE * jobs.len() as u128;
	let books =
		Books::read(&market.client, &before, &after, &[&buyer, &provider, &verifier]).await?;
	books.check(&buyer, 0, price + fees, 0)?;
	books.check(&provider, price, 0, 0)?;
	books.check(&verifier, fees, 0, 0)?;

	// A provider that commits another output than it computed: the stream
	// ends in an error, never `[DONE]`, and the client is made whole.
	drop(market.daemons.remove("worker-eve")); // killed on drop
	market.start_worker(&dev::dave(), &["--cheat"])?;
	market.wait_for_provider(&dev::dave()).await?;
	let cheated = run_for(
		&curl,
		&post(r#"{"model":"fortune-lm","prompt":"Luck is","max_tokens":6,"stream":true}"#)
			.iter()
			.map(String::as_str)
			.collect::<Vec<_>>(),
		PATIENCE,
	)
	.await?;
	ensure!(!cheated.contains("[DONE]") && cheated.contains("output_rejected"), "{cheated}");
	Ok(())
}

/// Runs `hypha` with `args` plus the market's node and `seed`'s key.
async fn hypha_as(market: &Market, seed: &str, args: &[&str]) -> Result<String> {
	let url = market.url();
	let mut all = args.to_vec();
	all.extend_from_slice(&["--url", &url, "--seed", seed]);
	hypha_cli(&all).await.with_context(|| market.logs())
}

/// Fetches `job`'s output as Bob into `<dir>/fetched-<job>`; the path of its output.bin.
async fn fetch_output(market: &Market, job: u64) -> Result<PathBuf> {
	let out = market.dir.join(format!("fetched-{job}"));
	let out_arg = out.display().to_string();
	let fetched =
		hypha_as(market, "//Bob", &["job", "fetch", &job.to_string(), "--out", &out_arg]).await?;
	ensure!(fetched.contains("matches the provider's commitment"), "{fetched}");
	Ok(out.join("output.bin"))
}

/// Issue 17: a model fine-tuned twice on the market, with its lineage and
/// evaluations on chain, every link checked by the chain, a forged link
/// refused, `hypha model verify` reproducing a version, and a referendum's
/// deprecation shown by the registry.
#[tokio::test]
async fn a_model_fine_tuned_twice_on_the_market_has_a_verified_lineage_that_reproduces(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut market = Market::start("registry", &[]).await?;
	let (owner, provider, verifier) = (dev::bob(), dev::eve(), dev::ferdie());
	market.start_worker(&provider, &[])?;
	market.start_verifier(&verifier, &[])?;
	market.wait_for_provider(&provider).await?;
	market.wait_for_verifier(&verifier).await?;
	let store = market.store_url.clone();
	let data = hypha_e2e::repo_root().join("data/digits.safetensors").display().to_string();

	// v0: the digits job's initial weights, from outside the market.
	let train = market.training_job().await?;
	let job_dir = train.parent().context("the spec's directory")?.to_path_buf();
	let init = job_dir.join("init.safetensors").display().to_string();
	let registered = hypha_as(
		&market,
		"//Bob",
		&[
			"model",
			"register",
			"digits@v0",
			"--file",
			&init,
			"--store",
			&store,
			"--architecture",
			"hypha-mlp",
			"--license",
			"Apache-2.0",
		],
	)
	.await?;
	ensure!(registered.contains("registered digits@v0"), "{registered}");

	// Two fine-tunes on the market, each from the version before: the
	// second starts from the first one's output as committed (output.bin).
	let mut outputs = Vec::new();
	let mut jobs: Vec<String> = Vec::new();
	let mut spec = train.clone();
	for (parent, version) in [("v0", "v1"), ("v1", "v2")] {
		let model = format!("digits@{parent}");
		let (job, out) = market.submit(&owner, &spec, &["--model", &model, "--wait"]).await?;
		ensure!(out.contains(&format!("job {job} settled")), "{out}\n{}", market.logs());
		let output = fetch_output(&market, job).await?;
		let file = output.display().to_string();
		if version == "v2" {
			let push_refused = async |job: &str, parent: &str| {
				let url = market.url();
				hypha_cli_fails(&[
					"model",
					"push-version",
					"digits@v2",
					"--job",
					job,
					"--parent",
					parent,
					"--file",
					&file,
					"--store",
					&store,
					"--url",
					&url,
					"--seed",
					"//Bob",
				])
				.await
			};
			// A forged link: job 2 started from v1, not v0...
			let forged = push_refused(&job.to_string(), "v0").await?;
			ensure!(forged.contains("NotTrainedFromParent"), "{forged}");
			// ...and job 1's output is not job 2's.
			let mismatched = push_refused(&jobs[0], "v1").await?;
			ensure!(mismatched.contains("OutputMismatch"), "{mismatched}");
		}
		let pushed = hypha_as(
			&market,
			"//Bob",
			&[
				"model",
				"push-version",
				&format!("digits@{version}"),
				"--job",
				&job.to_string(),
				"--file",
				&file,
				"--store",
				&store,
			],
		)
		.await?;
		ensure!(pushed.contains(&format!("parent: digits@{parent}")), "{pushed}");
		ensure!(pushed.contains(&format!("trained by job {job}")), "{pushed}");
		// The next fine-tune starts from this version's file.
		let next = job_dir.join(format!("train-from-{version}.toml"));
		let text =
			std::fs::read_to_string(&train)?.replace("\"init.safetensors\"", &format!("{file:?}"));
		ensure!(text.contains(&file), "the spec names its initial weights differently:\n{text}");
		std::fs::write(&next, text)?;
		spec = next;
		outputs.push(output);
		jobs.push(job.to_string());
	}

	// An evaluation of each trained version: the inference job on the test
	// split, run on the market, its accuracy read from the audited output.
	let mut accuracies = Vec::new();
	for (version, trained) in ["v1", "v2"].iter().zip(&outputs) {
		let dir = market.dir.join(format!("eval-{version}"));
		let (trained, dir_arg) = (trained.display().to_string(), dir.display().to_string());
		hypha_cli(&["digits", "model", "--data", &data, "--trained", &trained, "--out", &dir_arg])
			.await?;
		let model = format!("digits@{version}");
		let (job, out) =
			market.submit(&owner, &dir.join("infer.toml"), &["--model", &model, "--wait"]).await?;
		ensure!(out.contains(&format!("job {job} settled")), "{out}\n{}", market.logs());
		let output = fetch_output(&market, job).await?.display().to_string();
		let scored =
			hypha_cli(&["digits", "accuracy", "--data", &data, "--output", &output]).await?;
		let accuracy = scored
			.lines()
			.find_map(|line| line.strip_prefix("accuracy: "))
			.and_then(|value| value.split_whitespace().next())
			.with_context(|| format!("no accuracy in {scored}"))?
			.to_string();
		let recorded = hypha_as(
			&market,
			"//Bob",
			&[
				"model",
				"evaluate",
				&model,
				"--job",
				&job.to_string(),
				"--output",
				&output,
				"--metric",
				"accuracy",
				"--value",
				&accuracy,
			],
		)
		.await?;
		ensure!(recorded.contains("recorded: accuracy"), "{recorded}");
		accuracies.push(accuracy);
	}

	// The lineage: two links verified on chain, each with its evaluation.
	let log = hypha_as(&market, "//Bob", &["model", "log", "digits"]).await?;
	println!("hypha model log digits:\n{log}");
	ensure!(log.matches("[link verified on chain]").count() == 2, "{log}");
	ensure!(log.contains("* digits@v0") && log.contains("(uploaded)"), "{log}");
	ensure!(log.contains("  * digits@v1 ") && log.contains("    * digits@v2 "), "{log}");
	for accuracy in &accuracies {
		let shown = super_trim(accuracy);
		ensure!(log.contains(&format!("evaluation: accuracy {shown}")), "{shown} in {log}");
	}

	// Anyone re-runs v2's training job and gets its digest.
	let verified = hypha_as(&market, "//Charlie", &["model", "verify", "digits@v2"]).await?;
	println!("hypha model verify digits@v2:\n{verified}");
	ensure!(verified.contains("rebuilt to the same digest"), "{verified}");
	ensure!(verified.contains("reproduced"), "{verified}");

	// A referendum (root here: sudo on the dev chain) deprecates v1; the
	// owner cannot lift it, the registry shows it, and a job can no longer
	// name it.
	use api::runtime_types::{hypha_runtime::RuntimeCall, pallet_models::pallet::Call};
	let deprecate = RuntimeCall::Models(Call::deprecate {
		name: hypha_client::models::bytes("digits"),
		version: hypha_client::models::bytes("v1"),
		reason: hypha_client::models::bytes("trained on data it had no right to use"),
	});
	hypha_client::submit(&market.client, &api::tx().sudo().sudo(deprecate), &dev::alice()).await?;
	let refused = hypha_cli_fails(&[
		"model",
		"deprecate",
		"digits@v1",
		"--reason",
		"fine",
		"--url",
		&market.url(),
		"--seed",
		"//Bob",
	])
	.await?;
	ensure!(refused.contains("AlreadyDeprecated"), "{refused}");
	let shown = hypha_as(&market, "//Bob", &["model", "show", "digits@v1"]).await?;
	ensure!(
		shown.contains("DEPRECATED")
			&& shown
				.contains("by governance (a referendum): trained on data it had no right to use"),
		"{shown}"
	);
	let eval_v1 = market.dir.join("eval-v1/infer.toml");
	let seed = seed_of(&owner);
	let (spec_arg, url) = (eval_v1.display().to_string(), market.url());
	let named_deprecated = hypha_cli_fails(&[
		"job",
		"submit",
		&spec_arg,
		"--model",
		"digits@v1",
		"--url",
		&url,
		"--seed",
		&seed,
		"--store",
		&store,
	])
	.await?;
	ensure!(named_deprecated.contains("DEPRECATED"), "{named_deprecated}");

	// The explorer shows the same lineage.
	let port = hypha_e2e::free_port()?;
	let args = ["explorer", "--listen", &format!("127.0.0.1:{port}"), "--url", &market.url()]
		.map(String::from);
	let mut explorer =
		hypha_e2e::Process::start("registry-explorer", &hypha_e2e::binary("hypha")?, &args)?;
	hypha_e2e::wait_for_port(port, STARTUP).await?;
	let deadline = Instant::now() + STARTUP;
	let page = loop {
		explorer.ensure_running()?;
		let response = hypha_e2e::http_get(port, "/model/digits")?;
		if response.lines().next().is_some_and(|status| status.contains(" 200")) {
			break response;
		}
		ensure!(Instant::now() < deadline, "no lineage page: {response}\n{}", explorer.log_tail());
		tokio::time::sleep(Duration::from_millis(250)).await;
	};
	ensure!(page.matches("link verified on chain").count() == 2, "{page}");
	ensure!(
		page.contains("digits@v2") && page.contains("trained on data it had no right to use"),
		"{page}"
	);
	let search = hypha_e2e::http_get(port, "/search?q=digits@v1")?;
	ensure!(search.contains("303") && search.contains("/model/digits"), "{search}");
	Ok(())
}

/// An accuracy as `hypha model` prints it: to a millionth, without
/// trailing zeros.
fn super_trim(value: &str) -> String {
	let micro = (value.parse::<f64>().unwrap_or(f64::NAN) * 1e6).round();
	let text = format!("{:.6}", micro / 1e6);
	let text = text.trim_end_matches('0');
	text.strip_suffix('.').unwrap_or(text).to_string()
}
