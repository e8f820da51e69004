//! A soak under faults: a three-validator local testnet (the checked-in
//! `chain-spec/local.json`), several workers and verifiers, clients
//! submitting jobs in batches, while a worker, a verifier and a validator
//! are killed (SIGKILL) and restarted at random. At the end every job must
//! have ended, and every token must be accounted for:
//!
//! - the balances (free + held) of every account that took part (clients,
//!   workers, verifiers) change in sum by exactly minus the fees and the
//!   protocol's burns (missed-deadline and no-show slashes), read from the
//!   events of every block in between;
//! - the total issuance changes by the same amount;
//! - no client has anything left on hold.
//!
//! What is killed: any worker, any verifier, and Bob's or Charlie's
//! validator (Alice votes with weight 2, so the other two finalize on;
//! docs/MARKET.md). Alice's node serves every client's and daemon's RPC and
//! is not killed: a daemon that loses its node exits (systemd restarts it);
//! failing over to another node is not what this soak tests. The first three
//! faults are one of each kind, in random order, so a short soak has all
//! three. `market-soak` runs it long; `tests/tests/soak.rs` short.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hypha_client::AccountId;

use crate::market::{self, BlockTotals, Daemons, End, Life, Submitter, Tracker};
use crate::{
	digits_training_job, repo_root, start_blob_store, wait_for_finalized, Ledger, NodeProcess,
	Ports, Process,
};

/// What a soak runs.
#[derive(Clone, Debug)]
pub struct SoakConfig {
	/// Jobs in all.
	pub jobs: usize,
	/// Jobs per `hypha job submit` (one transaction).
	pub batch: usize,
	/// Jobs submitted per second, all clients together.
	pub rate: f64,
	/// Workers.
	pub workers: usize,
	/// Verifiers.
	pub verifiers: usize,
	/// Whether to kill and restart processes.
	pub faults: bool,
	/// Seconds between a restart and the next kill (uniform in the range).
	pub gap: (u64, u64),
	/// Seconds a killed process stays down (uniform in the range).
	pub downtime: (u64, u64),
	/// Seed of the fault schedule.
	pub seed: u64,
	/// How long the jobs may take to end after the last submission.
	pub patience: Duration,
	/// Where the nodes and daemons keep their state.
	pub dir: PathBuf,
}

/// One kill.
#[derive(Clone, Debug)]
pub struct Kill {
	/// Seconds from the first submission.
	pub at: f64,
	/// What was killed (`worker2`, `verifier1`, `validator bob`).
	pub target: String,
	/// Seconds it stayed down.
	pub down: f64,
}

/// What a soak saw.
#[derive(Debug)]
pub struct SoakReport {
	/// The job ids, in submission order.
	pub jobs: Vec<u64>,
	/// Every job's life, in the same order.
	pub lives: Vec<Life>,
	/// The kills, in order.
	pub kills: Vec<Kill>,
	/// Seconds from the first submission until every job had ended.
	pub seconds: f64,
	/// Blocks from the ledger's first block to its last.
	pub blocks: u32,
	/// Fees, burns and punishments over those blocks.
	pub totals: BlockTotals,
	/// Total issuance after minus before.
	pub issuance_change: i128,
	/// The sum over every account that took part of (free + held) after
	/// minus before.
	pub balances_change: i128,
	/// Held by the clients after minus before (escrow left behind).
	pub clients_held_change: i128,
}

impl SoakReport {
	/// Jobs that ended as `end`.
	pub fn ended(&self, end: End) -> usize {
		self.lives.iter().filter(|l| l.ended.map(|(_, e)| e) == Some(end)).count()
	}

	/// Tokens that moved without an event that explains them: the balances'
	/// change plus fees plus burns (0 when everything adds up).
	pub fn unaccounted(&self) -> i128 {
		self.balances_change + self.burned_and_fees()
	}

	/// The same for the total issuance.
	pub fn issuance_unaccounted(&self) -> i128 {
		self.issuance_change + self.burned_and_fees()
	}

	fn burned_and_fees(&self) -> i128 {
		i128::try_from(self.totals.fees + self.totals.burned).unwrap_or(i128::MAX)
	}

	/// Kills of targets whose name starts with `kind`.
	pub fn kills_of(&self, kind: &str) -> usize {
		self.kills.iter().filter(|k| k.target.starts_with(kind)).count()
	}

	/// The report as Markdown, for docs/BENCHMARKS.md.
	pub fn markdown(&self, config: &SoakConfig) -> String {
		let (_, settled) = market::spans(&self.lives, |l| l.submitted, |l| l.ended.map(|e| e.0));
		let audited = self.lives.iter().filter(|l| l.audited == Some(true)).count();
		let reclaimed = self.lives.iter().filter(|l| l.claims > 1).count();
		let t = &self.totals;
		let mut out = String::new();
		out += &format!(
			"Soak: {} jobs from 3 clients in batches of {} at {} jobs/s, {} workers, {} verifiers, \
			 3 validators (local testnet), fault seed {}.\n\n",
			self.lives.len(),
			config.batch,
			config.rate,
			config.workers,
			config.verifiers,
			config.seed
		);
		out += "| figure | value |\n| --- | --- |\n";
		out += &format!(
			"| jobs settled / refunded / slashed | {} / {} / {} |\n",
			self.ended(End::Settled),
			self.ended(End::Refunded),
			self.ended(End::Slashed)
		);
		out += &format!("| audited | {audited} |\n");
		out += &format!("| jobs claimed again after a missed deadline | {reclaimed} |\n");
		out += &format!(
			"| kills: workers / verifiers / validators | {} / {} / {} |\n",
			self.kills_of("worker"),
			self.kills_of("verifier"),
			self.kills_of("validator")
		);
		out += &format!("| time, first submission → last job ended | {:.0} s |\n", self.seconds);
		out += &format!(
			"| submit → ended p50 / p95 / max | {:.1} / {:.1} / {:.1} s |\n",
			settled.p50, settled.p95, settled.max
		);
		out += &format!("| blocks | {} |\n", self.blocks);
		out += &format!(
			"| deadlines missed / verifiers absent / verifiers slashed | {} / {} / {} |\n",
			t.deadlines_missed, t.verifiers_absent, t.verifiers_slashed
		);
		out += &format!("| fees paid (burned) | {} units |\n", t.fees);
		out += &format!("| protocol burns (missed deadlines, no-shows) | {} units |\n", t.burned);
		out += &format!(
			"| balances: change + fees + burns (tokens lost) | {} units |\n",
			self.unaccounted()
		);
		out += &format!(
			"| total issuance: change + fees + burns | {} units |\n",
			self.issuance_unaccounted()
		);
		out += &format!("| left on hold for clients | {} units |\n", self.clients_held_change);
		for (job, life) in self.jobs.iter().zip(&self.lives) {
			for provider in &life.missed_by {
				let claimed = life.claimed.map_or(0, |s| s.block);
				out += &format!("\nThe deadline of job {job} passed for {provider} (first claimed in block {claimed}).\n");
			}
		}
		out += "\nKills (seconds from the first submission, target, seconds down):\n\n";
		for kill in &self.kills {
			out += &format!("- {:.0} s: {} ({:.0} s)\n", kill.at, kill.target, kill.down);
		}
		out
	}
}

/// A validator network's fixed identities (see tests/tests/chain.rs).
const NODE_KEYS: [&str; 3] = [
	"0000000000000000000000000000000000000000000000000000000000000001",
	"0000000000000000000000000000000000000000000000000000000000000002",
	"0000000000000000000000000000000000000000000000000000000000000003",
];
const ALICE_PEER_ID: &str = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";
const VALIDATORS: [&str; 3] = ["alice", "bob", "charlie"];

/// Alice, Bob and Charlie as validators of the local testnet, each with its
/// database under `dir`, so that a restarted one comes back with its chain.
pub fn start_testnet(dir: &Path) -> Result<Vec<NodeProcess>> {
	let spec = repo_root().join("chain-spec/local.json");
	let spec = spec.to_str().context("chain spec path is not UTF-8")?.to_string();
	let alice_ports = Ports::free()?;
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{ALICE_PEER_ID}", alice_ports.p2p);
	let mut nodes = Vec::new();
	for (i, name) in VALIDATORS.iter().enumerate() {
		let base = dir.join(name).display().to_string();
		let flag = format!("--{name}");
		let mut args = vec!["--chain", &spec, "--base-path", &base, "--allow-private-ip"];
		args.extend([flag.as_str(), "--node-key", NODE_KEYS[i]]);
		if i > 0 {
			args.extend(["--bootnodes", &bootnode]);
		}
		let ports = if i == 0 { alice_ports } else { Ports::free()? };
		nodes.push(NodeProcess::start_with_ports(&format!("soak-{name}"), &args, ports)?);
	}
	Ok(nodes)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
	Worker(usize),
	Verifier(usize),
	Validator(usize),
}

impl Target {
	fn name(self) -> String {
		match self {
			Target::Worker(i) => format!("worker{}", i + 1),
			Target::Verifier(i) => format!("verifier{}", i + 1),
			Target::Validator(i) => format!("validator {}", VALIDATORS[i]),
		}
	}
}

/// splitmix64: a seeded schedule, reproducible from the seed in the report.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}

	fn below(&mut self, n: usize) -> usize {
		(self.next() % n.max(1) as u64) as usize
	}

	fn seconds(&mut self, (low, high): (u64, u64)) -> Duration {
		let span = high.saturating_sub(low) * 1000 + 1;
		Duration::from_millis(low * 1000 + self.next() % span)
	}
}

/// The processes a soak may kill, and its fault schedule.
struct Faults {
	rng: Rng,
	gap: (u64, u64),
	downtime: (u64, u64),
	/// The first kills: one of each kind.
	first: Vec<Target>,
	next_kill: Instant,
	down: Option<(Target, Instant, Instant)>,
	kills: Vec<Kill>,
	began: Instant,
}

impl Faults {
	fn new(config: &SoakConfig, began: Instant) -> Self {
		let mut rng = Rng(config.seed);
		let mut first = vec![
			Target::Worker(rng.below(config.workers)),
			Target::Verifier(rng.below(config.verifiers)),
			Target::Validator(1 + rng.below(2)),
		];
		// Fisher-Yates, so the order of the kinds is random too.
		for i in (1..first.len()).rev() {
			first.swap(i, rng.below(i + 1));
		}
		let next_kill = began + rng.seconds(config.gap);
		Faults {
			rng,
			gap: config.gap,
			downtime: config.downtime,
			first,
			next_kill,
			down: None,
			kills: Vec::new(),
			began,
		}
	}

	fn pick(&mut self, workers: usize, verifiers: usize) -> Target {
		if !self.first.is_empty() {
			return self.first.remove(0);
		}
		match self.rng.below(3) {
			0 => Target::Worker(self.rng.below(workers)),
			1 => Target::Verifier(self.rng.below(verifiers)),
			_ => Target::Validator(1 + self.rng.below(2)),
		}
	}

	/// Kills or restarts what is due.
	fn step(&mut self, world: &mut World) -> Result<()> {
		let now = Instant::now();
		match self.down {
			Some((target, since, until)) if now >= until => {
				world.process(target).restart()?;
				tracing_line(&format!("restarted {}", target.name()));
				self.kills.push(Kill {
					at: since.duration_since(self.began).as_secs_f64(),
					target: target.name(),
					down: now.duration_since(since).as_secs_f64(),
				});
				self.down = None;
				self.next_kill = now + self.rng.seconds(self.gap);
			},
			None if now >= self.next_kill => {
				let target = self.pick(world.daemons.workers.len(), world.daemons.verifiers.len());
				world.process(target).kill();
				tracing_line(&format!("killed {}", target.name()));
				self.down = Some((target, now, now + self.rng.seconds(self.downtime)));
			},
			_ => {},
		}
		Ok(())
	}

	/// Restarts what is down.
	fn heal(&mut self, world: &mut World) -> Result<()> {
		if let Some((target, since, _)) = self.down {
			self.down = Some((target, since, Instant::now()));
			self.step(world)?;
		}
		Ok(())
	}
}

fn tracing_line(line: &str) {
	eprintln!("[soak] {line}");
}

struct World {
	nodes: Vec<NodeProcess>,
	daemons: Daemons,
}

impl World {
	fn process(&mut self, target: Target) -> &mut Process {
		match target {
			Target::Worker(i) => &mut self.daemons.workers[i].process,
			Target::Verifier(i) => &mut self.daemons.verifiers[i].process,
			Target::Validator(i) => self.nodes[i].process(),
		}
	}

	/// Fails if a process that was not killed on purpose has exited.
	fn check_running(&mut self, down: Option<Target>) -> Result<()> {
		let workers = (0..self.daemons.workers.len()).map(Target::Worker);
		let verifiers = (0..self.daemons.verifiers.len()).map(Target::Verifier);
		let validators = (0..self.nodes.len()).map(Target::Validator);
		for target in workers.chain(verifiers).chain(validators).collect::<Vec<_>>() {
			if Some(target) != down {
				self.process(target).ensure_running()?;
			}
		}
		Ok(())
	}
}

/// The clients: dev accounts endowed in the local testnet's genesis.
const CLIENTS: [&str; 3] = ["//Alice", "//Bob", "//Charlie"];

/// Runs a soak.
pub async fn run(config: &SoakConfig) -> Result<SoakReport> {
	ensure!(config.workers > 0 && config.verifiers > 0 && config.batch > 0 && config.rate > 0.0);
	std::fs::create_dir_all(&config.dir)?;
	let mut nodes = start_testnet(&config.dir)?;
	let url = nodes[0].ws_url();
	let client = nodes[0].client(Duration::from_secs(180)).await?;
	for node in &mut nodes[1..] {
		node.client(Duration::from_secs(180)).await?;
	}
	wait_for_finalized(&client, 2, Duration::from_secs(180))
		.await
		.with_context(|| nodes.iter().map(|n| n.log_tail()).collect::<Vec<_>>().join("\n"))?;

	let alice = market::keypair("//Alice")?;
	let daemon_accounts = Daemons::fund(&client, &alice, config.workers, config.verifiers).await?;
	let mut clients: Vec<AccountId> = Vec::new();
	for seed in CLIENTS {
		clients.push(market::account(&market::keypair(seed)?));
	}
	let accounts: Vec<AccountId> = clients.iter().chain(&daemon_accounts).cloned().collect();
	// Balances before, read now: the node prunes old state.
	let before = Ledger::now(&client).await?;
	let mut balances_before = Vec::new();
	for account in &accounts {
		balances_before.push(before.balances(&client, account).await?);
	}
	let tracker = Tracker::start(client.clone(), before.block);

	let store = start_blob_store("soak-store").await?;
	let spec = digits_training_job(&config.dir.join("job"), 1).await?;
	let submitter =
		Submitter { url: url.clone(), store: store.url(), spec: spec.display().to_string() };
	let daemons = Daemons::start(
		&client,
		&url,
		daemon_accounts,
		(config.workers, config.verifiers),
		&config.dir,
		&[],
	)
	.await?;
	let mut world = World { nodes, daemons };

	let began = Instant::now();
	let mut submitting = tokio::spawn(submit_all(submitter, config.clone()));
	let mut faults = Faults::new(config, began);
	let mut jobs: Option<Vec<u64>> = None;
	let mut submitted_at = None;
	let seconds = loop {
		if config.faults {
			faults.step(&mut world)?;
		}
		world.check_running(faults.down.map(|(t, _, _)| t))?;
		if jobs.is_none() && submitting.is_finished() {
			jobs = Some((&mut submitting).await.context("the submitting task")??);
			submitted_at = Some(Instant::now());
			continue;
		}
		if let (Some(jobs), Some(at)) = (&jobs, submitted_at) {
			let lives = tracker.lives(jobs);
			if lives.iter().all(|life| life.ended.is_some()) {
				break began.elapsed().as_secs_f64();
			}
			if at.elapsed() > config.patience {
				let open: Vec<u64> = jobs
					.iter()
					.zip(&lives)
					.filter(|(_, life)| life.ended.is_none())
					.map(|(job, _)| *job)
					.collect();
				bail!(
					"{} of {} jobs did not end within {:?} of the last submission: {open:?}",
					open.len(),
					jobs.len(),
					config.patience
				);
			}
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	};
	faults.heal(&mut world)?;
	let jobs = jobs.unwrap_or_default();

	// Every job has ended; read the ledger a few blocks later.
	let last_end = tracker.lives(&jobs).iter().filter_map(|l| l.ended).map(|e| e.0.block).max();
	let settle_to = last_end.unwrap_or(before.block) + 2;
	wait_for_finalized(&client, settle_to, Duration::from_secs(120)).await?;
	let after = Ledger::now(&client).await?;
	tracker.wait_block(after.block, Duration::from_secs(120)).await?;
	let mut balances_change = 0i128;
	let mut clients_held_change = 0i128;
	for (i, account) in accounts.iter().enumerate() {
		let now = after.balances(&client, account).await?;
		let was = balances_before[i];
		balances_change += signed(now.total()) - signed(was.total());
		if i < clients.len() {
			clients_held_change += signed(now.held) - signed(was.held);
		}
	}
	Ok(SoakReport {
		lives: tracker.lives(&jobs),
		jobs,
		kills: faults.kills,
		seconds,
		blocks: after.block - before.block,
		totals: tracker.totals(before.block + 1, after.block),
		issuance_change: signed(after.issuance) - signed(before.issuance),
		balances_change,
		clients_held_change,
	})
}

fn signed(value: u128) -> i128 {
	i128::try_from(value).unwrap_or(i128::MAX)
}

/// Submits `config.jobs` jobs in batches of `config.batch`, the clients
/// taking turns, at `config.rate` jobs per second; the job ids.
async fn submit_all(submitter: Submitter, config: SoakConfig) -> Result<Vec<u64>> {
	let began = Instant::now();
	let mut tasks = tokio::task::JoinSet::new();
	let batches = config.jobs.div_ceil(config.batch);
	for (i, seed) in CLIENTS.iter().enumerate() {
		// Client i submits batches i, i + 3, …, each when its time has come.
		let mine: Vec<usize> = (i..batches).step_by(CLIENTS.len()).collect();
		let (submitter, config) = (submitter.clone(), config.clone());
		tasks.spawn(async move {
			let mut jobs = Vec::new();
			for batch in mine {
				let first = batch * config.batch;
				let count = config.batch.min(config.jobs - first);
				let due = began + Duration::from_secs_f64(first as f64 / config.rate);
				tokio::time::sleep_until(due.into()).await;
				jobs.push((batch, submitter.submit(seed, count).await?));
			}
			anyhow::Ok(jobs)
		});
	}
	let mut all = Vec::new();
	while let Some(done) = tasks.join_next().await {
		all.extend(done.context("a client's task")??);
	}
	all.sort_by_key(|(batch, _)| *batch);
	Ok(all.into_iter().flat_map(|(_, jobs)| jobs).collect())
}
