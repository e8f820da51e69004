//! The OpenAI wire format the gateway speaks: requests, responses, stream
//! chunks and errors, and the two pure steps between them and a `generate`
//! job (a chat turned into a prompt, a completion cut at its stop strings).
//!
//! Only what a `generate` job can honour is accepted; a parameter the market
//! cannot honour (`n > 1`, `logprobs`, tools) is refused by name rather than
//! silently ignored.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
	/// The HTTP status.
	pub status: StatusCode,
	/// OpenAI's `type`: `invalid_request_error`, `authentication_error`,
	/// `insufficient_quota`, `api_error`.
	pub kind: &'static str,
	/// A stable code: `model_not_found`, `budget_exceeded`, `no_provider`…
	pub code: &'static str,
	/// The parameter at fault, if one is.
	pub param: Option<&'static str>,
	/// What happened and what to do.
	pub message: String,
}

impl ApiError {
	/// A request the gateway cannot serve as written (400).
	pub fn invalid(code: &'static str, param: Option<&'static str>, message: String) -> Self {
		Self {
			status: StatusCode::BAD_REQUEST,
			kind: "invalid_request_error",
			code,
			param,
			message,
		}
	}

	/// The market did not deliver (the gateway's `api_error`).
	pub fn market(status: StatusCode, code: &'static str, message: String) -> Self {
		Self { status, kind: "api_error", code, param: None, message }
	}

	/// The JSON body.
	pub fn body(&self) -> Value {
		json!({"error": {
			"message": self.message,
			"type": self.kind,
			"param": self.param,
			"code": self.code,
		}})
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		(self.status, axum::Json(self.body())).into_response()
	}
}

impl std::fmt::Display for ApiError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{} ({}): {}", self.code, self.status, self.message)
	}
}

/// `stop`: one string or up to four.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Stop {
	/// One.
	One(String),
	/// Several.
	Many(Vec<String>),
}

/// `prompt` of `/v1/completions`: a string, or a list holding one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
	/// A string.
	One(String),
	/// A list of strings (one prompt per request here).
	Many(Vec<String>),
}

/// `stream_options`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StreamOptions {
	/// Send a last chunk with `usage` and no choices.
	#[serde(default)]
	pub include_usage: bool,
}

/// What both endpoints take besides the prompt or messages.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Common {
	/// The model's name (`GET /v1/models`).
	pub model: String,
	/// Most tokens to generate.
	pub max_tokens: Option<u64>,
	/// The chat endpoint's newer name for `max_tokens`.
	pub max_completion_tokens: Option<u64>,
	/// 0 (greedy) to 2; default 1.
	pub temperature: Option<f64>,
	/// Nucleus sampling, (0, 1]; default 1.
	pub top_p: Option<f64>,
	/// The sampler's seed; the gateway picks one if absent and reports it.
	pub seed: Option<u64>,
	/// Where to cut the completion.
	pub stop: Option<Stop>,
	/// Server-sent events.
	#[serde(default)]
	pub stream: bool,
	/// Stream options.
	pub stream_options: Option<StreamOptions>,
	/// Must be 1 if given.
	pub n: Option<u64>,
	/// Refused if set: a job's output holds its tokens, not their probabilities.
	pub logprobs: Option<Value>,
	/// Refused if set.
	pub top_logprobs: Option<Value>,
	/// Refused if true.
	pub echo: Option<bool>,
	/// Refused if set.
	pub suffix: Option<Value>,
	/// Refused if set.
	pub best_of: Option<u64>,
	/// Refused if non-zero.
	pub frequency_penalty: Option<f64>,
	/// Refused if non-zero.
	pub presence_penalty: Option<f64>,
	/// Refused if non-empty.
	pub logit_bias: Option<serde_json::Map<String, Value>>,
	/// Refused if set.
	pub tools: Option<Value>,
	/// Refused if set.
	pub functions: Option<Value>,
	/// Refused unless `{"type": "text"}`.
	pub response_format: Option<Value>,
}

/// What `POST /v1/completions` adds to [`Common`] (both are read from the
/// same body; not one struct with `#[serde(flatten)]`, which cannot read
/// numbers when serde_json's `arbitrary_precision` is on in the workspace).
#[derive(Debug, Clone, Deserialize)]
pub struct CompletionRequest {
	/// The prompt.
	pub prompt: Prompt,
}

/// One message of a chat.
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
	/// `system`, `developer`, `user` or `assistant`.
	pub role: String,
	/// A string, or a list of `{"type": "text", "text": …}` parts.
	#[serde(default)]
	pub content: Value,
}

/// What `POST /v1/chat/completions` adds to [`Common`].
#[derive(Debug, Clone, Deserialize)]
pub struct ChatRequest {
	/// The conversation so far.
	pub messages: Vec<Message>,
}

/// The sampling a request asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
	/// Most new tokens (`None`: the gateway's default).
	pub max_tokens: Option<usize>,
	/// Thousandths.
	pub temperature_milli: u32,
	/// Thousandths.
	pub top_p_milli: u32,
	/// The seed, if given.
	pub seed: Option<u64>,
	/// Stop strings (at most four, none empty).
	pub stop: Vec<String>,
	/// Streamed.
	pub stream: bool,
	/// A usage chunk at the end of a stream.
	pub include_usage: bool,
}

/// The most stop strings a request may give (OpenAI's limit).
pub const MAX_STOPS: usize = 4;

fn unsupported(param: &'static str, why: &str) -> ApiError {
	ApiError::invalid(
		"unsupported_parameter",
		Some(param),
		format!("`{param}` is not supported by the Hypha gateway: {why}"),
	)
}

impl Common {
	/// Checks the parameters and converts them to a job's terms.
	pub fn asked(&self) -> Result<Asked, ApiError> {
		if self.n.is_some_and(|n| n != 1) {
			return Err(unsupported("n", "one completion per request (send several requests)"));
		}
		if self.best_of.is_some_and(|n| n != 1) {
			return Err(unsupported("best_of", "one completion per request"));
		}
		let set =
			|v: &Option<Value>| v.as_ref().is_some_and(|v| !v.is_null() && *v != json!(false));
		if set(&self.logprobs) || set(&self.top_logprobs) {
			return Err(unsupported(
				"logprobs",
				"a generate job's output holds its tokens, not their probabilities (a `score` job computes them)",
			));
		}
		if self.echo == Some(true) {
			return Err(unsupported("echo", "the completion never repeats the prompt"));
		}
		if set(&self.suffix) {
			return Err(unsupported("suffix", "no insertion mode"));
		}
		if self.frequency_penalty.is_some_and(|p| p != 0.0)
			|| self.presence_penalty.is_some_and(|p| p != 0.0)
		{
			return Err(unsupported(
				"frequency_penalty",
				"the job's sampler has temperature, top_p and a seed, no penalties",
			));
		}
		if self.logit_bias.as_ref().is_some_and(|b| !b.is_empty()) {
			return Err(unsupported("logit_bias", "the job's sampler has no logit bias"));
		}
		if set(&self.tools) || set(&self.functions) {
			return Err(unsupported("tools", "no tool calling"));
		}
		if let Some(format) = &self.response_format {
			if !format.is_null() && format.get("type") != Some(&json!("text")) {
				return Err(unsupported("response_format", "plain text only"));
			}
		}
		let temperature = self.temperature.unwrap_or(1.0);
		if !(0.0..=2.0).contains(&temperature) {
			return Err(ApiError::invalid(
				"invalid_value",
				Some("temperature"),
				format!("temperature {temperature} is not between 0 and 2"),
			));
		}
		let top_p = self.top_p.unwrap_or(1.0);
		if !(top_p > 0.0 && top_p <= 1.0) {
			return Err(ApiError::invalid(
				"invalid_value",
				Some("top_p"),
				format!("top_p {top_p} is not in (0, 1]"),
			));
		}
		let max_tokens = match self.max_completion_tokens.or(self.max_tokens) {
			None => None,
			Some(0) => {
				return Err(ApiError::invalid(
					"invalid_value",
					Some("max_tokens"),
					"max_tokens must be at least 1".into(),
				))
			},
			Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
		};
		let stop = match &self.stop {
			None => Vec::new(),
			Some(Stop::One(s)) => vec![s.clone()],
			Some(Stop::Many(many)) => many.clone(),
		};
		if stop.len() > MAX_STOPS || stop.iter().any(String::is_empty) {
			return Err(ApiError::invalid(
				"invalid_value",
				Some("stop"),
				format!("stop takes at most {MAX_STOPS} non-empty strings"),
			));
		}
		Ok(Asked {
			max_tokens,
			temperature_milli: (temperature * 1000.0).round() as u32,
			// At least one thousandth: (0, 0.0005) would round to 0.
			top_p_milli: ((top_p * 1000.0).round() as u32).clamp(1, 1000),
			seed: self.seed,
			stop,
			stream: self.stream,
			include_usage: self.stream_options.as_ref().is_some_and(|o| o.include_usage),
		})
	}
}

impl Prompt {
	/// The one prompt.
	pub fn text(&self) -> Result<&str, ApiError> {
		match self {
			Prompt::One(text) => Ok(text),
			Prompt::Many(list) if list.len() == 1 => Ok(&list[0]),
			Prompt::Many(_) => Err(unsupported("prompt", "one prompt per request (a string)")),
		}
	}
}

/// The turn marker a chat's prompt ends with; the chat endpoint also stops
/// a completion where the model starts the next user turn.
pub const USER_TURN: &str = "\nUser:";

/// A chat as one prompt, in the gateway's plain template (Hypha model files
/// carry no chat template): each message on its own line as `System: …`,
/// `User: …` or `Assistant: …` (a `developer` message counts as `System`),
/// then `Assistant:` for the model to continue.
pub fn chat_prompt(messages: &[Message]) -> Result<String, ApiError> {
	if messages.is_empty() {
		return Err(ApiError::invalid(
			"invalid_value",
			Some("messages"),
			"messages must hold at least one message".into(),
		));
	}
	let mut prompt = String::new();
	for message in messages {
		let speaker = match message.role.as_str() {
			"system" | "developer" => "System",
			"user" => "User",
			"assistant" => "Assistant",
			other => {
				return Err(ApiError::invalid(
					"invalid_value",
					Some("messages"),
					format!(
						"a message with role `{other}`: only system, developer, user and assistant"
					),
				))
			},
		};
		let content = match &message.content {
			Value::String(text) => text.clone(),
			Value::Null => String::new(),
			Value::Array(parts) => {
				let mut text = String::new();
				for part in parts {
					match (part.get("type").and_then(Value::as_str), part.get("text")) {
						(Some("text"), Some(Value::String(t))) => text.push_str(t),
						_ => return Err(unsupported("messages", "text content parts only")),
					}
				}
				text
			},
			_ => return Err(unsupported("messages", "content is a string or text parts")),
		};
		prompt.push_str(speaker);
		prompt.push_str(": ");
		prompt.push_str(content.trim());
		prompt.push('\n');
	}
	prompt.push_str("Assistant:");
	Ok(prompt)
}

/// How much of `text` can be shown now: `(len, stopped)`, where `stopped`
/// says a stop string starts at `len` (show `text[..len]`, and nothing
/// after it ever); otherwise `len` leaves out the end of `text` that could
/// still become a stop string (and a trailing replacement character, the
/// half of a character the next token completes).
pub fn visible(text: &str, stops: &[String]) -> (usize, bool) {
	if let Some(at) = stops.iter().filter_map(|stop| text.find(stop.as_str())).min() {
		return (at, true);
	}
	let mut len = text.len();
	for stop in stops {
		// The longest end of `text` that begins `stop`.
		for (start, _) in text.char_indices().rev().take(stop.chars().count()) {
			if stop.starts_with(&text[start..]) {
				len = len.min(start);
			}
		}
	}
	while let Some(stripped) = text[..len].strip_suffix('\u{FFFD}') {
		len = stripped.len();
	}
	(len, false)
}

/// `usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usage {
	/// The prompt's tokens.
	pub prompt_tokens: usize,
	/// Tokens the job generated (what it was paid for, also past a stop string).
	pub completion_tokens: usize,
	/// Both.
	pub total_tokens: usize,
}

impl Usage {
	/// From the two counts.
	pub fn new(prompt_tokens: usize, completion_tokens: usize) -> Self {
		Self { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens }
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn common(json: Value) -> Common {
		serde_json::from_value(json).unwrap()
	}

	#[test]
	fn parameters_become_a_jobs_terms_and_unsupported_ones_are_named() {
		let asked = common(json!({"model": "m", "max_tokens": 8, "temperature": 0.7, "top_p": 0.9, "seed": 3, "stop": ["\n", "."]}))
			.asked()
			.unwrap();
		assert_eq!(asked.max_tokens, Some(8));
		assert_eq!((asked.temperature_milli, asked.top_p_milli, asked.seed), (700, 900, Some(3)));
		assert_eq!(asked.stop, vec!["\n".to_string(), ".".to_string()]);
		let defaults = common(json!({"model": "m"})).asked().unwrap();
		assert_eq!((defaults.temperature_milli, defaults.top_p_milli), (1000, 1000));
		for (bad, param) in [
			(json!({"model": "m", "n": 2}), "n"),
			(json!({"model": "m", "logprobs": 3}), "logprobs"),
			(json!({"model": "m", "logprobs": true}), "logprobs"),
			(json!({"model": "m", "echo": true}), "echo"),
			(json!({"model": "m", "temperature": 2.5}), "temperature"),
			(json!({"model": "m", "top_p": 0}), "top_p"),
			(json!({"model": "m", "max_tokens": 0}), "max_tokens"),
			(json!({"model": "m", "stop": ["a", "b", "c", "d", "e"]}), "stop"),
			(json!({"model": "m", "stop": ""}), "stop"),
			(json!({"model": "m", "tools": [{"type": "function"}]}), "tools"),
			(json!({"model": "m", "presence_penalty": 0.5}), "frequency_penalty"),
			(json!({"model": "m", "response_format": {"type": "json_object"}}), "response_format"),
		] {
			let error = common(bad.clone()).asked().unwrap_err();
			assert_eq!(error.param, Some(param), "{bad}");
			assert_eq!(error.status, StatusCode::BAD_REQUEST);
		}
		// What clients send by default passes.
		assert!(common(json!({"model": "m", "n": 1, "logprobs": null, "echo": false, "frequency_penalty": 0, "logit_bias": {}, "response_format": {"type": "text"}})).asked().is_ok());
	}

	#[test]
	fn a_chat_becomes_the_plain_template() {
		let messages: Vec<Message> = serde_json::from_value(json!([
			{"role": "system", "content": "Be brief."},
			{"role": "user", "content": [{"type": "text", "text": "Hello"}]},
			{"role": "assistant", "content": "Hi."},
			{"role": "user", "content": " Tell me my fortune. "},
		]))
		.unwrap();
		assert_eq!(
			chat_prompt(&messages).unwrap(),
			"System: Be brief.\nUser: Hello\nAssistant: Hi.\nUser: Tell me my fortune.\nAssistant:"
		);
		assert!(chat_prompt(&[]).is_err());
		let tool: Vec<Message> =
			serde_json::from_value(json!([{"role": "tool", "content": "x"}])).unwrap();
		assert_eq!(chat_prompt(&tool).unwrap_err().param, Some("messages"));
		let image: Vec<Message> = serde_json::from_value(
			json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]),
		)
		.unwrap();
		assert!(chat_prompt(&image).is_err());
	}

	#[test]
	fn text_is_shown_up_to_a_stop_string_and_never_half_of_one() {
		let stops = vec!["\nUser:".to_string(), "END".to_string()];
		assert_eq!(visible("a fortune", &stops), (9, false));
		assert_eq!(visible("a fortune\nUs", &stops), (9, false), "could become a stop");
		assert_eq!(visible("a fortune\nUser: more", &stops), (9, true));
		assert_eq!(visible("one EN", &stops), (4, false));
		assert_eq!(visible("one END two", &stops), (4, true));
		assert_eq!(visible("half \u{FFFD}", &[]), (5, false));
		assert_eq!(visible("é", &[]), (2, false));
		// The earliest stop wins, whichever is listed first.
		assert_eq!(visible("xx END yy\nUser:", &stops), (3, true));
	}
}
