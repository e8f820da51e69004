//! # Hypha end-to-end test harness
//!
//! Starts real `hypha-node` processes on free ports and talks to them through
//! `hypha-client` (subxt). Every process is killed when its [`NodeProcess`] is
//! dropped, so a failing test leaves nothing running.
//!
//! The node binary is found next to the test binary (`target/<profile>/`), or
//! at `$HYPHA_NODE_BIN`. Build it first: `make test` does.

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
	// The test binary lives in target/<profile>/deps/; the node in target/<profile>/.
	let exe = std::env::current_exe().context("locating the test binary")?;
	let profile_dir = exe
		.parent()
		.and_then(Path::parent)
		.context("the test binary is not inside a cargo target directory")?;
	let node = profile_dir.join("hypha-node");
	if !node.exists() {
		bail!(
			"{} does not exist: build the node first (`cargo build -p hypha-node`, or `make test`), or set HYPHA_NODE_BIN",
			node.display()
		);
	}
	Ok(node)
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

/// A running `hypha-node` process, killed on drop.
pub struct NodeProcess {
	child: Child,
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
		let log_path = std::env::temp_dir().join(format!(
			"hypha-e2e-{name}-{}-{}.log",
			std::process::id(),
			ports.rpc
		));
		let log = std::fs::File::create(&log_path)
			.with_context(|| format!("creating {}", log_path.display()))?;
		let child = Command::new(&binary)
			.args(args)
			.args(["--rpc-port", &ports.rpc.to_string()])
			.args(["--port", &ports.p2p.to_string()])
			.args(["--prometheus-port", &ports.prometheus.to_string()])
			.args(["--no-telemetry", "--no-mdns"])
			.stdout(Stdio::from(log.try_clone()?))
			.stderr(Stdio::from(log))
			.spawn()
			.with_context(|| format!("starting {}", binary.display()))?;
		Ok(NodeProcess { child, ports, log_path, name: name.to_string() })
	}

	/// The node's WebSocket URL.
	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.ports.rpc)
	}

	/// Connects a client, retrying while the node starts (up to `timeout`).
	pub async fn client(&mut self, timeout: Duration) -> Result<Client> {
		let deadline = Instant::now() + timeout;
		loop {
			if let Some(status) = self.child.try_wait()? {
				bail!("node {} exited with {status} before serving RPC; {}", self.name, self.log_tail());
			}
			match hypha_client::connect(&self.ws_url()).await {
				Ok(client) => return Ok(client),
				Err(error) if Instant::now() >= deadline => {
					bail!("node {} did not serve RPC within {timeout:?}: {error}; {}", self.name, self.log_tail())
				},
				Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
			}
		}
	}

	/// The last lines of the node's log, for error messages.
	pub fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
		let lines: Vec<&str> = text.lines().collect();
		let start = lines.len().saturating_sub(30);
		format!("last log lines of {} ({}):\n{}", self.name, self.log_path.display(), lines[start..].join("\n"))
	}

	/// Stops the node (SIGKILL) and waits for it.
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

impl Drop for NodeProcess {
	fn drop(&mut self) {
		self.kill();
	}
}

/// The number of the latest finalized block.
pub async fn finalized_number(client: &Client) -> Result<u32> {
	let block = client.at_current_block().await.context("reading the finalized block")?;
	Ok(block.block_number().try_into().context("block number out of range")?)
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
