//! The explorer in a real browser: a dev chain with a worker and a verifier
//! runs an audited job and an unaudited one; `hypha explorer` indexes the
//! chain; headless Chromium (over the DevTools protocol) loads the market,
//! job and account pages and the test asserts on what they render against
//! what the chain's own events say. Then the bad inputs (unknown and
//! malformed ids, malformed queries), the node going away and coming back
//! while a page stays open (its banner changes without a reload), and the
//! explorer's own restart (the same pages, rebuilt from the chain).
//!
//! The Grafana dashboard in `docs/grafana/hypha.json` is checked against
//! the same run: valid dashboard JSON, and every metric it queries is one
//! the node, the worker, the verifier or the explorer exports.
//!
//! Screenshots go to the test's temporary directory; with
//! `HYPHA_UPDATE_SCREENSHOTS=1` also to `docs/images/` (the README's).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hypha_client::amount::format_hypha;
use hypha_client::subxt_signer::sr25519::dev;
use hypha_client::{api, AccountId, Client, JobStatus};
use hypha_e2e::browser::Browser;
use hypha_e2e::{
	binary, digits_training_job, free_port, http_get, hypha_cli, repo_root, start_blob_store_in,
	start_verifier, start_worker, wait_for_port, NodeProcess, Process,
};

const STARTUP: Duration = Duration::from_secs(120);
const PATIENCE: Duration = Duration::from_secs(240);

/// Sets Jobs parameters through sudo.
async fn sudo_set(url: &str, set: &[&str]) -> Result<()> {
	let mut args = vec!["gov", "sudo-set-params", "--url", url, "--seed", "//Alice"];
	for change in set {
		args.extend(["--set", change]);
	}
	hypha_cli(&args).await.map(drop)
}

/// Waits until `job` has ended; returns its final status.
async fn ended(client: &Client, job: u64, logs: impl Fn() -> String) -> Result<JobStatus> {
	let deadline = Instant::now() + PATIENCE;
	loop {
		let status = hypha_e2e::job_status(client, job).await?;
		if status.is_final() {
			return Ok(status);
		}
		if Instant::now() > deadline {
			bail!("job {job} has not ended after {PATIENCE:?}: {status:?}\n{}", logs());
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// What the chain's `JobSettled` events say, up to the finalized block.
#[derive(Debug, Default)]
struct Settlements {
	/// `(job, provider, paid, verifier fees)`.
	settled: Vec<(u64, AccountId, u128, u128)>,
}

async fn settlements(client: &Client) -> Result<Settlements> {
	let finalized = hypha_e2e::finalized_number(client).await?;
	let mut out = Settlements::default();
	for number in 1..=finalized {
		let events = client.at_block(u64::from(number)).await?.events().fetch().await?;
		for settled in events.find::<api::jobs::events::JobSettled>() {
			let e = settled?;
			out.settled.push((e.job, e.provider, e.paid, e.verifier_fees));
		}
	}
	Ok(out)
}

/// The HTTP status line and body of `GET path` on the explorer.
fn get(port: u16, path: &str) -> Result<(String, String)> {
	let response = http_get(port, path)?;
	let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
	Ok((head.lines().next().unwrap_or_default().to_string(), body.to_string()))
}

async fn wait_healthy(port: u16, explorer: &mut Process) -> Result<()> {
	wait_for_port(port, STARTUP).await?;
	let deadline = Instant::now() + STARTUP;
	loop {
		explorer.ensure_running()?;
		if get(port, "/healthz")?.0.contains("200") {
			return Ok(());
		}
		if Instant::now() > deadline {
			bail!("the explorer did not catch up: {}", explorer.log_tail());
		}
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
}

fn start_explorer(port: u16, url: &str) -> Result<Process> {
	let args =
		["explorer", "--listen", &format!("127.0.0.1:{port}"), "--url", url].map(String::from);
	Process::start("explorer", &binary("hypha")?, &args)
}

/// Waits until the page shows `charts` drawn charts (a live refresh
/// redraws them after swapping the content in), then saves a screenshot.
async fn charts_then_shot(browser: &mut Browser, charts: usize, path: &Path) -> Result<()> {
	let drawn = format!("document.querySelectorAll('.chart .uplot').length === {charts}");
	browser.wait_for("the charts before a screenshot", &drawn).await?;
	browser.screenshot(path).await
}

fn shot(dir: &Path, name: &str) -> PathBuf {
	dir.join("screenshots").join(format!("explorer-{name}.png"))
}

/// The metric names a dashboard's queries use (`hypha_*`, `substrate_*`).
fn dashboard_metrics(dashboard: &serde_json::Value) -> Result<BTreeSet<String>> {
	ensure!(dashboard["title"].is_string(), "the dashboard has no title");
	ensure!(dashboard["schemaVersion"].is_u64(), "the dashboard has no schemaVersion");
	let panels = dashboard["panels"].as_array().context("the dashboard has no panels")?;
	let mut names = BTreeSet::new();
	for panel in panels {
		if panel["type"] == "row" {
			continue;
		}
		let targets = panel["targets"]
			.as_array()
			.with_context(|| format!("panel {} has no targets", panel["title"]))?;
		ensure!(panel["datasource"].is_object(), "panel {} names no datasource", panel["title"]);
		for target in targets {
			let expr = target["expr"].as_str().context("a target without expr")?;
			let mut word = String::new();
			for c in expr.chars().chain([' ']) {
				if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
					word.push(c);
				} else {
					if word.starts_with("hypha_") || word.starts_with("substrate_") {
						names.insert(std::mem::take(&mut word));
					}
					word.clear();
				}
			}
		}
	}
	Ok(names)
}

/// The metric families a Prometheus text exposition declares.
fn exported(text: &str) -> BTreeSet<String> {
	text.lines()
		.filter_map(|line| line.strip_prefix("# TYPE ")?.split_whitespace().next())
		.map(str::to_string)
		.collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_shows_the_market_jobs_and_accounts_in_a_real_browser() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let dir = std::env::temp_dir().join(format!("hypha-e2e-explorer-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir)?;
	// A base path of its own, so that the node comes back with its chain.
	let base = dir.join("node").display().to_string();
	// Archive state: the explorer reads every block's events from the
	// start, and by default a node keeps the state of the last 256 only.
	let mut node = NodeProcess::start(
		"explorer-node",
		&["--dev", "--base-path", &base, "--state-pruning", "archive"],
	)?;
	let client = node.client(STARTUP).await?;
	let url = node.ws_url();
	let store =
		start_blob_store_in("explorer-store", &dir.join("store"), free_port()?, &["--node", &url])
			.await?;
	sudo_set(&url, &["p_min_ppm=1000000", "verifier_fee=0.01"]).await?;
	let (eve, ferdie): (AccountId, AccountId) =
		(dev::eve().public_key().into(), dev::ferdie().public_key().into());
	let mut worker =
		start_worker("explorer-worker", &url, "//Eve", &dir.join("worker"), "0.001", &[])?;
	let mut verifier = start_verifier("explorer-verifier", &url, "//Ferdie", &[])?;
	let spec = digits_training_job(&dir.join("job"), 2).await?.display().to_string();
	let store_url = store.url();
	let submit = async || -> Result<u64> {
		let out = hypha_cli(&[
			"job", "submit", &spec, "--url", &url, "--seed", "//Bob", "--store", &store_url,
		])
		.await?;
		hypha_e2e::submitted_job(&out)
	};
	let logs = || {
		format!(
			"{}\n{}\n{}",
			node.log_tail(),
			worker.process.log_tail(),
			verifier.process.log_tail()
		)
	};

	// Job one: every result audited.
	let audited = submit().await?;
	let status = ended(&client, audited, &logs).await?;
	ensure!(
		matches!(&status, JobStatus::Settled { auditors, .. } if auditors.contains(&ferdie)),
		"job {audited} should settle audited by Ferdie: {status:?}"
	);
	// Then the chain's own sampling (about 5 % for a spotless provider,
	// more for a new one), two jobs at a time until one is not audited.
	sudo_set(&url, &["p_min_ppm=10000"]).await?;
	let mut unaudited = None;
	let mut jobs = vec![audited];
	for _round in 0..4 {
		let round = [submit().await?, submit().await?];
		jobs.extend(round);
		for job in round {
			if let JobStatus::Settled { auditors, .. } = ended(&client, job, &logs).await? {
				if auditors.is_empty() && unaudited.is_none() {
					unaudited = Some(job);
				}
			}
		}
		if unaudited.is_some() {
			break;
		}
	}
	let unaudited = unaudited.context("eight jobs at the chain's sampling were all audited")?;
	worker.process.ensure_running()?;
	verifier.process.ensure_running()?;
	let truth = settlements(&client).await?;
	let earned: u128 = truth.settled.iter().filter(|s| s.1 == eve).map(|s| s.2).sum();
	let fees: u128 = truth.settled.iter().map(|s| s.3).sum();
	let paid_audited = truth
		.settled
		.iter()
		.find(|s| s.0 == audited)
		.map(|s| s.2)
		.context("no JobSettled for the audited job")?;
	println!(
		"jobs {jobs:?}: audited {audited}, unaudited {unaudited}; Eve earned {}",
		format_hypha(earned)
	);

	// The explorer, from the chain's first block.
	let port = free_port()?;
	let mut explorer = start_explorer(port, &url)?;
	wait_healthy(port, &mut explorer).await?;
	let base_url = format!("http://127.0.0.1:{port}");
	let mut browser = Browser::start("explorer-chromium", 1280, 1600).await?;

	// The market: counts, the audit share, the charts.
	browser.goto(&format!("{base_url}/")).await?;
	browser
		.wait_for(
			"the market is live",
			"document.querySelector('#health').dataset.health === 'live'",
		)
		.await?;
	browser
		.wait_for(
			"the three charts are drawn",
			"document.querySelectorAll('.chart .uplot').length === 3",
		)
		.await?;
	let settled = browser.text("#stat-settled .value").await?;
	ensure!(
		settled == jobs.len().to_string(),
		"the market shows {settled} settled jobs, not {}",
		jobs.len()
	);
	ensure!(browser.text("#stat-jobs .value").await? == jobs.len().to_string());
	ensure!(browser.text("#stat-cheats .value").await? == "0");
	let audit_share = browser.text("#stat-audited .value").await?;
	ensure!(
		audit_share.contains(&format!(" of {} (", jobs.len())),
		"the audit share reads {audit_share}"
	);
	ensure!(browser.text("#stat-paid .value").await? == format_hypha(earned));
	let market_rows = browser.eval("document.querySelectorAll('tr[data-job]').length").await?;
	ensure!(market_rows.as_u64() == Some(jobs.len() as u64), "{market_rows} job rows");
	charts_then_shot(&mut browser, 3, &shot(&dir, "market")).await?;

	// The audited job: settled, its steps, the money.
	browser.goto(&format!("{base_url}/job/{audited}")).await?;
	let title = browser.text("h1").await?;
	ensure!(title.contains(&format!("Job #{audited}")) && title.contains("settled"), "{title}");
	let steps = browser.text("table.steps").await?;
	for step in [
		"submitted by",
		"claimed by",
		"result committed by",
		"sampling drawn at 100.00 %: audited",
		"audit assigned to",
		"verdict of",
		"agrees with the provider",
		"settled:",
	] {
		ensure!(steps.contains(step), "the steps of job {audited} lack `{step}`:\n{steps}");
	}
	let paid = browser.text("#paid td").await?;
	ensure!(
		paid == format_hypha(paid_audited),
		"job {audited} shows {paid} paid, the chain {}",
		format_hypha(paid_audited)
	);
	browser.screenshot(&shot(&dir, "job")).await?;
	// The unaudited one says so.
	browser.goto(&format!("{base_url}/job/{unaudited}")).await?;
	let steps = browser.text("table.steps").await?;
	ensure!(
		steps.contains("not audited") && steps.contains("settled"),
		"job {unaudited}:\n{steps}"
	);

	// The provider: its bond, its earning, its reputation over time.
	browser.goto(&format!("{base_url}/account/{eve}")).await?;
	let shown = browser.text("#earned td").await?;
	ensure!(
		shown == format_hypha(earned),
		"Eve's page shows {shown} earned, the chain {}",
		format_hypha(earned)
	);
	let bond = browser.text("#provider").await?;
	ensure!(bond.contains("1000 HYPHA"), "Eve's bond:\n{bond}");
	browser.wait_for("Eve's reputation chart", "document.querySelector('.chart .uplot')").await?;
	charts_then_shot(&mut browser, 1, &shot(&dir, "account")).await?;
	// The verifier: its fees.
	browser.goto(&format!("{base_url}/account/{ferdie}")).await?;
	let shown = browser.text("#fees td").await?;
	ensure!(
		shown == format_hypha(fees),
		"Ferdie's page shows {shown} in fees, the chain {}",
		format_hypha(fees)
	);
	// The parameters, read now.
	browser.goto(&format!("{base_url}/params")).await?;
	let params = browser.text("#content").await?;
	ensure!(params.contains("p_min_ppm") && params.contains("10000"), "{params}");

	// Bad input: clear pages with the right status, never a trace.
	browser.goto(&format!("{base_url}/job/999999")).await?;
	let missing = browser.text("#content").await?;
	ensure!(missing.contains("There is no job #999999"), "{missing}");
	let range =
		format!("#{} to #{}", jobs.iter().min().unwrap_or(&0), jobs.iter().max().unwrap_or(&0));
	ensure!(missing.contains(&range), "the not-found page should name {range}: {missing}");
	for (path, status, says) in [
		("/job/999999", "404", "There is no job #999999"),
		("/job/abc", "400", "is not a job id"),
		("/job/-1", "400", "is not a job id"),
		("/account/not-an-address", "400", "is not an account"),
		("/search?q=%ZZ%", "400", "neither a job id"),
		("/search?q=", "400", "Search for a job id"),
		("/search?q=%ff%fe", "400", "neither a job id"),
		("/search?q=1&q=2", "400", "query string is malformed"),
		("/nowhere", "404", "no such page"),
	] {
		let (line, body) = get(port, path)?;
		ensure!(line.contains(status), "{path}: {line}");
		ensure!(body.contains(says), "{path} does not say `{says}`:\n{body}");
	}
	let (line, _) = get(port, &format!("/search?q=%23{audited}"))?;
	ensure!(line.contains("303"), "a search for #{audited} should redirect: {line}");

	// The Grafana dashboard names only metrics the processes export (the
	// daemons stop when their node goes away, so before it does).
	let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
		repo_root().join("docs/grafana/hypha.json"),
	)?)?;
	let wanted = dashboard_metrics(&dashboard)?;
	let mut have = BTreeSet::new();
	for metrics in [node.ports.prometheus, worker.port, verifier.port, port] {
		have.extend(exported(&http_get(metrics, "/metrics")?));
	}
	let missing: Vec<&String> = wanted
		.iter()
		.filter(|name| {
			let family = ["_bucket", "_sum", "_count"]
				.iter()
				.find_map(|suffix| name.strip_suffix(suffix))
				.unwrap_or(name);
			!have.contains(family)
		})
		.collect();
	ensure!(missing.is_empty(), "the dashboard queries metrics nobody exports: {missing:?}");
	ensure!(wanted.iter().any(|m| m.starts_with("hypha_worker_")), "no worker metric");
	ensure!(wanted.iter().any(|m| m.starts_with("hypha_verifier_")), "no verifier metric");
	ensure!(wanted.iter().any(|m| m.starts_with("substrate_")), "no node metric");

	// The node goes away while the market page is open: the banner says so
	// without a reload, the content stays, and it recovers.
	browser.goto(&format!("{base_url}/")).await?;
	browser.eval("window.__kept = true").await?;
	node.kill();
	browser
		.wait_for(
			"the page says the node is unreachable",
			"document.querySelector('#health').dataset.health === 'unreachable'",
		)
		.await?;
	ensure!(browser.text("#health").await?.contains("The node is unreachable"));
	ensure!(browser.text("#stat-settled .value").await? == jobs.len().to_string());
	browser.screenshot(&shot(&dir, "unreachable")).await?;
	let (line, _) = get(port, "/healthz")?;
	ensure!(line.contains("503"), "/healthz with the node away: {line}");
	node.process().restart()?;
	browser
		.wait_for_within(
			"the page is live again",
			"document.querySelector('#health').dataset.health === 'live'",
			Duration::from_secs(120),
		)
		.await
		.with_context(|| node.log_tail())?;
	ensure!(browser.eval("window.__kept === true").await? == true, "the page was reloaded");

	// The explorer's own restart: the same pages from a fresh index.
	// The content after the banner (which names the newest block); of an
	// account, its sections (its free balance is read live).
	let page_of = |path: &str, from: &str| -> Result<String> {
		let (_, body) = get(port, path)?;
		let start = body.find(from).with_context(|| format!("{path} has no `{from}`:\n{body}"))?;
		Ok(body[start..].to_string())
	};
	let pages = [
		(format!("/job/{audited}"), "</div>"),
		(format!("/job/{unaudited}"), "</div>"),
		(format!("/account/{eve}"), "<section"),
		(format!("/account/{ferdie}"), "<section"),
		("/".to_string(), "<h1>"),
	];
	let before: Vec<String> =
		pages.iter().map(|(p, from)| page_of(p, from)).collect::<Result<_>>()?;
	explorer.restart()?;
	wait_healthy(port, &mut explorer).await?;
	for ((path, from), before) in pages.iter().zip(&before) {
		let after = page_of(path, from)?;
		ensure!(
			&after == before,
			"{path} changed across the explorer's restart:\n{before}\n---\n{after}"
		);
	}

	if std::env::var_os("HYPHA_UPDATE_SCREENSHOTS").is_some() {
		for name in ["market", "job", "account"] {
			let to = repo_root().join("docs/images").join(format!("explorer-{name}.png"));
			std::fs::create_dir_all(to.parent().unwrap_or(Path::new(".")))?;
			std::fs::copy(shot(&dir, name), &to)?;
		}
	}
	println!("screenshots in {}", dir.join("screenshots").display());
	drop(browser);
	let _ = std::fs::remove_dir_all(dir.join("node"));
	Ok(())
}
