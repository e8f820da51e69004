//! # hypha-gateway
//!
//! An OpenAI-compatible API in front of the Hypha market: code written for
//! `/v1/chat/completions` (the `openai` SDKs, LangChain, LiteLLM, curl)
//! buys verified completions by changing its `base_url`.
//!
//! Each request becomes a paid `generate` job from the gateway's account:
//!
//! 1. the request is checked ([`openai`]: parameters a job cannot honour
//!    are refused by name), the chat turned into a prompt, the job packed
//!    and priced exactly as a worker will count it ([`market::Market::quote`]),
//!    and refused if its budget exceeds the per-request cap or the API key's
//!    spending limit;
//! 2. the prompt is uploaded (private to the job's provider and verifiers)
//!    and the job submitted, its output sealed to the gateway's key;
//! 3. the gateway follows the job on the best chain; with `stream: true`
//!    it relays the provider's tokens as they are chosen
//!    ([`hypha_agent::stream`]) as server-sent events;
//! 4. once the provider commits, the output is fetched, opened and checked
//!    against the commitment; the response (or the stream's last chunks and
//!    `[DONE]`) goes out only if the text is the committed one. The job
//!    then settles (audited or not) like any other; `GET
//!    /v1/hypha/jobs/{job}` says how it ended.
//!
//! ## Failure modes
//!
//! Every error is OpenAI's JSON shape (`{"error": {"message", "type",
//! "param", "code"}}`): 400 for a request it cannot serve as written
//! (`unsupported_parameter`, `context_length_exceeded`, `budget_exceeded`),
//! 401 `invalid_api_key`, 404 `model_not_found`, 429 `insufficient_quota`,
//! 502 `chain_refused` / `output_rejected` / `stream_mismatch`, 503
//! `chain_unavailable`, 504 `no_provider` / `no_result`. In a stream, an
//! error after the first chunk is an `error` event and no `[DONE]`.

pub mod cli;
pub mod config;
pub mod market;
pub mod metrics;
pub mod openai;
pub mod server;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

pub use config::GatewayConfig;

/// Runs the gateway until `shutdown` completes.
pub async fn run(
	config: GatewayConfig,
	shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
	let secret_uri = config.validate()?;
	let mut models = Vec::with_capacity(config.models.len());
	for entry in &config.models {
		let model = market::Model::load(entry)?;
		tracing::info!(
			model = %model.name,
			digest = %format!("0x{}", hex::encode(model.digest)),
			context = model.max_positions,
			"model on sale"
		);
		models.push(Arc::new(model));
	}
	let listener = tokio::net::TcpListener::bind(config.listen)
		.await
		.with_context(|| format!("listening on {}", config.listen))?;
	let local = listener.local_addr()?;
	let client =
		hypha_client::connect_with_retry(&config.node_url, Duration::from_secs(120)).await?;
	let config = Arc::new(config);
	let market = market::Market::new(client, &secret_uri, config.clone())?;
	tracing::info!(
		account = %market.account,
		node = %config.node_url,
		store = %config.store,
		keys = config.keys.len(),
		"gateway starting"
	);
	let gateway = Arc::new(server::Gateway::new(market, models, &config)?);
	tracing::info!(%local, "serving the OpenAI API at http://{local}/v1 and metrics at /metrics");
	let server = hypha_agent::metrics::serve(listener, server::router(gateway), shutdown);
	server.await.context("the HTTP server task")?.context("serving")?;
	tracing::info!("gateway stopped");
	Ok(())
}
