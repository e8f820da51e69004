//! The HTTP API: routes, API keys and their spending, the JSON and the
//! server-sent events of OpenAI's format.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hypha_client::{query, JobStatus};
use hypha_compute::lm::Sampling;
use hypha_primitives::{Balance, JobId, HYPHA};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::config::{tail, ApiKey, GatewayConfig};
use crate::market::{Delivered, Market, Model, Order, Received};
use crate::metrics::Metrics;
use crate::openai::{
	chat_prompt, visible, ApiError, Asked, ChatRequest, Common, CompletionRequest, Usage, USER_TURN,
};

/// The API keys and what each has committed so far.
struct Keys {
	keys: Vec<ApiKey>,
	spent: Mutex<Vec<Balance>>,
}

fn unauthorized(message: String) -> ApiError {
	ApiError {
		status: StatusCode::UNAUTHORIZED,
		kind: "invalid_request_error",
		code: "invalid_api_key",
		param: None,
		message,
	}
}

/// Equal bytes, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
	a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Keys {
	/// The key a request's `Authorization: Bearer …` names (`None` when the
	/// gateway has no keys: it then listens on loopback only).
	fn authorize(&self, headers: &HeaderMap) -> Result<Option<usize>, ApiError> {
		if self.keys.is_empty() {
			return Ok(None);
		}
		let header = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
		let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim) else {
			return Err(unauthorized(
				"no API key: send `Authorization: Bearer <key>` (the `api_key` of OpenAI's clients)"
					.into(),
			));
		};
		// Every key is compared, so the time does not tell which one matched.
		let mut found = None;
		for (i, key) in self.keys.iter().enumerate() {
			if same(key.key.as_bytes(), token.as_bytes()) {
				found = Some(i);
			}
		}
		found.map(Some).ok_or_else(|| {
			unauthorized(
				"the API key is not one of this gateway's: check the key you were given".into(),
			)
		})
	}

	/// Counts `amount` against key `index`'s limit, or refuses it.
	fn reserve(&self, index: Option<usize>, amount: Balance) -> Result<(), ApiError> {
		let Some(index) = index else { return Ok(()) };
		let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
		let limit = self.keys[index].spending_limit;
		let after = spent[index].saturating_add(amount);
		if after > limit {
			return Err(ApiError {
				status: StatusCode::TOO_MANY_REQUESTS,
				kind: "insufficient_quota",
				code: "insufficient_quota",
				param: None,
				message: format!(
					"API key …{} has committed {} of its {} spending limit, and this request needs up to {}: ask the gateway's operator for more, or lower max_tokens",
					tail(&self.keys[index].key),
					fmt(spent[index]),
					fmt(limit),
					fmt(amount)
				),
			});
		}
		spent[index] = after;
		Ok(())
	}

	/// Gives back a reservation whose job never reached the chain.
	fn release(&self, index: Option<usize>, amount: Balance) {
		if let Some(index) = index {
			let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
			spent[index] = spent[index].saturating_sub(amount);
		}
	}
}

fn fmt(amount: Balance) -> String {
	hypha_client::amount::format_hypha(amount)
}

/// The gateway's state, shared by the handlers.
pub struct Gateway {
	/// The market, as the gateway's account.
	pub market: Market,
	/// The models on sale.
	pub models: Vec<Arc<Model>>,
	/// The metrics.
	pub metrics: Metrics,
	keys: Keys,
	/// When the gateway started (the models' `created`).
	started: u64,
}

impl Gateway {
	/// The gateway of `market` selling `models`.
	pub fn new(
		market: Market,
		models: Vec<Arc<Model>>,
		config: &GatewayConfig,
	) -> anyhow::Result<Self> {
		Ok(Self {
			market,
			models,
			metrics: Metrics::new()?,
			keys: Keys { spent: Mutex::new(vec![0; config.keys.len()]), keys: config.keys.clone() },
			started: unix_now(),
		})
	}

	fn model(&self, name: &str) -> Result<Arc<Model>, ApiError> {
		self.models.iter().find(|m| m.name == name).cloned().ok_or_else(|| ApiError {
			status: StatusCode::NOT_FOUND,
			kind: "invalid_request_error",
			code: "model_not_found",
			param: Some("model"),
			message: format!(
				"the model `{name}` is not on sale here; GET /v1/models lists those that are ({})",
				self.models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
			),
		})
	}
}

fn unix_now() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The API's routes and `/metrics`.
pub fn router(gateway: Arc<Gateway>) -> Router {
	let registry = gateway.metrics.registry.clone();
	Router::new()
		.route("/v1/models", get(list_models))
		.route("/v1/models/{model}", get(get_model))
		.route("/v1/completions", post(completions))
		.route("/v1/chat/completions", post(chat_completions))
		.route("/v1/hypha/jobs/{job}", get(job_status))
		.with_state(gateway)
		.merge(hypha_agent::metrics::router(registry))
}

fn model_json(gateway: &Gateway, model: &Model) -> Value {
	json!({
		"id": model.name,
		"object": "model",
		"created": gateway.started,
		"owned_by": "hypha",
		"hypha": {
			"digest": format!("0x{}", hex::encode(model.digest)),
			"context": model.max_positions,
		},
	})
}

async fn list_models(State(gateway): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
	if let Err(error) = gateway.keys.authorize(&headers) {
		return error.into_response();
	}
	let data: Vec<Value> = gateway.models.iter().map(|m| model_json(&gateway, m)).collect();
	Json(json!({"object": "list", "data": data})).into_response()
}

async fn get_model(
	State(gateway): State<Arc<Gateway>>,
	headers: HeaderMap,
	Path(name): Path<String>,
) -> Response {
	match gateway.keys.authorize(&headers).and_then(|_| gateway.model(&name)) {
		Ok(model) => Json(model_json(&gateway, &model)).into_response(),
		Err(error) => error.into_response(),
	}
}

/// Which endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
	Completions,
	Chat,
}

impl Endpoint {
	fn path(self) -> &'static str {
		match self {
			Endpoint::Completions => "/v1/completions",
			Endpoint::Chat => "/v1/chat/completions",
		}
	}
}

async fn completions(
	State(gateway): State<Arc<Gateway>>,
	headers: HeaderMap,
	body: Bytes,
) -> Response {
	handle(gateway, headers, body, Endpoint::Completions).await
}

async fn chat_completions(
	State(gateway): State<Arc<Gateway>>,
	headers: HeaderMap,
	body: Bytes,
) -> Response {
	handle(gateway, headers, body, Endpoint::Chat).await
}

/// A request on the market.
struct Bought {
	endpoint: Endpoint,
	job: JobId,
	model: Arc<Model>,
	asked: Asked,
	stops: Vec<String>,
	seed: u64,
	prompt_tokens: usize,
	max_new: usize,
	budget: Balance,
	created: u64,
	started: Instant,
}

impl Bought {
	fn id(&self) -> String {
		match self.endpoint {
			Endpoint::Completions => format!("cmpl-hypha-{}", self.job),
			Endpoint::Chat => format!("chatcmpl-hypha-{}", self.job),
		}
	}

	/// The `hypha` object of a response: what the market did.
	fn hypha(&self, delivered: &Delivered) -> Value {
		json!({
			"job": self.job,
			"provider": delivered.provider.to_string(),
			"state": delivered.state,
			"output_digest": format!("0x{}", hex::encode(delivered.digest)),
			"seed": self.seed,
			"budget": fmt(self.budget),
			"audit": "decided when the job settles: GET the status_url",
			"status_url": format!("/v1/hypha/jobs/{}", self.job),
		})
	}

	/// The text shown for the committed `tokens`, and why it ended.
	fn finish(&self, tokens: &[u32]) -> Result<(String, &'static str), ApiError> {
		let text = self.model.tokenizer.decode(tokens).map_err(|e| {
			ApiError::market(StatusCode::BAD_GATEWAY, "output_rejected", e.to_string())
		})?;
		let cut = self.stops.iter().filter_map(|stop| text.find(stop.as_str())).min();
		let eos = self.model.eos.is_some_and(|eos| tokens.last() == Some(&eos));
		let reason =
			if cut.is_some() || eos || tokens.len() < self.max_new { "stop" } else { "length" };
		let text = match cut {
			Some(at) => text[..at].to_string(),
			None => text,
		};
		Ok((text, reason))
	}

	fn chunk(&self, delta: Value, finish: Option<&str>) -> Value {
		match self.endpoint {
			Endpoint::Completions => json!({
				"id": self.id(),
				"object": "text_completion",
				"created": self.created,
				"model": self.model.name,
				"choices": [{
					"index": 0,
					"text": delta.get("content").cloned().unwrap_or(json!("")),
					"logprobs": null,
					"finish_reason": finish,
				}],
			}),
			Endpoint::Chat => json!({
				"id": self.id(),
				"object": "chat.completion.chunk",
				"created": self.created,
				"model": self.model.name,
				"choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
			}),
		}
	}
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
	serde_json::from_slice(body).map_err(|e| {
		ApiError::invalid(
			"invalid_json",
			None,
			format!("the request body is not a valid request: {e}"),
		)
	})
}

fn parse_value<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
	T::deserialize(body).map_err(|e| {
		ApiError::invalid("invalid_value", None, format!("the request is not a valid request: {e}"))
	})
}

fn random_seed() -> u64 {
	let mut bytes = [0u8; 8];
	// Without an OS generator, the clock: the seed only picks a sample.
	if getrandom::getrandom(&mut bytes).is_err() {
		return SystemTime::now()
			.duration_since(UNIX_EPOCH)
			.map(|d| d.as_nanos() as u64)
			.unwrap_or(0);
	}
	u64::from_le_bytes(bytes)
}

async fn buy(
	gateway: &Arc<Gateway>,
	headers: &HeaderMap,
	body: &[u8],
	endpoint: Endpoint,
	started: Instant,
) -> Result<Bought, ApiError> {
	let key = gateway.keys.authorize(headers)?;
	let body: Value = parse(body)?;
	let common: Common = parse_value(&body)?;
	let prompt = match endpoint {
		Endpoint::Completions => {
			let request: CompletionRequest = parse_value(&body)?;
			request.prompt.text()?.to_string()
		},
		Endpoint::Chat => {
			let request: ChatRequest = parse_value(&body)?;
			chat_prompt(&request.messages)?
		},
	};
	let asked = common.asked()?;
	let model = gateway.model(&common.model)?;
	let mut stops = asked.stop.clone();
	if endpoint == Endpoint::Chat {
		stops.push(USER_TURN.to_string());
	}
	let seed = asked.seed.unwrap_or_else(random_seed);
	let sampling = Sampling {
		temperature_milli: asked.temperature_milli,
		top_k: 0,
		top_p_milli: asked.top_p_milli,
		seed,
	};
	let order = Order { model: model.clone(), prompt, max_tokens: asked.max_tokens, sampling };
	let fees = gateway.market.verifier_fees().await?;
	let quoting = gateway.clone();
	let quote =
		tokio::task::spawn_blocking(move || quoting.market.quote(&order, fees)).await.map_err(
			|e| ApiError::market(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
		)??;
	let (budget, prompt_tokens, max_new) = (quote.budget, quote.prompt_tokens, quote.max_new);
	gateway.keys.reserve(key, budget)?;
	let job = match gateway.market.submit(quote).await {
		Ok(job) => job,
		Err(error) => {
			gateway.keys.release(key, budget);
			return Err(error);
		},
	};
	gateway.metrics.jobs.inc();
	gateway.metrics.budgets.inc_by(budget as f64 / HYPHA as f64);
	tracing::info!(
		job,
		model = %model.name,
		prompt_tokens,
		max_new,
		budget = %fmt(budget),
		stream = asked.stream,
		"job submitted"
	);
	Ok(Bought {
		endpoint,
		job,
		model,
		asked,
		stops,
		seed,
		prompt_tokens,
		max_new,
		budget,
		created: unix_now(),
		started,
	})
}

async fn handle(
	gateway: Arc<Gateway>,
	headers: HeaderMap,
	body: Bytes,
	endpoint: Endpoint,
) -> Response {
	let started = Instant::now();
	let bought = match buy(&gateway, &headers, &body, endpoint, started).await {
		Ok(bought) => bought,
		Err(error) => {
			tracing::info!(endpoint = endpoint.path(), %error, "request refused");
			gateway.metrics.answered(endpoint.path(), error.status.as_u16());
			return error.into_response();
		},
	};
	if bought.asked.stream {
		gateway.metrics.answered(endpoint.path(), 200);
		return stream(gateway, bought);
	}
	let answer = gateway.market.follow(bought.job, None).await.and_then(|delivered| {
		let (text, reason) = bought.finish(&delivered.tokens)?;
		let usage = Usage::new(bought.prompt_tokens, delivered.tokens.len());
		let choice = match endpoint {
			Endpoint::Completions => {
				json!({"index": 0, "text": text, "logprobs": null, "finish_reason": reason})
			},
			Endpoint::Chat => json!({
				"index": 0,
				"message": {"role": "assistant", "content": text},
				"logprobs": null,
				"finish_reason": reason,
			}),
		};
		Ok(json!({
			"id": bought.id(),
			"object": if endpoint == Endpoint::Chat { "chat.completion" } else { "text_completion" },
			"created": bought.created,
			"model": bought.model.name,
			"choices": [choice],
			"usage": usage,
			"hypha": bought.hypha(&delivered),
		}))
	});
	gateway.metrics.request_seconds.observe(bought.started.elapsed().as_secs_f64());
	match answer {
		Ok(body) => {
			tracing::info!(
				job = bought.job,
				seconds = format!("{:.2}", bought.started.elapsed().as_secs_f64()),
				"completion delivered"
			);
			gateway.metrics.answered(endpoint.path(), 200);
			Json(body).into_response()
		},
		Err(error) => {
			tracing::warn!(job = bought.job, %error, "completion failed");
			gateway.metrics.answered(endpoint.path(), error.status.as_u16());
			error.into_response()
		},
	}
}

/// The server-sent events of a streamed request: the provider's tokens as
/// they come (text cut at the stop strings), then, once the provider has
/// committed, the rest of the committed text, the final chunk and
/// `[DONE]` — only if every streamed token is the committed output's; an
/// `error` event instead otherwise.
fn stream(gateway: Arc<Gateway>, bought: Bought) -> Response {
	let (events, receiver) = mpsc::channel::<Event>(64);
	tokio::spawn(async move { stream_events(gateway, bought, events).await });
	let body = futures::stream::unfold(receiver, |mut receiver| async move {
		receiver.recv().await.map(|event| (Ok::<_, Infallible>(event), receiver))
	});
	Sse::new(body).keep_alive(KeepAlive::default()).into_response()
}

async fn stream_events(gateway: Arc<Gateway>, bought: Bought, events: mpsc::Sender<Event>) {
	let send = |value: Value| {
		let events = events.clone();
		async move { events.send(Event::default().data(value.to_string())).await.is_ok() }
	};
	if bought.endpoint == Endpoint::Chat
		&& !send(bought.chunk(json!({"role": "assistant", "content": ""}), None)).await
	{
		return;
	}
	let (tokens, mut runs) = mpsc::unbounded_channel();
	let follow = gateway.market.follow(bought.job, Some(tokens));
	tokio::pin!(follow);
	let mut received = Received::new(bought.max_new);
	let mut sent = String::new();
	let mut stopped = false;
	let mut first_token: Option<Instant> = None;
	let mut contradicted: Option<String> = None;
	let outcome = loop {
		let (from, run) = tokio::select! {
			outcome = &mut follow => break outcome,
			Some(run) = runs.recv() => run,
		};
		match received.take(from, &run) {
			Ok(true) => {},
			Ok(false) => continue,
			Err(why) => {
				contradicted.get_or_insert(why);
				stopped = true;
				continue;
			},
		}
		if first_token.is_none() {
			first_token = Some(Instant::now());
			gateway.metrics.time_to_first_token.observe(bought.started.elapsed().as_secs_f64());
		}
		if stopped {
			continue;
		}
		let Ok(text) = bought.model.tokenizer.decode(&received.tokens) else { continue };
		let (len, stop) = visible(&text, &bought.stops);
		if len > sent.len() && text.starts_with(sent.as_str()) {
			let delta = &text[sent.len()..len];
			if !send(bought.chunk(json!({"content": delta}), None)).await {
				return; // the caller left; the job goes on, paid as any other
			}
			sent.push_str(delta);
		}
		stopped = stop;
	};
	// Runs that arrived with the commitment.
	while let Ok((from, run)) = runs.try_recv() {
		if let Err(why) = received.take(from, &run) {
			contradicted.get_or_insert(why);
		}
	}
	let error_event = |error: ApiError| async move {
		let _ = send(error.body()).await;
	};
	let delivered = match outcome {
		Ok(delivered) => delivered,
		Err(error) => {
			tracing::warn!(job = bought.job, %error, "streamed completion failed");
			return error_event(error).await;
		},
	};
	let mismatch = |why: String| {
		ApiError::market(
			StatusCode::BAD_GATEWAY,
			"stream_mismatch",
			format!(
				"the tokens provider {} streamed for job {} are not the output it committed ({why}): do not use the text streamed above. The committed result goes through the chain's audit like any other",
				delivered.provider, bought.job
			),
		)
	};
	let checked = match contradicted {
		Some(why) => Err(mismatch(why)),
		None => match streamed_is_committed(&received.tokens, &delivered.tokens) {
			Err(why) => Err(mismatch(why)),
			Ok(()) => bought.finish(&delivered.tokens).and_then(|(text, reason)| {
				text.strip_prefix(sent.as_str()).map(|rest| (rest.to_string(), reason)).ok_or_else(
					|| mismatch("the streamed text is not the committed text's start".into()),
				)
			}),
		},
	};
	let (rest, reason) = match checked {
		Ok(checked) => checked,
		Err(error) => {
			gateway.metrics.stream_mismatches.inc();
			tracing::warn!(job = bought.job, %error, "stream mismatch");
			return error_event(error).await;
		},
	};
	if let Some(first) = first_token {
		let seconds = first.elapsed().as_secs_f64().max(1e-3);
		gateway.metrics.tokens_per_second.observe(received.tokens.len() as f64 / seconds);
	}
	if !rest.is_empty() && !send(bought.chunk(json!({"content": rest}), None)).await {
		return;
	}
	let mut last = bought.chunk(json!({}), Some(reason));
	last["hypha"] = bought.hypha(&delivered);
	if !send(last).await {
		return;
	}
	if bought.asked.include_usage {
		let mut usage = bought.chunk(json!({}), None);
		usage["choices"] = json!([]);
		usage["usage"] = json!(Usage::new(bought.prompt_tokens, delivered.tokens.len()));
		if !send(usage).await {
			return;
		}
	}
	let _ = events.send(Event::default().data("[DONE]")).await;
	gateway.metrics.request_seconds.observe(bought.started.elapsed().as_secs_f64());
	tracing::info!(
		job = bought.job,
		streamed = received.tokens.len(),
		committed = delivered.tokens.len(),
		seconds = format!("{:.2}", bought.started.elapsed().as_secs_f64()),
		"streamed completion delivered"
	);
}

/// Whether every token a provider streamed is the committed output's (a
/// stream cut at a stop string, or by a slow connection, may be shorter).
fn streamed_is_committed(streamed: &[u32], committed: &[u32]) -> Result<(), String> {
	if committed.starts_with(streamed) {
		return Ok(());
	}
	let at = streamed.iter().zip(committed).position(|(s, c)| s != c).unwrap_or(committed.len());
	Err(format!(
		"{} tokens streamed, {} committed, differing from token {at}",
		streamed.len(),
		committed.len()
	))
}

/// `GET /v1/hypha/jobs/{job}`: where a job the gateway bought stands, and
/// once it has ended whether it was audited.
async fn job_status(
	State(gateway): State<Arc<Gateway>>,
	headers: HeaderMap,
	Path(job): Path<JobId>,
) -> Response {
	if let Err(error) = gateway.keys.authorize(&headers) {
		return error.into_response();
	}
	let client = &gateway.market.client;
	let not_found = || ApiError {
		status: StatusCode::NOT_FOUND,
		kind: "invalid_request_error",
		code: "job_not_found",
		param: None,
		message: format!("this gateway bought no job {job}"),
	};
	let record = match query::job(client, job).await {
		Ok(Some(record)) if record.client == gateway.market.account => record,
		Ok(_) => return not_found().into_response(),
		Err(error) => {
			return crate::market::chain_error(error.into(), "the node").into_response();
		},
	};
	let mut body = json!({"job": job, "state": record.status.name(), "ended": false});
	if let JobStatus::Settled { at, .. }
	| JobStatus::Slashed { at, .. }
	| JobStatus::Refunded { at } = *record.status
	{
		body["ended"] = json!(true);
		body["ended_at"] = json!(at);
		if let Ok(Some(outcome)) = hypha_cli::job::narrate::outcome_at(client, job, at).await {
			let agreed = outcome.verdicts.iter().filter(|(_, agrees)| *agrees).count();
			body["audited"] = json!(!outcome.verdicts.is_empty());
			body["verdicts"] = json!(outcome.verdicts.len());
			body["agreed"] = json!(agreed);
			body["paid"] = json!(fmt(outcome.paid));
			body["refunded"] = json!(fmt(outcome.refunded));
			body["outcome"] = json!(outcome.describe(job));
		}
	}
	Json(body).into_response()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn keys() -> Keys {
		let key = |k: &str, limit| ApiKey { key: k.into(), spending_limit: limit };
		Keys {
			keys: vec![key("sk-hypha-aaaaaaaaaaaa", 10), key("sk-hypha-bbbbbbbbbbbb", 100)],
			spent: Mutex::new(vec![0, 0]),
		}
	}

	fn bearer(token: &str) -> HeaderMap {
		let mut headers = HeaderMap::new();
		headers
			.insert(axum::http::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
		headers
	}

	#[test]
	fn a_request_as_the_openai_client_sends_it_parses_with_its_numbers() {
		// serde_json's `arbitrary_precision` is on in this workspace: a
		// flattened struct would refuse every number here.
		let body = br#"{"messages":[{"role":"user","content":"Hi"}],"model":"m","max_tokens":16,"seed":7,"stream":true,"stream_options":{"include_usage":true},"temperature":0.8}"#;
		let value: Value = parse(body).unwrap();
		let common: Common = parse_value(&value).unwrap();
		let asked = common.asked().unwrap();
		assert_eq!(
			(asked.max_tokens, asked.seed, asked.temperature_milli),
			(Some(16), Some(7), 800)
		);
		assert!(asked.stream && asked.include_usage);
		let chat: ChatRequest = parse_value(&value).unwrap();
		assert_eq!(chat_prompt(&chat.messages).unwrap(), "User: Hi\nAssistant:");
		assert!(parse_value::<CompletionRequest>(&value).is_err(), "no prompt");
		assert_eq!(parse::<Value>(b"{not json").unwrap_err().code, "invalid_json");
	}

	#[test]
	fn a_stream_must_be_the_start_of_the_committed_output() {
		assert_eq!(streamed_is_committed(&[], &[1, 2]), Ok(()));
		assert_eq!(streamed_is_committed(&[1], &[1, 2]), Ok(()), "cut short");
		assert_eq!(streamed_is_committed(&[1, 2], &[1, 2]), Ok(()));
		// A provider that streams one text and commits another.
		let other = streamed_is_committed(&[1, 3], &[1, 2]).unwrap_err();
		assert!(other.contains("from token 1"), "{other}");
		// Or streams more than it commits.
		let longer = streamed_is_committed(&[1, 2, 3], &[1, 2]).unwrap_err();
		assert!(longer.contains("from token 2"), "{longer}");
	}

	#[test]
	fn only_configured_keys_pass_and_each_spends_within_its_limit() {
		let keys = keys();
		assert_eq!(keys.authorize(&HeaderMap::new()).unwrap_err().status, StatusCode::UNAUTHORIZED);
		assert_eq!(
			keys.authorize(&bearer("sk-hypha-cccccccccccc")).unwrap_err().code,
			"invalid_api_key"
		);
		assert_eq!(
			keys.authorize(&bearer("sk-hypha-aaaaaaaaaaa")).unwrap_err().code,
			"invalid_api_key"
		);
		assert_eq!(keys.authorize(&bearer("sk-hypha-bbbbbbbbbbbb")).unwrap(), Some(1));
		let a = keys.authorize(&bearer("sk-hypha-aaaaaaaaaaaa")).unwrap();
		keys.reserve(a, 6).unwrap();
		let refused = keys.reserve(a, 5).unwrap_err();
		assert_eq!(
			(refused.status, refused.code),
			(StatusCode::TOO_MANY_REQUESTS, "insufficient_quota")
		);
		assert!(
			!refused.message.contains("aaaaaaaa"),
			"the key is not echoed: {}",
			refused.message
		);
		keys.release(a, 6);
		keys.reserve(a, 10).unwrap();
		// The other key's limit is its own.
		keys.reserve(Some(1), 100).unwrap();
		// Without keys, nobody is asked (the gateway then listens on loopback only).
		let open = Keys { keys: Vec::new(), spent: Mutex::new(Vec::new()) };
		assert_eq!(open.authorize(&HeaderMap::new()).unwrap(), None);
		open.reserve(None, Balance::MAX).unwrap();
	}
}
