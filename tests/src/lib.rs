//! # Hypha end-to-end test harness
//!
//! Starts real `hypha-node` processes on free ports and talks to them through
//! `hypha-client` (subxt); starts the daemons (`hypha-worker`,
//! `hypha-verifier`) and runs the `hypha` CLI as processes too. Every process
//! is killed when its [`Process`] (or [`NodeProcess`]) is dropped, so a
//! failing test leaves nothing running. [`Ledger`] reads balances and the
//! transaction fees paid between two blocks, so tests can check every
//! balance to the unit.
//!
//! The binaries are found next to the test binary (`target/<profile>/`); the
//! node also at `$HYPHA_NODE_BIN`. Build them first: `make test` does.
//! Misbehaving daemons (a cheating provider, a lying verifier) are this
//! crate's own binaries, `hypha-e2e-worker` and `hypha-e2e-verifier`: the
//! product daemons with their `faults` feature and the flags for it, which
//! `hypha-worker` and `hypha-verifier` do not have. Tests take [`serial`]
//! first, so each test binary runs one at a time. [`browser::Browser`] drives
//! headless Chromium for the explorer's pages.

pub mod browser;
pub mod market;
pub mod soak;

use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use hypha_client::Client;

/// The `hypha-node` binary the tests run.
pub fn node_binary() -> Result<PathBuf> {
	if let Ok(path) = std::env::var("HYPHA_NODE_BIN") {
		return Ok(PathBuf::from(path));
	}
	binary("hypha-node")
}

/// A workspace binary (`hypha-node`, `hypha-worker`, `hypha-verifier`,
/// `hypha`), found in `target/<profile>/`: next to the running binary, or one
/// folder up from a test binary (`target/<profile>/deps/`).
pub fn binary(name: &str) -> Result<PathBuf> {
	let exe = std::env::current_exe().context("locating the test binary")?;
	let mut profile_dir =
		exe.parent().context("the test binary is not inside a cargo target directory")?;
	if profile_dir.ends_with("deps") {
		profile_dir = profile_dir
			.parent()
			.context("the test binary is not inside a cargo target directory")?;
	}
	let path = profile_dir.join(name);
	if !path.exists() {
		bail!(
			"{} does not exist: build the binaries first (`cargo build --workspace --bins`, or `make test`)",
			path.display()
		);
	}
	Ok(path)
}

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> Result<u16> {
	let listener = TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
	Ok(listener.local_addr()?.port())
}

/// The ports one node listens on.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
	/// JSON-RPC (WebSocket and HTTP).
	pub rpc: u16,
	/// libp2p / litep2p.
	pub p2p: u16,
	/// Prometheus metrics.
	pub prometheus: u16,
}

impl Ports {
	/// Three free ports.
	pub fn free() -> Result<Self> {
		Ok(Ports { rpc: free_port()?, p2p: free_port()?, prometheus: free_port()? })
	}
}

/// A running process whose output goes to a log file; killed on drop, so a
/// failing test leaves nothing running.
pub struct Process {
	child: Child,
	/// Where its output goes.
	pub log_path: PathBuf,
	name: String,
	binary: PathBuf,
	args: Vec<String>,
}

impl Process {
	/// Starts `binary` with `args`, logging to a file in the system's temp directory.
	pub fn start(name: &str, binary: &Path, args: &[String]) -> Result<Self> {
		let log_path = std::env::temp_dir().join(format!(
			"hypha-e2e-{name}-{}-{}.log",
			std::process::id(),
			free_port()?
		));
		std::fs::File::create(&log_path)
			.with_context(|| format!("creating {}", log_path.display()))?;
		let child = spawn(binary, args, &log_path)?;
		Ok(Process {
			child,
			log_path,
			name: name.to_string(),
			binary: binary.to_path_buf(),
			args: args.to_vec(),
		})
	}

	/// Kills the process (SIGKILL) if it runs, and starts it again with the
	/// same arguments, its output appended to the same log.
	pub fn restart(&mut self) -> Result<()> {
		self.kill();
		self.child = spawn(&self.binary, &self.args, &self.log_path)?;
		Ok(())
	}

	/// Whether the process is running.
	pub fn is_running(&mut self) -> bool {
		matches!(self.child.try_wait(), Ok(None))
	}

	/// Fails if the process has exited.
	pub fn ensure_running(&mut self) -> Result<()> {
		if let Some(status) = self.child.try_wait()? {
			bail!("{} exited with {status}; {}", self.name, self.log_tail());
		}
		Ok(())
	}

	/// The last lines of the log, for error messages.
	pub fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
		let lines: Vec<&str> = text.lines().collect();
		let start = lines.len().saturating_sub(30);
		format!(
			"last log lines of {} ({}):\n{}",
			self.name,
			self.log_path.display(),
			lines[start..].join("\n")
		)
	}

	/// The whole log.
	pub fn log(&self) -> String {
		std::fs::read_to_string(&self.log_path).unwrap_or_default()
	}

	/// Stops the process (SIGKILL: no chance to clean up) and waits for it.
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// Asks the process to stop (SIGTERM) and waits up to `timeout` for it;
	/// returns whether it exited by itself.
	pub fn terminate(&mut self, timeout: Duration) -> Result<bool> {
		let pid = self.child.id().to_string();
		let _ = Command::new("kill").args(["-TERM", &pid]).status();
		let deadline = Instant::now() + timeout;
		while Instant::now() < deadline {
			if let Some(status) = self.child.try_wait()? {
				return Ok(status.success());
			}
			std::thread::sleep(Duration::from_millis(100));
		}
		self.kill();
		Ok(false)
	}
}

fn spawn(binary: &Path, args: &[String], log_path: &Path) -> Result<Child> {
	let log = std::fs::OpenOptions::new()
		.append(true)
		.open(log_path)
		.with_context(|| format!("opening {}", log_path.display()))?;
	Command::new(binary)
		.args(args)
		.env("HYPHA_LOG", "info")
		.stdin(Stdio::null())
		.stdout(Stdio::from(log.try_clone()?))
		.stderr(Stdio::from(log))
		.spawn()
		.with_context(|| format!("starting {}", binary.display()))
}

impl Drop for Process {
	fn drop(&mut self) {
		self.kill();
	}
}

/// A running `hypha-node` process, killed on drop.
pub struct NodeProcess {
	process: Process,
	/// Its ports.
	pub ports: Ports,
	/// Where its output goes.
	pub log_path: PathBuf,
	name: String,
}

impl NodeProcess {
	/// Starts `hypha-node` with `args` plus the port flags, logging to a file in
	/// the system's temp directory.
	pub fn start(name: &str, args: &[&str]) -> Result<Self> {
		let ports = Ports::free()?;
		Self::start_with_ports(name, args, ports)
	}

	/// Like [`NodeProcess::start`], with chosen ports.
	pub fn start_with_ports(name: &str, args: &[&str], ports: Ports) -> Result<Self> {
		let binary = node_binary()?;
		let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
		for (flag, port) in [
			("--rpc-port", ports.rpc),
			("--port", ports.p2p),
			("--prometheus-port", ports.prometheus),
		] {
			all.push(flag.into());
			all.push(port.to_string());
		}
		all.extend(["--no-telemetry".to_string(), "--no-mdns".to_string()]);
		let process = Process::start(name, &binary, &all)?;
		let log_path = process.log_path.clone();
		Ok(NodeProcess { process, ports, log_path, name: name.to_string() })
	}

	/// The node's WebSocket URL.
	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.ports.rpc)
	}

	/// Connects a client, retrying while the node starts (up to `timeout`).
	pub async fn client(&mut self, timeout: Duration) -> Result<Client> {
		let deadline = Instant::now() + timeout;
		loop {
			self.process
				.ensure_running()
				.with_context(|| format!("node {} did not serve RPC", self.name))?;
			match hypha_client::connect(&self.ws_url()).await {
				Ok(client) => return Ok(client),
				Err(error) if Instant::now() >= deadline => {
					bail!(
						"node {} did not serve RPC within {timeout:?}: {error}; {}",
						self.name,
						self.log_tail()
					)
				},
				Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
			}
		}
	}

	/// The last lines of the node's log, for error messages.
	pub fn log_tail(&self) -> String {
		self.process.log_tail()
	}

	/// Stops the node (SIGKILL) and waits for it.
	pub fn kill(&mut self) {
		self.process.kill();
	}

	/// The node's process, to kill and restart it (same ports, same
	/// `--base-path`: it comes back with its database).
	pub fn process(&mut self) -> &mut Process {
		&mut self.process
	}
}

/// The number of the latest finalized block.
pub async fn finalized_number(client: &Client) -> Result<u32> {
	let block = client.at_current_block().await.context("reading the finalized block")?;
	block.block_number().try_into().context("block number out of range")
}

/// Waits until the finalized block number reaches `target`, or fails after `timeout`.
pub async fn wait_for_finalized(client: &Client, target: u32, timeout: Duration) -> Result<u32> {
	let deadline = Instant::now() + timeout;
	loop {
		let number = finalized_number(client).await?;
		if number >= target {
			return Ok(number);
		}
		if Instant::now() >= deadline {
			bail!("finalized block is #{number} after {timeout:?}, expected #{target}");
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}

/// GETs `http://127.0.0.1:{port}{path}` and returns the body (plain HTTP/1.0,
/// enough for Prometheus endpoints).
pub fn http_get(port: u16, path: &str) -> Result<String> {
	use std::io::{Read, Write};
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))
		.with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
	stream.set_read_timeout(Some(Duration::from_secs(10)))?;
	write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
	let mut response = String::new();
	stream.read_to_string(&mut response)?;
	Ok(response)
}

/// Runs the `hypha` CLI with `args` and returns its standard output; fails
/// with its output and error if it exits non-zero.
pub async fn hypha_cli(args: &[&str]) -> Result<String> {
	let output = run_hypha(args).await?;
	if !output.status.success() {
		bail!(
			"`hypha {}` failed with {}:\n{}\n{}",
			args.join(" "),
			output.status,
			String::from_utf8_lossy(&output.stdout),
			String::from_utf8_lossy(&output.stderr)
		);
	}
	Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Like [`hypha_cli`], for a command that must fail: returns its standard error.
pub async fn hypha_cli_fails(args: &[&str]) -> Result<String> {
	let output = run_hypha(args).await?;
	if output.status.success() {
		bail!(
			"`hypha {}` succeeded but should have failed:\n{}",
			args.join(" "),
			String::from_utf8_lossy(&output.stdout)
		);
	}
	Ok(String::from_utf8_lossy(&output.stderr).into_owned())
}

async fn run_hypha(args: &[&str]) -> Result<std::process::Output> {
	tokio::process::Command::new(binary("hypha")?)
		.args(args)
		.stdin(Stdio::null())
		.output()
		.await
		.context("running hypha")
}

/// The job id in the output of `hypha job submit` (`job 7 submitted: ...`).
pub fn submitted_job(output: &str) -> Result<u64> {
	output
		.lines()
		.find_map(|line| line.strip_prefix("job ")?.split_whitespace().next()?.parse().ok())
		.with_context(|| format!("no job id in the output of `hypha job submit`:\n{output}"))
}

/// The status of job `job` at the latest finalized block.
pub async fn job_status(client: &Client, job: u64) -> Result<hypha_client::JobStatus> {
	let record = hypha_client::query::job(client, job)
		.await?
		.with_context(|| format!("job {job} is not on chain"))?;
	Ok(record.status.0)
}

/// Holds the end-to-end tests of one test binary to one at a time (each
/// starts nodes and daemons; on 2 cores two at once time out), so that
/// `cargo test --workspace` runs them without `--test-threads=1`.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
	static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
	SERIAL.lock().await
}

/// Flags only the tests' own daemon binaries know (feature `faults`).
const FAULT_FLAGS: [&str; 6] = [
	"--cheat",
	"--compute-delay-ms",
	"--withhold-output",
	"--token-delay-ms",
	"--lie",
	"--verdict-delay-ms",
];

/// The daemon binary to start with `extra` flags: the product binary, or
/// the tests' fault-injecting one (`hypha-e2e-worker`, `hypha-e2e-verifier`)
/// when a fault flag is among them.
fn daemon_binary(product: &str, tests: &str, extra: &[&str]) -> Result<PathBuf> {
	if extra.iter().any(|flag| FAULT_FLAGS.contains(flag)) {
		binary(tests)
	} else {
		binary(product)
	}
}

/// Serves `bytes` as the body of every GET on a free loopback port (a blob
/// store that lies about what it holds); returns the port. Answers at most
/// 16 requests, then stops listening.
pub fn serve_fixed_bytes(bytes: Vec<u8>) -> Result<u16> {
	use std::io::{BufRead, BufReader, Write};
	let listener = TcpListener::bind("127.0.0.1:0").context("binding a port")?;
	let port = listener.local_addr()?.port();
	std::thread::spawn(move || {
		for stream in listener.incoming().take(16) {
			let Ok(mut stream) = stream else { continue };
			let mut reader = BufReader::new(match stream.try_clone() {
				Ok(clone) => clone,
				Err(_) => continue,
			});
			let mut line = String::new();
			while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
				line.clear();
			}
			let head = format!(
				"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
				bytes.len()
			);
			let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&bytes));
		}
	});
	Ok(port)
}

/// Waits until something listens on `127.0.0.1:port`.
pub async fn wait_for_port(port: u16, timeout: Duration) -> Result<()> {
	let deadline = Instant::now() + timeout;
	while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
		if Instant::now() >= deadline {
			bail!("nothing listens on 127.0.0.1:{port} after {timeout:?}");
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	Ok(())
}

/// Free and held balance of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balances {
	/// Spendable.
	pub free: u128,
	/// On hold (escrow, stake, deposits).
	pub held: u128,
}

impl Balances {
	/// Free plus held.
	pub fn total(&self) -> u128 {
		self.free + self.held
	}
}

/// Balances and total issuance at one block, and the fees paid after it:
/// what the tests compare to the unit.
pub struct Ledger {
	/// The block the balances were read at.
	pub block: u32,
	/// Total issuance at `block`.
	pub issuance: u128,
}

impl Ledger {
	/// Reads the latest finalized block's number and total issuance.
	pub async fn now(client: &Client) -> Result<Self> {
		let block = finalized_number(client).await?;
		let at = client.at_block(u64::from(block)).await?;
		let issuance = at
			.storage()
			.fetch(hypha_client::api::storage().balances().total_issuance(), ())
			.await?
			.decode()?;
		Ok(Ledger { block, issuance })
	}

	/// `account`'s balances at this ledger's block.
	pub async fn balances(
		&self,
		client: &Client,
		account: &hypha_client::AccountId,
	) -> Result<Balances> {
		let at = client.at_block(u64::from(self.block)).await?;
		let info = at
			.storage()
			.fetch(hypha_client::api::storage().system().account(), (*account,))
			.await?
			.decode()?;
		Ok(Balances { free: info.data.free, held: info.data.reserved })
	}

	/// Transaction fees paid per account in the blocks after this ledger's up
	/// to `later`'s block, from `TransactionFeePaid` (`actual_fee` includes
	/// the tip). The runtime burns fees.
	pub async fn fees_until(
		&self,
		client: &Client,
		later: &Ledger,
	) -> Result<std::collections::HashMap<[u8; 32], u128>> {
		let mut fees = std::collections::HashMap::new();
		for number in self.block + 1..=later.block {
			let at = client.at_block(u64::from(number)).await?;
			let events = at.events().fetch().await?;
			for fee in
				events.find::<hypha_client::api::transaction_payment::events::TransactionFeePaid>()
			{
				let fee = fee?;
				*fees.entry(fee.who.0).or_default() += fee.actual_fee;
			}
		}
		Ok(fees)
	}

	/// Tokens the jobs pallet burned in the blocks after this ledger's up
	/// to `later`'s: missed-deadline penalties and no-show slashes, the only
	/// burns it makes (docs/PROTOCOL.md).
	pub async fn burns_until(&self, client: &Client, later: &Ledger) -> Result<u128> {
		use hypha_client::api::jobs::events::{DeadlineMissed, VerifierAbsent};
		let mut burned = 0u128;
		for number in self.block + 1..=later.block {
			let at = client.at_block(u64::from(number)).await?;
			let events = at.events().fetch().await?;
			for missed in events.find::<DeadlineMissed>() {
				burned += missed?.slashed;
			}
			for absent in events.find::<VerifierAbsent>() {
				burned += absent?.slashed;
			}
		}
		Ok(burned)
	}
}

/// A daemon the tests started: the process and the port it serves HTTP on
/// (outputs and `/metrics` for a worker, `/metrics` for a verifier, blobs
/// for a store).
pub struct Daemon {
	/// The process; killed on drop.
	pub process: Process,
	/// Its HTTP port on 127.0.0.1.
	pub port: u16,
}

impl Daemon {
	/// Its base URL, `http://127.0.0.1:<port>`.
	pub fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.port)
	}
}

/// Starts `hypha store serve` on a free port, keeping its blobs in a fresh
/// directory of the system's temporary directory, and waits until it
/// listens.
pub async fn start_blob_store(name: &str) -> Result<Daemon> {
	let dir = std::env::temp_dir().join(format!("hypha-e2e-{name}-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	start_blob_store_in(name, &dir, free_port()?, &[]).await
}

/// Starts `hypha store serve` on `port` with its blobs in `dir` (kept, so
/// that a restart on the same `dir` finds them); `extra` flags last.
pub async fn start_blob_store_in(
	name: &str,
	dir: &Path,
	port: u16,
	extra: &[&str],
) -> Result<Daemon> {
	let mut args: Vec<&str> = vec!["--dir", dir.to_str().context("a store directory in UTF-8")?];
	args.extend(extra);
	start_blob_store_with(name, port, &args).await
}

/// Starts `hypha store serve` on `port` with `args` (which say where the
/// blobs live: `--dir` or `--s3-bucket`).
pub async fn start_blob_store_with(name: &str, port: u16, extra: &[&str]) -> Result<Daemon> {
	let mut args: Vec<String> = ["store", "serve", "--listen"].map(String::from).to_vec();
	args.push(format!("127.0.0.1:{port}"));
	args.extend(extra.iter().map(|a| a.to_string()));
	let process = Process::start(name, &binary("hypha")?, &args)?;
	wait_for_port(port, Duration::from_secs(60)).await?;
	Ok(Daemon { process, port })
}

/// Starts `hypha-worker` against `node_url` as `seed` (a dev seed such as
/// `//Eve`), keeping its state in `state_dir`, on the CPU backend, with a
/// 1000 HYPHA bond, asking `price_per_unit` HYPHA; `extra` flags last.
pub fn start_worker(
	name: &str,
	node_url: &str,
	seed: &str,
	state_dir: &Path,
	price_per_unit: &str,
	extra: &[&str],
) -> Result<Daemon> {
	let port = free_port()?;
	let mut args: Vec<String> = [
		"--node",
		node_url,
		"--seed",
		seed,
		"--price-per-unit",
		price_per_unit,
		"--bond",
		"1000",
		"--backend",
		"cpu",
	]
	.iter()
	.map(|a| a.to_string())
	.collect();
	args.extend(["--state-dir".into(), state_dir.display().to_string()]);
	args.extend(["--listen".into(), format!("127.0.0.1:{port}")]);
	args.extend(extra.iter().map(|a| a.to_string()));
	let binary = daemon_binary("hypha-worker", "hypha-e2e-worker", extra)?;
	Ok(Daemon { process: Process::start(name, &binary, &args)?, port })
}

/// Starts `hypha-verifier` against `node_url` as `seed`, on the CPU backend,
/// with a 100 HYPHA bond; `extra` flags last.
pub fn start_verifier(name: &str, node_url: &str, seed: &str, extra: &[&str]) -> Result<Daemon> {
	let port = free_port()?;
	let mut args: Vec<String> =
		["--node", node_url, "--seed", seed, "--bond", "100", "--backend", "cpu"]
			.iter()
			.map(|a| a.to_string())
			.collect();
	args.extend(["--metrics-listen".into(), format!("127.0.0.1:{port}")]);
	args.extend(extra.iter().map(|a| a.to_string()));
	let binary = daemon_binary("hypha-verifier", "hypha-e2e-verifier", extra)?;
	Ok(Daemon { process: Process::start(name, &binary, &args)?, port })
}

/// Writes the digits training job with `epochs` epochs into `out` (`hypha
/// digits prepare`) and returns its spec, `out/train.toml`.
pub async fn digits_training_job(out: &Path, epochs: u32) -> Result<PathBuf> {
	let data = repo_root().join("data/digits.safetensors");
	let (data, epochs, dir) =
		(data.display().to_string(), epochs.to_string(), out.display().to_string());
	hypha_cli(&["digits", "prepare", "--data", &data, "--epochs", &epochs, "--out", &dir]).await?;
	Ok(out.join("train.toml"))
}
