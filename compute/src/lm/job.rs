//! The two language-model job kinds: `generate` (prompt → tokens and text)
//! and `score` (text → per-token log-probabilities and the perplexity).
//!
//! A marketplace job's *program* blob is the Hypha model file
//! ([`IntLm::to_safetensors`]); its *input* blob is the request as JSON
//! ([`GenerateRequest`] or [`ScoreRequest`], at most [`MAX_REQUEST_BYTES`]).
//! The worker tokenizes with the tokenizer inside the model file, so the
//! client, the worker and every auditor see the same tokens.
//!
//! Outputs (canonical encoding, `crate::output`):
//!
//! - generate: `tokens` U32 `[n]` (`n ≤ max_new_tokens`, ending early after
//!   the end-of-text token) and `prompt_tokens` U32 `[p]`;
//! - score: `logprobs` I32 `[n − 1]` (Q12 nats) and `nll` I64 `[1]`
//!   (`−Σ logprobs`, Q12).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::model::IntLm;
use super::sample::{generate_streaming, score, Sampling, CHUNK};
use super::tokenizer::Tokenizer;
use crate::backend::Backend;
use crate::output::{canonical_len, JobOutput, OutputDtype, OutputTensor};
use crate::ComputeError;

/// Largest working memory an LM job may need besides its model (4 GiB).
pub const MAX_WORKING_BYTES: u64 = 4 << 30;

/// Largest request blob (64 KiB).
pub const MAX_REQUEST_BYTES: usize = 64 << 10;

/// The format field of a generate request.
pub const GENERATE_FORMAT: &str = "hypha-generate/1";
/// The format field of a score request.
pub const SCORE_FORMAT: &str = "hypha-score/1";

/// The input of a `generate` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
	/// [`GENERATE_FORMAT`].
	pub format: String,
	/// The prompt.
	pub prompt: String,
	/// Most tokens to generate (at least 1).
	pub max_new_tokens: usize,
	/// How tokens are chosen.
	#[serde(default = "greedy")]
	pub sampling: Sampling,
}

fn greedy() -> Sampling {
	Sampling::GREEDY
}

/// The input of a `score` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
	/// [`SCORE_FORMAT`].
	pub format: String,
	/// The text to score.
	pub text: String,
}

impl GenerateRequest {
	/// A request in the current format.
	pub fn new(prompt: impl Into<String>, max_new_tokens: usize, sampling: Sampling) -> Self {
		Self { format: GENERATE_FORMAT.into(), prompt: prompt.into(), max_new_tokens, sampling }
	}

	/// The input blob.
	pub fn to_bytes(&self) -> Vec<u8> {
		serde_json::to_vec(self).unwrap_or_default()
	}
}

impl ScoreRequest {
	/// A request in the current format.
	pub fn new(text: impl Into<String>) -> Self {
		Self { format: SCORE_FORMAT.into(), text: text.into() }
	}

	/// The input blob.
	pub fn to_bytes(&self) -> Vec<u8> {
		serde_json::to_vec(self).unwrap_or_default()
	}
}

fn parse_request<T: for<'de> Deserialize<'de>>(
	bytes: &[u8],
	what: &str,
) -> Result<T, ComputeError> {
	if bytes.len() > MAX_REQUEST_BYTES {
		return Err(ComputeError::TooLarge {
			what: format!("{what} request"),
			size: bytes.len() as u64,
			limit: MAX_REQUEST_BYTES as u64,
		});
	}
	serde_json::from_slice(bytes)
		.map_err(|e| ComputeError::InvalidSpec(format!("{what} request: {e}")))
}

/// What an LM job computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LmTask {
	/// Continue `prompt` by up to `max_new` tokens.
	Generate {
		/// Prompt tokens.
		prompt: Vec<u32>,
		/// Most new tokens.
		max_new: usize,
		/// Sampling settings.
		sampling: Sampling,
	},
	/// Score `tokens`.
	Score {
		/// The text's tokens.
		tokens: Vec<u32>,
	},
}

/// A validated language-model job.
#[derive(Debug, Clone)]
pub struct LmJob {
	/// The model (shared: loading it is the expensive part).
	pub model: Arc<IntLm>,
	/// The work.
	pub task: LmTask,
}

impl LmJob {
	/// A `generate` job from its two blobs.
	pub fn generate_from_blobs(program: &[u8], input: &[u8]) -> Result<Self, ComputeError> {
		let request: GenerateRequest = parse_request(input, "generate")?;
		if request.format != GENERATE_FORMAT {
			return Err(ComputeError::InvalidSpec(format!(
				"generate request format `{}`, expected `{GENERATE_FORMAT}`",
				request.format
			)));
		}
		request.sampling.validate()?;
		let model = IntLm::from_safetensors(program)?;
		let tokens = Tokenizer::from_json(&model.tokenizer)?.encode(&request.prompt)?;
		Self::new(
			Arc::new(model),
			LmTask::Generate {
				prompt: tokens,
				max_new: request.max_new_tokens,
				sampling: request.sampling,
			},
		)
	}

	/// A `score` job from its two blobs.
	pub fn score_from_blobs(program: &[u8], input: &[u8]) -> Result<Self, ComputeError> {
		let request: ScoreRequest = parse_request(input, "score")?;
		if request.format != SCORE_FORMAT {
			return Err(ComputeError::InvalidSpec(format!(
				"score request format `{}`, expected `{SCORE_FORMAT}`",
				request.format
			)));
		}
		let model = IntLm::from_safetensors(program)?;
		let tokens = Tokenizer::from_json(&model.tokenizer)?.encode(&request.text)?;
		Self::new(Arc::new(model), LmTask::Score { tokens })
	}

	/// Checks the task against the model's bounds.
	pub fn new(model: Arc<IntLm>, task: LmTask) -> Result<Self, ComputeError> {
		let c = model.config();
		let (positions, what) = match &task {
			LmTask::Generate { prompt, max_new, .. } => {
				if prompt.is_empty() {
					return Err(ComputeError::InvalidSpec("the prompt has no tokens".into()));
				}
				if *max_new == 0 {
					return Err(ComputeError::InvalidSpec(
						"max_new_tokens must be at least 1".into(),
					));
				}
				(prompt.len().saturating_add(*max_new), "prompt plus new tokens")
			},
			LmTask::Score { tokens } => {
				if tokens.len() < 2 {
					return Err(ComputeError::InvalidSpec(
						"scoring needs a text of at least two tokens".into(),
					));
				}
				(tokens.len(), "text to score (tokens)")
			},
		};
		if positions > c.max_positions {
			return Err(ComputeError::TooLarge {
				what: what.into(),
				size: positions as u64,
				limit: c.max_positions as u64,
			});
		}
		let job = Self { model, task };
		let working = job.working_bytes();
		if working > MAX_WORKING_BYTES {
			return Err(ComputeError::TooLarge {
				what: "working memory (KV cache and temporaries)".into(),
				size: working,
				limit: MAX_WORKING_BYTES,
			});
		}
		Ok(job)
	}

	/// Memory the job needs besides the model, at most: the KV cache
	/// (`layers × positions × kv_width` keys and values, int8) and the
	/// temporaries of one chunk of [`CHUNK`] rows (i32 accumulators of the
	/// widest projection, logits). A worker adds it to the blobs' size
	/// before it decides whether a job fits its memory.
	pub fn working_bytes(&self) -> u64 {
		let c = self.model.config();
		let kv = 2 * (c.layers as u64) * (self.positions() as u64) * (c.kv_width() as u64);
		let widest =
			[c.q_width(), c.hidden, 2 * c.intermediate, c.vocab].into_iter().max().unwrap_or(0)
				as u64;
		kv.saturating_add(CHUNK as u64 * widest * 4 * 4)
	}

	/// Positions the job runs through the model at most.
	pub fn positions(&self) -> usize {
		match &self.task {
			LmTask::Generate { prompt, max_new, .. } => prompt.len() + max_new,
			LmTask::Score { tokens } => tokens.len(),
		}
	}

	/// Multiply-accumulates at most (every position through every layer,
	/// attention over the positions before it, and the logits of every
	/// position that needs them).
	pub fn macs(&self) -> u64 {
		let c = self.model.config();
		let per_token_logits = (c.hidden as u64) * c.vocab as u64;
		let all: u64 = (0..self.positions()).map(|p| c.macs_per_token(p) - per_token_logits).sum();
		let logit_rows = match &self.task {
			LmTask::Generate { max_new, .. } => *max_new as u64,
			LmTask::Score { tokens } => tokens.len() as u64,
		};
		all.saturating_add(logit_rows.saturating_mul(per_token_logits))
	}

	/// The length of the canonical output, at most (a generation may stop early).
	pub fn output_bytes(&self) -> u64 {
		match &self.task {
			LmTask::Generate { prompt, max_new, .. } => canonical_len([
				("prompt_tokens", OutputDtype::U32, &[prompt.len()][..]),
				("tokens", OutputDtype::U32, &[*max_new][..]),
			]),
			LmTask::Score { tokens } => canonical_len([
				("logprobs", OutputDtype::I32, &[tokens.len() - 1][..]),
				("nll", OutputDtype::I64, &[1][..]),
			]),
		}
	}

	/// Runs the job.
	pub fn run(&self, backend: &Backend) -> Result<JobOutput, ComputeError> {
		self.run_streaming(backend, &mut |_| {})
	}

	/// Runs the job, calling `on_token` with each generated token as it is
	/// chosen (never for a `score` job). Same output as [`Self::run`].
	pub fn run_streaming(
		&self,
		backend: &Backend,
		on_token: &mut dyn FnMut(u32),
	) -> Result<JobOutput, ComputeError> {
		let mut out = JobOutput::default();
		match &self.task {
			LmTask::Generate { prompt, max_new, sampling } => {
				let tokens =
					generate_streaming(&self.model, backend, prompt, *max_new, sampling, on_token)?;
				out.insert("prompt_tokens", OutputTensor::u32(vec![prompt.len()], prompt));
				out.insert("tokens", OutputTensor::u32(vec![tokens.len()], &tokens));
			},
			LmTask::Score { tokens } => {
				let scored = score(&self.model, backend, tokens)?;
				out.insert(
					"logprobs",
					OutputTensor::i32(vec![scored.logprobs.len()], &scored.logprobs),
				);
				out.insert("nll", OutputTensor::i64(vec![1], &[scored.nll]));
			},
		}
		Ok(out)
	}
}
