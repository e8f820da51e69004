//! Buying a completion: a request becomes a paid `generate` job from the
//! gateway's account, followed on the best chain until a provider commits,
//! its tokens streamed meanwhile, and its output fetched and checked
//! against the commitment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use hypha_agent::blocks::BestBlocks;
use hypha_agent::seal::OutputKey;
use hypha_agent::stream::StreamError;
use hypha_cli::job::submit::{submit_packaged, SubmitOptions, DEFAULT_MAX_OUTPUT_BYTES};
use hypha_client::subxt_signer::sr25519::Keypair;
use hypha_client::{query, AccountId, Client, JobStatus};
use hypha_compute::lm::job::GenerateRequest;
use hypha_compute::lm::{Sampling, Tokenizer};
use hypha_compute::output::JobOutput;
use hypha_compute::package::{self, PackagedJob};
use hypha_compute::ComputeError;
use hypha_primitives::{Balance, JobId, WorkloadKind};
use tokio::sync::mpsc;

use crate::config::{GatewayConfig, ModelEntry};
use crate::openai::ApiError;

/// A model on sale, loaded once.
pub struct Model {
	/// The name clients ask for.
	pub name: String,
	/// The model file: each job's program.
	pub bytes: Vec<u8>,
	/// Its blob digest (blake2-256): the program digest of every job on it.
	pub digest: [u8; 32],
	/// Its tokenizer (the one inside the file, as the workers use).
	pub tokenizer: Tokenizer,
	/// Its context: prompt plus new tokens.
	pub max_positions: usize,
	/// Its end-of-text token, if it has one.
	pub eos: Option<u32>,
}

impl Model {
	/// Reads and checks a Hypha model file.
	pub fn load(entry: &ModelEntry) -> anyhow::Result<Self> {
		use anyhow::Context;
		let bytes = std::fs::read(&entry.path)
			.with_context(|| format!("reading the model file {}", entry.path.display()))?;
		let model = hypha_compute::lm::IntLm::from_safetensors(&bytes).with_context(|| {
			format!(
				"{} is not a Hypha model file (`hypha model import` writes one)",
				entry.path.display()
			)
		})?;
		let tokenizer = Tokenizer::from_json(&model.tokenizer)?;
		Ok(Self {
			name: entry.name.clone(),
			digest: hypha_primitives::blake2_256(&bytes),
			max_positions: model.config().max_positions,
			eos: model.config().eos,
			bytes,
			tokenizer,
		})
	}
}

/// What a request buys.
#[derive(Clone)]
pub struct Order {
	/// The model.
	pub model: Arc<Model>,
	/// The prompt.
	pub prompt: String,
	/// Most new tokens (`None`: the default, capped by the context).
	pub max_tokens: Option<usize>,
	/// The sampler.
	pub sampling: Sampling,
}

/// A priced job, ready to submit.
pub struct Quote {
	/// Its blobs and work.
	pub packaged: PackagedJob,
	/// The budget it will hold in escrow: the price at the gateway's limit
	/// plus the most its verifiers can be paid.
	pub budget: Balance,
	/// The prompt's tokens.
	pub prompt_tokens: usize,
	/// The new tokens asked for.
	pub max_new: usize,
}

/// A committed result, fetched and checked.
#[derive(Debug, Clone)]
pub struct Delivered {
	/// The generated tokens (ending with the end-of-text token if the model
	/// stopped by itself).
	pub tokens: Vec<u32>,
	/// The provider.
	pub provider: AccountId,
	/// The output's digest, as committed.
	pub digest: [u8; 32],
	/// The job's state when it was read: committed, audit, dispute, settled.
	pub state: &'static str,
}

/// The gateway's side of the market: its account and what it pays.
pub struct Market {
	/// The chain.
	pub client: Client,
	signer: Keypair,
	output_key: Arc<OutputKey>,
	/// The paying account.
	pub account: AccountId,
	config: Arc<GatewayConfig>,
}

fn compute_error(error: ComputeError, max_positions: usize) -> ApiError {
	match error {
		ComputeError::TooLarge { what, size, limit } if what.contains("tokens") => ApiError::invalid(
			"context_length_exceeded",
			Some("max_tokens"),
			format!(
				"the {what} come to {size}, more than the model's context of {max_positions} positions (limit {limit}): shorten the prompt or lower max_tokens"
			),
		),
		other => ApiError::invalid("invalid_value", None, other.to_string()),
	}
}

/// A chain or store failure in OpenAI's shape: refused by the runtime
/// (502, with the pallet's error), or not reached (503).
pub fn chain_error(error: anyhow::Error, url: &str) -> ApiError {
	if let Some(refused) = error.downcast_ref::<hypha_client::ChainError>() {
		if let Some(name) = refused.error_name() {
			return ApiError::market(
				StatusCode::BAD_GATEWAY,
				"chain_refused",
				format!("the chain refused the job ({name}): {error:#}"),
			);
		}
	}
	ApiError::market(
		StatusCode::SERVICE_UNAVAILABLE,
		"chain_unavailable",
		format!("could not put the job on the market through {url}: {error:#}. Is the node (and the blob store) running, and does the gateway's account hold enough HYPHA?"),
	)
}

impl Market {
	/// The market as `secret_uri`'s account.
	pub fn new(
		client: Client,
		secret_uri: &str,
		config: Arc<GatewayConfig>,
	) -> anyhow::Result<Self> {
		let signer = hypha_client::keys::signer_from_uri(secret_uri)?;
		Ok(Self {
			client,
			account: hypha_client::keys::account_of(&signer),
			output_key: Arc::new(OutputKey::from_secret_uri(secret_uri)),
			signer,
			config,
		})
	}

	/// Packs and prices `order` exactly as a worker will count it (the same
	/// [`package::load`] and [`package::compute_units`]). CPU work: run it
	/// off the async threads.
	pub fn quote(&self, order: &Order, verifier_fees: Balance) -> Result<Quote, ApiError> {
		let model = &order.model;
		let prompt_tokens = model
			.tokenizer
			.encode(&order.prompt)
			.map_err(|e| compute_error(e, model.max_positions))?
			.len();
		if prompt_tokens == 0 {
			return Err(ApiError::invalid(
				"invalid_value",
				Some("prompt"),
				"the prompt has no tokens: send some text".into(),
			));
		}
		let room = model.max_positions.saturating_sub(prompt_tokens);
		let max_new = match order.max_tokens {
			Some(asked) => asked,
			None if room == 0 => 1, // refused below, with the numbers
			None => self.config.default_max_tokens.min(room),
		};
		let input = GenerateRequest::new(order.prompt.clone(), max_new, order.sampling).to_bytes();
		let job = package::load(WorkloadKind::Generate, &model.bytes, &input)
			.map_err(|e| compute_error(e, model.max_positions))?;
		let compute_units = package::compute_units(&job);
		let budget = u128::from(compute_units)
			.checked_mul(self.config.max_price_per_unit)
			.and_then(|price| price.checked_add(verifier_fees))
			.unwrap_or(Balance::MAX);
		if budget > self.config.max_budget_per_request {
			return Err(ApiError::invalid(
				"budget_exceeded",
				Some("max_tokens"),
				format!(
					"this request needs a budget of {} ({compute_units} compute units at up to {} each, plus up to {} of verifier fees), above the gateway's max_budget_per_request of {}: lower max_tokens or shorten the prompt",
					fmt(budget),
					fmt(self.config.max_price_per_unit),
					fmt(verifier_fees),
					fmt(self.config.max_budget_per_request)
				),
			));
		}
		Ok(Quote {
			packaged: PackagedJob {
				kind: WorkloadKind::Generate,
				program: model.bytes.clone(),
				input,
				compute_units,
			},
			budget,
			prompt_tokens,
			max_new,
		})
	}

	/// The most verifier fees a job can pay at the chain's parameters now.
	pub async fn verifier_fees(&self) -> Result<Balance, ApiError> {
		let params = query::params(&self.client)
			.await
			.map_err(|e| chain_error(e.into(), &self.config.node_url))?;
		Ok(query::max_verifier_fees(&params))
	}

	/// Puts a quoted job on the market; its id.
	pub async fn submit(&self, quote: Quote) -> Result<JobId, ApiError> {
		let options = SubmitOptions {
			store: self.config.store.clone(),
			budget: Some(quote.budget),
			max_price_per_unit: self.config.max_price_per_unit,
			result_window: self.config.result_window,
			max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
			private: self.config.private_prompts,
			// The completion is the gateway's caller's alone: sealed.
			output_key: Some(self.output_key.public()),
			model: None,
			// The gateway follows the best chain: a claim comes a block later.
			best_block: true,
		};
		let submitted = submit_packaged(&self.client, &self.signer, vec![quote.packaged], &options)
			.await
			.map_err(|e| chain_error(e, &self.config.node_url))?;
		submitted.first().map(|s| s.job).ok_or_else(|| {
			ApiError::market(
				StatusCode::BAD_GATEWAY,
				"chain_refused",
				"the chain took the job but emitted no JobSubmitted event".into(),
			)
		})
	}

	/// Follows `job` on the best chain until its provider commits, then
	/// fetches the output, checks it against the commitment and returns it.
	/// With `tokens`, streams the provider's tokens into it meanwhile, as
	/// `(from, tokens)` runs (a provider that changes after a re-org streams
	/// from the start again: the receiver keeps the runs past what it has).
	pub async fn follow(
		&self,
		job: JobId,
		tokens: Option<mpsc::UnboundedSender<(usize, Vec<u32>)>>,
	) -> Result<Delivered, ApiError> {
		let started = Instant::now();
		let unavailable = |e: String| {
			ApiError::market(
				StatusCode::SERVICE_UNAVAILABLE,
				"chain_unavailable",
				format!("following job {job} on the chain at {}: {e}", self.config.node_url),
			)
		};
		let mut blocks =
			BestBlocks::subscribe(&self.client).await.map_err(|e| unavailable(e.to_string()))?;
		let mut streaming: Option<(AccountId, tokio::task::JoinHandle<()>)> = None;
		let stop_streaming = |streaming: &mut Option<(AccountId, tokio::task::JoinHandle<()>)>| {
			if let Some((_, task)) = streaming.take() {
				task.abort();
			}
		};
		let mut claimed_at: Option<Instant> = None;
		loop {
			let (limit, since, what) = match claimed_at {
				None => (self.config.claim_timeout(), started, "claimed"),
				Some(at) => (self.config.result_timeout(), at, "committed"),
			};
			let left = limit.saturating_sub(since.elapsed());
			let block = match tokio::time::timeout(left, blocks.next()).await {
				Err(_) => {
					stop_streaming(&mut streaming);
					return Err(ApiError::market(
						StatusCode::GATEWAY_TIMEOUT,
						if claimed_at.is_none() { "no_provider" } else { "no_result" },
						format!(
							"job {job} was not {what} within {} s; the chain refunds its budget when it expires. Try again later, or raise the gateway's max_price_per_unit so that more providers take it",
							limit.as_secs()
						),
					));
				},
				Ok(None) => {
					return Err(unavailable("the node closed the block subscription".into()))
				},
				Ok(Some(Err(error))) => {
					tracing::debug!(job, %error, "reading a best block");
					continue;
				},
				Ok(Some(Ok(block))) => block,
			};
			let record = match query::job_at(&self.client, block.hash, job).await {
				Ok(Some(record)) if record.client != self.account => {
					stop_streaming(&mut streaming);
					return Err(ApiError::market(
						StatusCode::BAD_GATEWAY,
						"chain_refused",
						format!("job {job} is no longer this gateway's (a re-org dropped the submission, and the id went to another job): send the request again"),
					));
				},
				Ok(Some(record)) => record,
				Ok(None) => continue,
				Err(error) => {
					tracing::debug!(job, %error, "reading the job at a best block");
					continue;
				},
			};
			match &*record.status {
				JobStatus::Open { .. } => {},
				JobStatus::Assigned { provider, .. } => {
					claimed_at.get_or_insert_with(Instant::now);
					if let Some(sink) = &tokens {
						if streaming.as_ref().is_none_or(|(p, _)| p != provider) {
							stop_streaming(&mut streaming);
							tracing::info!(job, %provider, "claimed; following the provider's tokens");
							let task = tokio::spawn(stream_tokens(
								self.client.clone(),
								self.signer.clone(),
								self.output_key.clone(),
								job,
								*provider,
								sink.clone(),
							));
							streaming = Some((*provider, task));
						}
					}
				},
				JobStatus::Committed { provider, .. }
				| JobStatus::Audit { provider, .. }
				| JobStatus::Dispute { provider, .. }
				| JobStatus::Settled { provider, .. } => {
					let state = record.status.name();
					let provider = *provider;
					let fetched = hypha_cli::job::fetch::fetch_at(
						&self.client,
						&self.signer,
						Some(&self.output_key),
						job,
						None,
						Some(block.hash),
					)
					.await;
					// A moment for the tokens already on their way.
					if let Some((_, task)) = streaming.take() {
						let _ = tokio::time::timeout(Duration::from_millis(200), task).await;
					}
					let fetched = fetched.map_err(|e| {
						ApiError::market(
							StatusCode::BAD_GATEWAY,
							"output_rejected",
							format!("job {job}'s output could not be used: {e:#}. The chain audits the result as it would any other; `hypha job status {job}` follows it"),
						)
					})?;
					let output = JobOutput::from_canonical_bytes(&fetched.bytes)
						.and_then(|output| output.u32("tokens"))
						.map_err(|e| {
							ApiError::market(
								StatusCode::BAD_GATEWAY,
								"output_rejected",
								format!("job {job}'s committed output holds no tokens: {e}"),
							)
						})?;
					return Ok(Delivered {
						tokens: output.1,
						provider,
						digest: fetched.digest,
						state,
					});
				},
				JobStatus::Slashed { .. } => {
					stop_streaming(&mut streaming);
					return Err(ApiError::market(
						StatusCode::BAD_GATEWAY,
						"result_rejected",
						format!("job {job}'s result was proven wrong and its provider slashed; the budget was refunded. Send the request again"),
					));
				},
				JobStatus::Refunded { .. } => {
					stop_streaming(&mut streaming);
					return Err(ApiError::market(
						StatusCode::GATEWAY_TIMEOUT,
						"no_provider",
						format!("job {job} was refunded without a result (no provider took it, or none committed in time). Send the request again"),
					));
				},
			}
		}
	}

	/// The account's output key (for tests and tools).
	pub fn output_key(&self) -> &OutputKey {
		&self.output_key
	}
}

/// Follows the provider's token stream of `job` into `sink`, reconnecting
/// until the stream ends or the task is aborted (at the commitment).
async fn stream_tokens(
	client: Client,
	signer: Keypair,
	key: Arc<OutputKey>,
	job: JobId,
	provider: AccountId,
	sink: mpsc::UnboundedSender<(usize, Vec<u32>)>,
) {
	let endpoint = match query::provider_capabilities(&client, &provider).await {
		Ok(Some(offer)) => {
			String::from_utf8_lossy(&offer.endpoint).trim_end_matches('/').to_string()
		},
		Ok(None) => {
			return tracing::warn!(job, %provider, "the provider is not registered: no stream")
		},
		Err(error) => {
			return tracing::warn!(job, %error, "reading the provider's endpoint: no stream")
		},
	};
	let url = format!("{endpoint}/jobs/{job}/stream");
	loop {
		let outcome =
			hypha_agent::stream::follow(&url, job, &signer, Some(&key), |from, tokens| {
				let _ = sink.send((from, tokens.to_vec()));
			})
			.await;
		match outcome {
			Ok(Some(count)) => {
				return tracing::debug!(job, count, "the provider's stream ended");
			},
			Ok(None) => tracing::debug!(job, "the stream broke off; reconnecting"),
			Err(StreamError::Status { status, .. }) if status == StatusCode::NOT_FOUND => {},
			Err(error) => tracing::debug!(job, %error, "following the provider's stream"),
		}
		if sink.is_closed() {
			return;
		}
		tokio::time::sleep(Duration::from_millis(150)).await;
	}
}

/// The tokens received so far from any number of `(from, tokens)` runs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Received {
	/// In order, without gaps.
	pub tokens: Vec<u32>,
	/// The most the job can generate: a provider that streams more is lying
	/// (and would otherwise make the gateway hold and decode without end).
	pub limit: usize,
}

impl Received {
	/// Nothing yet, at most `limit` tokens.
	pub fn new(limit: usize) -> Self {
		Self { tokens: Vec::new(), limit }
	}

	/// Takes a run; returns whether it added tokens. A run that repeats what
	/// is known is ignored (a reconnect streams from the start); one that
	/// contradicts it, leaves a gap or goes past the limit is refused.
	pub fn take(&mut self, from: usize, run: &[u32]) -> Result<bool, String> {
		if from > self.tokens.len() {
			return Err(format!("tokens from {from}, only {} received", self.tokens.len()));
		}
		if from.saturating_add(run.len()) > self.limit {
			return Err(format!(
				"tokens up to {}, more than the {} the job asked for",
				from.saturating_add(run.len()),
				self.limit
			));
		}
		let overlap = (self.tokens.len() - from).min(run.len());
		if self.tokens[from..from + overlap] != run[..overlap] {
			return Err(format!("the tokens from {from} differ from those streamed before"));
		}
		self.tokens.extend_from_slice(&run[overlap..]);
		Ok(overlap < run.len())
	}
}

fn fmt(amount: Balance) -> String {
	hypha_client::amount::format_hypha(amount)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn runs_from_reconnects_are_merged_and_contradictions_refused() {
		let mut received = Received::new(4);
		assert_eq!(received.take(0, &[1, 2]), Ok(true));
		assert_eq!(received.take(0, &[1, 2, 3]), Ok(true), "a reconnect from the start");
		assert_eq!(received.take(1, &[2]), Ok(false), "nothing new");
		assert_eq!(received.tokens, vec![1, 2, 3]);
		assert!(received.take(5, &[9]).is_err(), "a gap");
		assert!(received.take(2, &[4, 5]).is_err(), "a different token 2");
		assert!(received.take(3, &[4, 5]).is_err(), "past what the job asked for");
		assert_eq!(received.take(3, &[4]), Ok(true), "up to it");
		assert_eq!(received.tokens, vec![1, 2, 3, 4]);
	}
}
