//! A whole market driven from outside, for `market-bench`, `market-soak`
//! and the short soak in `make test`: daemon accounts funded in one batch,
//! jobs submitted in batches through `hypha job submit`, the chain's
//! transfer ceiling, and a [`Tracker`] that reads every finalized block in
//! order, so that the life of every job (submitted, claimed, committed,
//! audited, ended) is known with block numbers and block timestamps, and
//! every fee and burn is counted.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{api, AccountId, Client};

use crate::{finalized_number, hypha_cli, start_verifier, start_worker, Daemon};

/// A point in a job's life: the finalized block it happened in, and that
/// block's timestamp in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
	/// The block number.
	pub block: u32,
	/// `pallet_timestamp`'s time of the block.
	pub millis: u64,
}

/// How a job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
	/// The provider was paid.
	Settled,
	/// The client got its budget back without a result.
	Refunded,
	/// The provider's result was proven wrong.
	Slashed,
}

/// What the tracker saw of one job.
#[derive(Clone, Debug, Default)]
pub struct Life {
	/// `JobSubmitted`.
	pub submitted: Option<Stamp>,
	/// The first `JobClaimed`.
	pub claimed: Option<Stamp>,
	/// The first `ResultCommitted`.
	pub committed: Option<Stamp>,
	/// `SamplingDrawn`: whether the result was audited.
	pub audited: Option<bool>,
	/// `SamplingDrawn`: the audit probability.
	pub probability_ppm: Option<u32>,
	/// `JobSettled`, `JobRefunded` or `ProviderSlashed`.
	pub ended: Option<(Stamp, End)>,
	/// `JobClaimed` events (more than one after a missed deadline).
	pub claims: u32,
	/// The providers whose deadline passed on this job.
	pub missed_by: Vec<AccountId>,
}

/// Money the chain moved outside the jobs' escrow in one block, and the
/// protocol's punishments.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockTotals {
	/// Transaction fees (`TransactionFeePaid`, tips included): burned.
	pub fees: u128,
	/// `DeadlineMissed` and `VerifierAbsent` slashes: burned.
	pub burned: u128,
	/// `DeadlineMissed` events.
	pub deadlines_missed: u32,
	/// `VerifierAbsent` events.
	pub verifiers_absent: u32,
	/// `VerifierSlashed` events (a verifier on the losing side of a dispute).
	pub verifiers_slashed: u32,
	/// `balances::Transfer` events.
	pub transfers: u32,
}

impl BlockTotals {
	fn add(&mut self, other: &BlockTotals) {
		self.fees += other.fees;
		self.burned += other.burned;
		self.deadlines_missed += other.deadlines_missed;
		self.verifiers_absent += other.verifiers_absent;
		self.verifiers_slashed += other.verifiers_slashed;
		self.transfers += other.transfers;
	}
}

#[derive(Default)]
struct State {
	lives: HashMap<u64, Life>,
	/// One entry per block read, in order.
	blocks: Vec<(Stamp, BlockTotals)>,
	/// The last error reading a block (the tracker retries).
	error: Option<String>,
}

/// Reads every finalized block after a given one, in order and without
/// gaps (by number, not from a subscription that may skip blocks while the
/// node is busy), and keeps what happened to each job.
pub struct Tracker {
	state: Arc<Mutex<State>>,
	task: tokio::task::JoinHandle<()>,
}

impl Drop for Tracker {
	fn drop(&mut self) {
		self.task.abort();
	}
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
	state.lock().unwrap_or_else(|p| p.into_inner())
}

impl Tracker {
	/// Starts reading `client`'s finalized blocks from `after + 1` on.
	pub fn start(client: Client, after: u32) -> Self {
		let state: Arc<Mutex<State>> = Default::default();
		let task = tokio::spawn(follow(client, state.clone(), after + 1));
		Tracker { state, task }
	}

	/// The last block read, if any.
	pub fn last(&self) -> Option<Stamp> {
		lock(&self.state).blocks.last().map(|(stamp, _)| *stamp)
	}

	/// The lives of `jobs`, in order (an unseen job has an empty life).
	pub fn lives(&self, jobs: &[u64]) -> Vec<Life> {
		let state = lock(&self.state);
		jobs.iter().map(|job| state.lives.get(job).cloned().unwrap_or_default()).collect()
	}

	/// What the blocks `from..=to` moved, with their stamps.
	pub fn blocks(&self, from: u32, to: u32) -> Vec<(Stamp, BlockTotals)> {
		let state = lock(&self.state);
		state.blocks.iter().filter(|(s, _)| s.block >= from && s.block <= to).cloned().collect()
	}

	/// The sum of [`Tracker::blocks`].
	pub fn totals(&self, from: u32, to: u32) -> BlockTotals {
		let mut sum = BlockTotals::default();
		for (_, totals) in self.blocks(from, to) {
			sum.add(&totals);
		}
		sum
	}

	/// Waits until every job in `jobs` has ended.
	pub async fn wait_ended(&self, jobs: &[u64], patience: Duration) -> Result<()> {
		self.wait(patience, || {
			let state = lock(&self.state);
			let open = jobs
				.iter()
				.filter(|job| state.lives.get(job).is_none_or(|life| life.ended.is_none()));
			let open: Vec<u64> = open.copied().collect();
			(
				open.is_empty(),
				format!("{} of {} jobs did not end: {open:?}", open.len(), jobs.len()),
			)
		})
		.await
	}

	/// Waits until block `block` has been read.
	pub async fn wait_block(&self, block: u32, patience: Duration) -> Result<()> {
		self.wait(patience, || {
			let last = self.last().map_or(0, |s| s.block);
			(last >= block, format!("finalized block {block} was not read (last read: {last})"))
		})
		.await
	}

	async fn wait(&self, patience: Duration, done: impl Fn() -> (bool, String)) -> Result<()> {
		let deadline = Instant::now() + patience;
		loop {
			let (ok, why) = done();
			if ok {
				return Ok(());
			}
			if Instant::now() >= deadline {
				let error = lock(&self.state).error.clone().unwrap_or_default();
				bail!("after {patience:?}: {why} (last read error: {error})");
			}
			tokio::time::sleep(Duration::from_millis(200)).await;
		}
	}
}

async fn follow(client: Client, state: Arc<Mutex<State>>, mut next: u32) {
	loop {
		match read_up_to_finalized(&client, &state, &mut next).await {
			Ok(()) => tokio::time::sleep(Duration::from_millis(250)).await,
			Err(error) => {
				lock(&state).error = Some(format!("block {next}: {error:#}"));
				tokio::time::sleep(Duration::from_secs(1)).await;
			},
		}
	}
}

async fn read_up_to_finalized(client: &Client, state: &Mutex<State>, next: &mut u32) -> Result<()> {
	let finalized = finalized_number(client).await?;
	while *next <= finalized {
		let at = client.at_block(u64::from(*next)).await?;
		let millis = at.storage().fetch(api::storage().timestamp().now(), ()).await?.decode()?;
		let events = at.events().fetch().await?;
		let stamp = Stamp { block: *next, millis };
		record(&mut lock(state), stamp, &events)?;
		*next += 1;
	}
	Ok(())
}

fn record(state: &mut State, stamp: Stamp, events: &hypha_client::Events) -> Result<()> {
	use api::jobs::events as e;
	let mut totals = BlockTotals::default();
	let lives = &mut state.lives;
	fn entry(lives: &mut HashMap<u64, Life>, job: u64) -> &mut Life {
		lives.entry(job).or_default()
	}
	for ev in events.find::<e::JobSubmitted>() {
		entry(lives, ev?.job).submitted = Some(stamp);
	}
	for ev in events.find::<e::JobClaimed>() {
		let life = entry(lives, ev?.job);
		life.claimed.get_or_insert(stamp);
		life.claims += 1;
	}
	for ev in events.find::<e::ResultCommitted>() {
		entry(lives, ev?.job).committed.get_or_insert(stamp);
	}
	for ev in events.find::<e::SamplingDrawn>() {
		let ev = ev?;
		let life = entry(lives, ev.job);
		life.audited = Some(ev.audited);
		life.probability_ppm = Some(ev.probability_ppm);
	}
	for ev in events.find::<e::JobSettled>() {
		entry(lives, ev?.job).ended = Some((stamp, End::Settled));
	}
	for ev in events.find::<e::JobRefunded>() {
		entry(lives, ev?.job).ended = Some((stamp, End::Refunded));
	}
	for ev in events.find::<e::ProviderSlashed>() {
		entry(lives, ev?.job).ended = Some((stamp, End::Slashed));
	}
	for ev in events.find::<e::DeadlineMissed>() {
		let ev = ev?;
		totals.burned += ev.slashed;
		totals.deadlines_missed += 1;
		entry(lives, ev.job).missed_by.push(ev.provider);
	}
	for ev in events.find::<e::VerifierAbsent>() {
		totals.burned += ev?.slashed;
		totals.verifiers_absent += 1;
	}
	for ev in events.find::<e::VerifierSlashed>() {
		ev?;
		totals.verifiers_slashed += 1;
	}
	for fee in events.find::<api::transaction_payment::events::TransactionFeePaid>() {
		totals.fees += fee?.actual_fee;
	}
	for transfer in events.find::<api::balances::events::Transfer>() {
		transfer?;
		totals.transfers += 1;
	}
	state.blocks.push((stamp, totals));
	Ok(())
}

/// p50, p95 and the maximum of a set of values (nearest rank).
#[derive(Clone, Copy, Debug)]
pub struct Spread {
	/// How many values.
	pub count: usize,
	/// The median.
	pub p50: f64,
	/// The 95th percentile.
	pub p95: f64,
	/// The largest.
	pub max: f64,
}

impl Spread {
	/// The spread of `values` (all NaN when empty).
	pub fn of(mut values: Vec<f64>) -> Self {
		values.sort_by(|a, b| a.total_cmp(b));
		let rank = |q: f64| -> f64 {
			if values.is_empty() {
				return f64::NAN;
			}
			let index = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
			values[index]
		};
		Spread { count: values.len(), p50: rank(0.5), p95: rank(0.95), max: rank(1.0) }
	}
}

/// The spans `from → to` of the lives that have both, in blocks and in
/// seconds (block timestamps).
pub fn spans(
	lives: &[Life],
	from: impl Fn(&Life) -> Option<Stamp>,
	to: impl Fn(&Life) -> Option<Stamp>,
) -> (Spread, Spread) {
	let pairs: Vec<(Stamp, Stamp)> =
		lives.iter().filter_map(|life| Some((from(life)?, to(life)?))).collect();
	let blocks = pairs.iter().map(|(a, b)| f64::from(b.block.saturating_sub(a.block))).collect();
	let seconds =
		pairs.iter().map(|(a, b)| b.millis.saturating_sub(a.millis) as f64 / 1000.0).collect();
	(Spread::of(blocks), Spread::of(seconds))
}

/// The `hypha_client` keypair of a secret URI such as `//Alice` or `//Worker1`.
pub fn keypair(uri: &str) -> Result<Keypair> {
	Ok(Keypair::from_uri(&uri.parse()?)?)
}

/// The account of a keypair.
pub fn account(keypair: &Keypair) -> AccountId {
	keypair.public_key().into()
}

/// Pays `amount` to each of `to` from `from` in one `batch_all`, and waits
/// for its finality.
pub async fn fund(client: &Client, from: &Keypair, to: &[AccountId], amount: u128) -> Result<()> {
	use api::runtime_types::{hypha_runtime::RuntimeCall, pallet_balances::pallet::Call};
	let calls = to
		.iter()
		.map(|dest| {
			RuntimeCall::Balances(Call::transfer_keep_alive { dest: (*dest).into(), value: amount })
		})
		.collect();
	hypha_client::submit(client, &api::tx().utility().batch_all(calls), from)
		.await
		.context("funding the daemons' accounts")?;
	Ok(())
}

/// The job ids in the output of `hypha job submit a.toml b.toml …`.
pub fn submitted_jobs(output: &str) -> Vec<u64> {
	output
		.lines()
		.filter_map(|line| line.strip_prefix("job ")?.split_whitespace().next()?.parse().ok())
		.collect()
}

/// Where and how clients submit: the node, the blob store, the spec.
#[derive(Clone, Debug)]
pub struct Submitter {
	/// The node's WebSocket URL.
	pub url: String,
	/// The blob store's URL.
	pub store: String,
	/// The job spec every job is a copy of.
	pub spec: String,
}

impl Submitter {
	/// `hypha job submit` with `count` copies of the spec (one `batch_all`
	/// per 64), paid by `seed`; the job ids.
	pub async fn submit(&self, seed: &str, count: usize) -> Result<Vec<u64>> {
		let mut args = vec!["job", "submit"];
		args.extend(std::iter::repeat_n(self.spec.as_str(), count));
		args.extend(["--url", &self.url, "--seed", seed, "--store", &self.store]);
		args.extend(["--budget", "10 HYPHA"]);
		let output = hypha_cli(&args).await?;
		let jobs = submitted_jobs(&output);
		if jobs.len() != count {
			bail!("submitted {count} jobs, the CLI reported {}:\n{output}", jobs.len());
		}
		Ok(jobs)
	}
}

/// The providers and verifiers registered at the finalized block.
pub async fn registered(client: &Client) -> Result<(usize, usize)> {
	let at = client.at_current_block().await?;
	let entry = at.storage().entry(api::storage().stake().providers())?;
	let mut iter = entry.iter(()).await?;
	let mut providers = 0;
	while let Some(item) = iter.next().await {
		item?;
		providers += 1;
	}
	let verifiers =
		at.storage().fetch(api::storage().stake().verifiers(), ()).await?.decode()?.0.len();
	Ok((providers, verifiers))
}

/// Workers and verifiers as processes, each with an account of its own
/// (`//Worker1…`, `//Verifier1…`) funded by `funder`.
pub struct Daemons {
	/// The workers, in order.
	pub workers: Vec<Daemon>,
	/// The verifiers, in order.
	pub verifiers: Vec<Daemon>,
	/// The accounts of the workers, then of the verifiers.
	pub accounts: Vec<AccountId>,
}

/// The worker and verifier seeds of [`Daemons`].
pub fn daemon_seeds(workers: usize, verifiers: usize) -> (Vec<String>, Vec<String>) {
	(
		(1..=workers).map(|i| format!("//Worker{i}")).collect(),
		(1..=verifiers).map(|i| format!("//Verifier{i}")).collect(),
	)
}

impl Daemons {
	/// Funds the daemons' accounts (2 000 HYPHA each, for a 1 000 HYPHA
	/// worker bond or a 100 HYPHA verifier bond, and fees), without starting
	/// them.
	pub async fn fund(
		client: &Client,
		funder: &Keypair,
		workers: usize,
		verifiers: usize,
	) -> Result<Vec<AccountId>> {
		let (worker_seeds, verifier_seeds) = daemon_seeds(workers, verifiers);
		let mut accounts = Vec::new();
		for seed in worker_seeds.iter().chain(&verifier_seeds) {
			accounts.push(account(&keypair(seed)?));
		}
		fund(client, funder, &accounts, 2_000 * hypha_primitives::HYPHA).await?;
		Ok(accounts)
	}

	/// Starts the daemons (funded by [`Daemons::fund`]) on the CPU backend,
	/// state under `dir`, and waits until the chain lists them all.
	/// `worker_flags` go to every worker.
	pub async fn start(
		client: &Client,
		url: &str,
		accounts: Vec<AccountId>,
		(workers, verifiers): (usize, usize),
		dir: &Path,
		worker_flags: &[&str],
	) -> Result<Self> {
		let (worker_seeds, verifier_seeds) = daemon_seeds(workers, verifiers);
		let before = registered(client).await?;
		let mut started = Daemons { workers: Vec::new(), verifiers: Vec::new(), accounts };
		for (i, seed) in worker_seeds.iter().enumerate() {
			let name = format!("worker{}", i + 1);
			let daemon = start_worker(&name, url, seed, &dir.join(&name), "0.001", worker_flags)?;
			started.workers.push(daemon);
		}
		for (i, seed) in verifier_seeds.iter().enumerate() {
			started.verifiers.push(start_verifier(&format!("verifier{}", i + 1), url, seed, &[])?);
		}
		let deadline = Instant::now() + Duration::from_secs(180);
		loop {
			let now = registered(client).await?;
			if now.0 >= before.0 + workers && now.1 >= before.1 + verifiers {
				return Ok(started);
			}
			for daemon in started.workers.iter_mut().chain(started.verifiers.iter_mut()) {
				daemon.process.ensure_running()?;
			}
			if Instant::now() >= deadline {
				bail!("the daemons did not register within 3 minutes ({now:?} registered)");
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	/// The sum of a counter over the workers' or the verifiers' `/metrics`.
	pub fn sum_metric(daemons: &[Daemon], name: &str) -> Result<f64> {
		let mut sum = 0.0;
		for daemon in daemons {
			sum += metric(daemon.port, name)?;
		}
		Ok(sum)
	}
}

/// The value of the metric `name` (without labels) on `/metrics` at `port`.
pub fn metric(port: u16, name: &str) -> Result<f64> {
	let text = crate::http_get(port, "/metrics")?;
	text.lines()
		.find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
		.with_context(|| format!("no metric {name} on port {port}"))
}

/// How many signed balance transfers the chain finalized per second.
#[derive(Clone, Copy, Debug)]
pub struct TransferRate {
	/// Transfers sent (and found in finalized blocks).
	pub transfers: u32,
	/// Blocks from the first that held one to the last, both included.
	pub blocks: u32,
	/// Seconds those blocks cover (their timestamps, plus one block time).
	pub seconds: f64,
	/// The most transfers in one block.
	pub fullest_block: u32,
	/// Seconds the client took to sign and hand them all to the node.
	pub submit_seconds: f64,
}

impl TransferRate {
	/// Transfers per second.
	pub fn per_second(&self) -> f64 {
		f64::from(self.transfers) / self.seconds
	}
}

/// Signs `per_sender` `transfer_keep_alive` calls from each of `senders`
/// (consecutive nonces, immortal, so no block is read per transaction),
/// hands them to the node 64 at a time, and measures from the finalized
/// blocks how fast the chain included them. Nothing else may transfer while
/// this runs.
pub async fn transfer_rate(
	client: &Client,
	tracker: &Tracker,
	senders: &[Keypair],
	per_sender: u32,
	patience: Duration,
) -> Result<TransferRate> {
	use futures::StreamExt;
	use hypha_client::subxt::config::polkadot::PolkadotExtrinsicParamsBuilder;
	let start = finalized_number(client).await?;
	tracker.wait_block(start, patience).await?;
	let sink = account(&keypair("//HyphaBenchSink")?);
	let call = api::tx().balances().transfer_keep_alive(sink.into(), hypha_primitives::HYPHA);
	let tx = client.tx().await?;
	let mut nonces = Vec::new();
	for sender in senders {
		nonces.push(tx.account_nonce(&account(sender)).await?);
	}
	let began = Instant::now();
	let mut signed = Vec::new();
	for i in 0..u64::from(per_sender) {
		for (sender, nonce) in senders.iter().zip(&nonces) {
			let params = PolkadotExtrinsicParamsBuilder::<hypha_client::HyphaConfig>::new()
				.nonce(nonce + i)
				.immortal()
				.build();
			signed.push(tx.create_signable_offline(&call, params)?.sign(sender)?);
		}
	}
	let total = signed.len();
	let results: Vec<_> =
		futures::stream::iter(signed.iter().map(|t| t.submit())).buffered(64).collect().await;
	for result in results {
		result.context("handing a transfer to the node")?;
	}
	let submit_seconds = began.elapsed().as_secs_f64();
	let deadline = Instant::now() + patience;
	loop {
		let last = tracker.last().map_or(start, |s| s.block);
		let blocks = tracker.blocks(start + 1, last);
		let seen: u32 = blocks.iter().map(|(_, t)| t.transfers).sum();
		if seen as usize >= total {
			let with: Vec<&(Stamp, BlockTotals)> =
				blocks.iter().filter(|(_, t)| t.transfers > 0).collect();
			let (first, last) = (with[0].0, with[with.len() - 1].0);
			let block_time = hypha_primitives::MILLISECS_PER_BLOCK as f64 / 1000.0;
			return Ok(TransferRate {
				transfers: seen,
				blocks: last.block - first.block + 1,
				seconds: (last.millis - first.millis) as f64 / 1000.0 + block_time,
				fullest_block: with.iter().map(|(_, t)| t.transfers).max().unwrap_or(0),
				submit_seconds,
			});
		}
		if Instant::now() >= deadline {
			bail!("{seen} of {total} transfers were finalized within {patience:?}");
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}
