//! Headless Chromium (Debian's `chromium`) driven over the DevTools
//! protocol, for the tests of the explorer's pages: navigate, wait for a
//! condition in the page, read what it rendered, take screenshots.
//!
//! The protocol is JSON over one WebSocket: a command `{id, method,
//! params}` is answered by a message with the same `id`; the events the
//! browser sends in between are skipped. The browser runs as a
//! [`Process`] (killed on drop) with a profile of its own in a fresh
//! directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::{free_port, Process};

type Socket =
	tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The browser: `$HYPHA_CHROMIUM`, or `chromium` on the `PATH` (installed by
/// `scripts/setup.sh`).
pub fn chromium() -> Result<PathBuf> {
	if let Some(path) = std::env::var_os("HYPHA_CHROMIUM") {
		return Ok(PathBuf::from(path));
	}
	let path = std::env::var_os("PATH").unwrap_or_default();
	std::env::split_paths(&path)
		.map(|dir| dir.join("chromium"))
		.find(|candidate| candidate.is_file())
		.context("no `chromium` on the PATH: `make setup` installs Debian's chromium package")
}

/// A headless Chromium with one page, driven over the DevTools protocol.
pub struct Browser {
	/// The browser process; killed on drop.
	pub process: Process,
	socket: Socket,
	next_id: u64,
	profile: PathBuf,
}

impl Browser {
	/// Starts Chromium with a `width` × `height` window and connects to its
	/// page.
	pub async fn start(name: &str, width: u32, height: u32) -> Result<Self> {
		let port = free_port()?;
		let profile = std::env::temp_dir()
			.join(format!("hypha-e2e-{name}-profile-{}-{port}", std::process::id()));
		let _ = std::fs::remove_dir_all(&profile);
		let args: Vec<String> = [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-dev-shm-usage",
			"--no-first-run",
			"--no-default-browser-check",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
			"--disable-extensions",
			"--mute-audio",
			"--hide-scrollbars",
			"--remote-debugging-address=127.0.0.1",
		]
		.iter()
		.map(|a| a.to_string())
		.chain([
			format!("--remote-debugging-port={port}"),
			format!("--window-size={width},{height}"),
			format!("--user-data-dir={}", profile.display()),
			"about:blank".to_string(),
		])
		.collect();
		let mut process = Process::start(name, &chromium()?, &args)?;
		// The page's WebSocket, from the browser's target list.
		let deadline = Instant::now() + Duration::from_secs(60);
		let url = loop {
			process.ensure_running()?;
			if let Some(url) = targets(port).await.ok().and_then(|list| page_socket(&list)) {
				break url;
			}
			if Instant::now() > deadline {
				bail!("chromium served no DevTools page within 60 s: {}", process.log_tail());
			}
			tokio::time::sleep(Duration::from_millis(200)).await;
		};
		let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
			.await
			.with_context(|| format!("connecting to chromium's page at {url}"))?;
		let mut browser = Browser { process, socket, next_id: 0, profile };
		browser.call("Page.enable", json!({})).await?;
		Ok(browser)
	}

	/// Sends a DevTools command and returns its result.
	pub async fn call(&mut self, method: &str, params: Value) -> Result<Value> {
		self.next_id += 1;
		let id = self.next_id;
		let command = json!({ "id": id, "method": method, "params": params }).to_string();
		self.socket.send(Message::Text(command.into())).await.context("writing to chromium")?;
		let answer = tokio::time::timeout(Duration::from_secs(60), async {
			while let Some(message) = self.socket.next().await {
				let message = message.context("reading from chromium")?;
				let Message::Text(text) = message else { continue };
				let value: Value = serde_json::from_str(text.as_str())?;
				if value["id"].as_u64() == Some(id) {
					return Ok(value);
				}
			}
			bail!("chromium closed the connection")
		})
		.await
		.with_context(|| format!("chromium did not answer {method} within 60 s"))??;
		if let Some(error) = answer.get("error") {
			bail!("chromium refused {method}: {error}");
		}
		Ok(answer["result"].clone())
	}

	/// The value of the JavaScript `expression` in the page (awaited if it
	/// is a promise).
	pub async fn eval(&mut self, expression: &str) -> Result<Value> {
		let result = self
			.call(
				"Runtime.evaluate",
				json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
			)
			.await?;
		if let Some(exception) = result.get("exceptionDetails") {
			bail!("`{expression}` threw in the page: {exception}");
		}
		Ok(result["result"]["value"].clone())
	}

	/// Opens `url` and waits until its document has loaded.
	pub async fn goto(&mut self, url: &str) -> Result<()> {
		let navigated = self.call("Page.navigate", json!({ "url": url })).await?;
		if let Some(error) = navigated.get("errorText") {
			bail!("chromium could not open {url}: {error}");
		}
		self.wait_for(&format!("{url} loaded"), "document.readyState === 'complete'").await?;
		Ok(())
	}

	/// Waits (up to 60 s) until the JavaScript `condition` is truthy in the
	/// page and returns its value; the page is not reloaded meanwhile.
	pub async fn wait_for(&mut self, what: &str, condition: &str) -> Result<Value> {
		self.wait_for_within(what, condition, Duration::from_secs(60)).await
	}

	/// Like [`Browser::wait_for`], with its own patience.
	pub async fn wait_for_within(
		&mut self,
		what: &str,
		condition: &str,
		patience: Duration,
	) -> Result<Value> {
		let deadline = Instant::now() + patience;
		loop {
			// A page in the middle of swapping its content can throw; try again.
			if let Ok(value) = self.eval(condition).await {
				let truthy = match &value {
					Value::Null => false,
					Value::Bool(b) => *b,
					Value::String(s) => !s.is_empty(),
					Value::Number(n) => n.as_f64() != Some(0.0),
					_ => true,
				};
				if truthy {
					return Ok(value);
				}
			}
			if Instant::now() > deadline {
				let html = self.text("document.body").await.unwrap_or_default();
				bail!("{what}: not within {patience:?}; the page shows:\n{html}");
			}
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}

	/// The text of the first element `selector` names (a JavaScript
	/// expression for an element, or a CSS selector), `""` if none.
	pub async fn text(&mut self, element: &str) -> Result<String> {
		let expression = if element.starts_with("document") {
			format!("(({element}) || {{}}).innerText || ''")
		} else {
			format!("(document.querySelector({}) || {{}}).innerText || ''", json!(element))
		};
		Ok(self.eval(&expression).await?.as_str().unwrap_or_default().to_string())
	}

	/// Saves a PNG of the page (the whole page, beyond the window) to `path`.
	pub async fn screenshot(&mut self, path: &Path) -> Result<()> {
		let shot = self
			.call(
				"Page.captureScreenshot",
				json!({ "format": "png", "captureBeyondViewport": true }),
			)
			.await?;
		let data = shot["data"].as_str().context("a screenshot without data")?;
		let png = base64::engine::general_purpose::STANDARD.decode(data)?;
		if let Some(dir) = path.parent() {
			std::fs::create_dir_all(dir)?;
		}
		std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
	}
}

impl Drop for Browser {
	fn drop(&mut self) {
		self.process.kill();
		let _ = std::fs::remove_dir_all(&self.profile);
	}
}

/// The browser's target list (its DevTools HTTP server speaks HTTP/1.1
/// only and keeps the connection open).
async fn targets(port: u16) -> Result<String> {
	let url = format!("http://127.0.0.1:{port}/json/list");
	let response = reqwest::Client::new().get(&url).timeout(Duration::from_secs(10)).send().await?;
	Ok(response.text().await?)
}

/// The WebSocket URL of the first page in a `/json/list` body.
fn page_socket(body: &str) -> Option<String> {
	let targets: Value = serde_json::from_str(body).ok()?;
	targets
		.as_array()?
		.iter()
		.find(|t| t["type"] == "page")
		.and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_string))
}
