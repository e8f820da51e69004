//! `gateway-bench`: what the market adds to a completion, side by side in
//! one run. On one dev node with a blob store, one worker and one verifier:
//!
//! 1. **The compute alone**: the same `generate` job (model, prompt, tokens)
//!    run in this process on the CPU backend, as `hypha job run-local`
//!    runs it: time to the first token and to the last.
//! 2. **Through the gateway, streamed**: `POST /v1/completions` with
//!    `stream: true`: time to the first text and to `[DONE]` (after the
//!    commitment is on a best block and the output checked against it).
//! 3. **Through the gateway, plain**: the same without streaming: time to
//!    the response.
//!
//! Each row is `--requests` requests one after the other (greedy, so every
//! request is the same job). The binaries next to this one are used:
//! `make bench-gateway` builds them all in release.
//!
//! Prints Markdown for docs/BENCHMARKS.md.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use clap::Parser;
use hypha_e2e::{start_blob_store_in, start_verifier, start_worker, NodeProcess, Process};

#[derive(Parser, Debug)]
#[command(
	about = "Time to first token and total time through the gateway, against the compute alone"
)]
struct Args {
	/// Requests per row.
	#[arg(long, default_value_t = 10)]
	requests: usize,
	/// Tokens per completion.
	#[arg(long, default_value_t = 16)]
	max_tokens: usize,
	/// The prompt.
	#[arg(long, default_value = "The secret of life is")]
	prompt: String,
}

/// Seconds, p50 and max.
fn spread(mut seconds: Vec<f64>) -> (f64, f64) {
	seconds.sort_by(f64::total_cmp);
	let p50 = seconds.get(seconds.len() / 2).copied().unwrap_or(f64::NAN);
	(p50, seconds.last().copied().unwrap_or(f64::NAN))
}

/// A JSON POST that succeeded.
async fn post(
	http: &reqwest::Client,
	url: &str,
	body: &serde_json::Value,
) -> Result<reqwest::Response> {
	Ok(http
		.post(url)
		.header("content-type", "application/json")
		.body(body.to_string())
		.send()
		.await?
		.error_for_status()?)
}

/// One streamed request: (seconds to the first text, seconds to `[DONE]`, text).
async fn streamed(
	http: &reqwest::Client,
	url: &str,
	body: &serde_json::Value,
) -> Result<(f64, f64, String)> {
	let started = Instant::now();
	let mut response = post(http, url, body).await?;
	let (mut first, mut text, mut pending, mut done) = (None, String::new(), String::new(), false);
	while let Some(chunk) = response.chunk().await? {
		pending.push_str(&String::from_utf8_lossy(&chunk));
		while let Some(end) = pending.find("\n\n") {
			let event: String = pending.drain(..end + 2).collect();
			let Some(data) = event.trim().strip_prefix("data: ") else { continue };
			if data == "[DONE]" {
				done = true;
				continue;
			}
			let value: serde_json::Value = serde_json::from_str(data)?;
			ensure!(value.get("error").is_none(), "the gateway answered an error: {value}");
			let delta = value["choices"][0]["text"].as_str().unwrap_or_default();
			if !delta.is_empty() {
				first.get_or_insert(started.elapsed().as_secs_f64());
				text.push_str(delta);
			}
		}
	}
	ensure!(done, "the stream ended without [DONE]");
	Ok((first.context("no text streamed")?, started.elapsed().as_secs_f64(), text))
}

#[tokio::main]
async fn main() -> Result<()> {
	let args = Args::parse();
	let dir = std::env::temp_dir().join(format!("hypha-gateway-bench-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir)?;
	let model = dir.join("fortune-lm.hypha.safetensors");
	let checkpoint = hypha_e2e::repo_root().join("data/fortune-lm");
	hypha_e2e::hypha_cli(&[
		"model",
		"import",
		&checkpoint.display().to_string(),
		"--out",
		&model.display().to_string(),
	])
	.await?;

	// 1. The compute alone, in process.
	let bytes = std::fs::read(&model)?;
	let input = hypha_compute::lm::job::GenerateRequest::new(
		args.prompt.clone(),
		args.max_tokens,
		hypha_compute::lm::Sampling::GREEDY,
	)
	.to_bytes();
	let backend = hypha_compute::Backend::select(hypha_compute::BackendChoice::Cpu)?;
	let (mut local_first, mut local_total) = (Vec::new(), Vec::new());
	for _ in 0..args.requests {
		let started = Instant::now();
		let job =
			hypha_compute::package::load(hypha_primitives::WorkloadKind::Generate, &bytes, &input)?;
		let mut first = None;
		job.run_streaming(&backend, |_, _, _| {}, &mut |_| {
			first.get_or_insert(started.elapsed().as_secs_f64());
		})?;
		local_first.push(first.context("no token")?);
		local_total.push(started.elapsed().as_secs_f64());
	}

	// The market: a dev node, a store, a worker, a verifier, the gateway.
	let mut node = NodeProcess::start("gateway-bench", &["--dev"])?;
	let client = node.client(Duration::from_secs(120)).await?;
	let url = node.ws_url();
	let store = start_blob_store_in(
		"gateway-bench-store",
		&dir.join("store"),
		hypha_e2e::free_port()?,
		&["--node", &url],
	)
	.await?;
	let _worker =
		start_worker("gateway-bench-worker", &url, "//Eve", &dir.join("worker"), "0.001", &[])?;
	let _verifier = start_verifier("gateway-bench-verifier", &url, "//Ferdie", &[])?;
	let port = hypha_e2e::free_port()?;
	let listen = format!("127.0.0.1:{port}");
	let gateway_args: Vec<String> = [
		"--listen".to_string(),
		listen.clone(),
		"--node".into(),
		url.clone(),
		"--store".into(),
		store.url(),
		"--seed".into(),
		"//Charlie".into(),
		"--model".into(),
		format!("fortune-lm={}", model.display()),
	]
	.into();
	let _gateway = Process::start(
		"gateway-bench-gateway",
		&hypha_e2e::binary("hypha-gateway")?,
		&gateway_args,
	)?;
	hypha_e2e::wait_for_port(port, Duration::from_secs(120)).await?;
	// Both daemons registered: the first job is not kept waiting for them.
	let deadline = Instant::now() + Duration::from_secs(120);
	loop {
		let verifiers = hypha_client::query::verifiers(&client).await?;
		let eve = hypha_client::keys::account_of(&hypha_client::keys::signer_from_uri("//Eve")?);
		let provider = hypha_client::query::provider_capabilities(&client, &eve).await?;
		if !verifiers.is_empty() && provider.is_some() {
			break;
		}
		ensure!(Instant::now() < deadline, "the worker and the verifier did not register");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	let http = reqwest::Client::new();
	let endpoint = format!("http://{listen}/v1/completions");
	let body = |stream: bool| {
		serde_json::json!({
			"model": "fortune-lm",
			"prompt": args.prompt,
			"max_tokens": args.max_tokens,
			"temperature": 0,
			"stream": stream,
		})
	};
	// One request first, not timed: the worker's first job also measures its pace.
	streamed(&http, &endpoint, &body(true)).await?;
	let (mut stream_first, mut stream_total) = (Vec::new(), Vec::new());
	for _ in 0..args.requests {
		let (first, total, _) = streamed(&http, &endpoint, &body(true)).await?;
		stream_first.push(first);
		stream_total.push(total);
	}
	let mut plain_total = Vec::new();
	for _ in 0..args.requests {
		let started = Instant::now();
		let response: serde_json::Value =
			serde_json::from_slice(&post(&http, &endpoint, &body(false)).await?.bytes().await?)?;
		ensure!(response["choices"][0]["text"].is_string(), "{response}");
		plain_total.push(started.elapsed().as_secs_f64());
	}

	let row = |name: &str, first: Option<(f64, f64)>, total: (f64, f64)| {
		let first = first.map_or("—".to_string(), |(p50, max)| format!("{p50:.3} / {max:.3}"));
		println!("| {name} | {first} | {:.3} / {:.3} |", total.0, total.1);
	};
	println!(
		"{} requests per row, {} new tokens after {:?} (greedy), fortune-lm, CPU backend\n",
		args.requests, args.max_tokens, args.prompt
	);
	println!("| path | first token, s (p50 / max) | total, s (p50 / max) |");
	println!("| --- | --- | --- |");
	row(
		"compute alone (the job in process, as `hypha job run-local`)",
		Some(spread(local_first)),
		spread(local_total.clone()),
	);
	row(
		"gateway, `stream: true` (first text; `[DONE]` after the commitment)",
		Some(spread(stream_first)),
		spread(stream_total.clone()),
	);
	row("gateway, plain (response after the commitment)", None, spread(plain_total.clone()));
	let (compute, _) = spread(local_total);
	let (market, _) = spread(plain_total);
	println!("\nmarket overhead (plain p50 − compute p50): {:.3} s", market - compute);
	node.kill();
	let _ = std::fs::remove_dir_all(&dir);
	Ok(())
}
