//! The shape of a language model: Hypha's own [`LmConfig`] and the
//! Hugging Face `config.json` it is imported from.

use serde::{Deserialize, Serialize};

use crate::ComputeError;

/// Bounds on every dimension, so that a model file from the network cannot
/// make a worker allocate without limit.
pub mod limits {
	/// Vocabulary size.
	pub const VOCAB: usize = 1 << 18;
	/// Hidden size, intermediate size, head dimension.
	pub const WIDTH: usize = 1 << 15;
	/// Layers.
	pub const LAYERS: usize = 256;
	/// Attention heads.
	pub const HEADS: usize = 256;
	/// Positions (prompt plus generated tokens, or scored text).
	pub const POSITIONS: usize = 8192;
}

/// The architecture of a decoder-only transformer Hypha runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmConfig {
	/// Where it came from (`llama`, `mistral`, `qwen2`): the layout is the
	/// same Llama block for all of them.
	pub architecture: String,
	/// Tokens in the vocabulary.
	pub vocab: usize,
	/// Width of the residual stream.
	pub hidden: usize,
	/// Width of the SwiGLU MLP.
	pub intermediate: usize,
	/// Transformer blocks.
	pub layers: usize,
	/// Query heads.
	pub heads: usize,
	/// Key/value heads (grouped-query attention when fewer than `heads`).
	pub kv_heads: usize,
	/// Width of one head.
	pub head_dim: usize,
	/// Longest sequence the rotary tables cover.
	pub max_positions: usize,
	/// The output projection is the token embedding.
	pub tied_embeddings: bool,
	/// The q/k/v projections have biases (Qwen2).
	pub qkv_bias: bool,
	/// Token that ends a text, if the tokenizer has one.
	pub eos: Option<u32>,
}

impl LmConfig {
	/// Checks every dimension against [`limits`] and against each other.
	pub fn validate(&self) -> Result<(), ComputeError> {
		let bad = |m: String| Err(ComputeError::InvalidNetwork(m));
		let within = |name: &str, v: usize, max: usize| -> Result<(), ComputeError> {
			if v == 0 || v > max {
				return Err(ComputeError::InvalidNetwork(format!(
					"{name} is {v}; it must be 1..={max}"
				)));
			}
			Ok(())
		};
		within("vocab", self.vocab, limits::VOCAB)?;
		within("hidden", self.hidden, limits::WIDTH)?;
		within("intermediate", self.intermediate, limits::WIDTH)?;
		within("head_dim", self.head_dim, limits::WIDTH)?;
		within("layers", self.layers, limits::LAYERS)?;
		within("heads", self.heads, limits::HEADS)?;
		within("kv_heads", self.kv_heads, limits::HEADS)?;
		within("max_positions", self.max_positions, limits::POSITIONS)?;
		if !self.head_dim.is_multiple_of(2) {
			return bad(format!("head_dim {} is odd; rotary embeddings need pairs", self.head_dim));
		}
		if !self.heads.is_multiple_of(self.kv_heads) {
			return bad(format!(
				"{} heads are not a multiple of {} key/value heads",
				self.heads, self.kv_heads
			));
		}
		if self.heads * self.head_dim > limits::WIDTH {
			return bad(format!(
				"heads × head_dim = {} exceeds {}",
				self.heads * self.head_dim,
				limits::WIDTH
			));
		}
		if let Some(eos) = self.eos {
			if eos as usize >= self.vocab {
				return bad(format!("eos token {eos} is outside the vocabulary of {}", self.vocab));
			}
		}
		Ok(())
	}

	/// Width of the concatenated query heads.
	pub fn q_width(&self) -> usize {
		self.heads * self.head_dim
	}

	/// Width of the concatenated key (or value) heads.
	pub fn kv_width(&self) -> usize {
		self.kv_heads * self.head_dim
	}

	/// Multiply-accumulates of one token at position `pos` (0-based) through
	/// the whole model, logits included: what compute units count.
	pub fn macs_per_token(&self, pos: usize) -> u64 {
		let d = self.hidden as u64;
		let q = self.q_width() as u64;
		let kv = self.kv_width() as u64;
		let f = self.intermediate as u64;
		let attention = 2 * (pos as u64 + 1) * q; // scores and the weighted sum
		let per_layer = d * (q + 2 * kv) + q * d + 3 * d * f + attention;
		self.layers as u64 * per_layer + d * self.vocab as u64
	}
}

/// The fields of a Hugging Face `config.json` the importer reads.
#[derive(Debug, Deserialize)]
pub struct HfConfig {
	/// e.g. `["LlamaForCausalLM"]`.
	#[serde(default)]
	pub architectures: Vec<String>,
	/// e.g. `llama`.
	#[serde(default)]
	pub model_type: Option<String>,
	/// Vocabulary size.
	pub vocab_size: usize,
	/// Hidden size.
	pub hidden_size: usize,
	/// MLP width.
	pub intermediate_size: usize,
	/// Blocks.
	pub num_hidden_layers: usize,
	/// Query heads.
	pub num_attention_heads: usize,
	/// Key/value heads (absent: as many as query heads).
	#[serde(default)]
	pub num_key_value_heads: Option<usize>,
	/// Head width (absent: hidden / heads).
	#[serde(default)]
	pub head_dim: Option<usize>,
	/// Longest sequence.
	pub max_position_embeddings: usize,
	/// RMSNorm's ε.
	#[serde(default = "default_eps")]
	pub rms_norm_eps: f64,
	/// Rotary base.
	#[serde(default = "default_theta")]
	pub rope_theta: f64,
	/// Scaled rotary embeddings (not supported).
	#[serde(default)]
	pub rope_scaling: Option<serde_json::Value>,
	/// Tied input and output embeddings.
	#[serde(default)]
	pub tie_word_embeddings: Option<bool>,
	/// The MLP's activation (only `silu`).
	#[serde(default)]
	pub hidden_act: Option<String>,
	/// Biases on the attention projections.
	#[serde(default)]
	pub attention_bias: Option<bool>,
	/// End-of-text token: a number or a list of numbers.
	#[serde(default)]
	pub eos_token_id: Option<serde_json::Value>,
}

fn default_eps() -> f64 {
	1e-6
}

fn default_theta() -> f64 {
	10000.0
}

/// Architectures the importer accepts, by `model_type`.
pub const SUPPORTED: &[&str] = &["llama", "mistral", "qwen2"];

impl HfConfig {
	/// Parses `config.json`.
	pub fn parse(text: &str) -> Result<Self, ComputeError> {
		serde_json::from_str(text)
			.map_err(|e| ComputeError::InvalidNetwork(format!("config.json: {e}")))
	}

	/// Hypha's config for this checkpoint, or why it cannot be imported.
	pub fn to_lm_config(&self) -> Result<LmConfig, ComputeError> {
		let arch = self
			.model_type
			.clone()
			.or_else(|| {
				self.architectures.first().map(|a| a.trim_end_matches("ForCausalLM").to_lowercase())
			})
			.unwrap_or_default();
		if !SUPPORTED.contains(&arch.as_str()) {
			return Err(ComputeError::InvalidNetwork(format!(
				"unknown architecture `{arch}` (architectures {:?}); supported: {}",
				self.architectures,
				SUPPORTED.join(", ")
			)));
		}
		if let Some(act) = &self.hidden_act {
			if act != "silu" {
				return Err(ComputeError::InvalidNetwork(format!(
					"hidden_act `{act}` is not supported (only silu)"
				)));
			}
		}
		if self.rope_scaling.as_ref().is_some_and(|v| !v.is_null()) {
			return Err(ComputeError::InvalidNetwork(
				"rope_scaling is not supported (plain rotary embeddings only)".into(),
			));
		}
		if !(self.rope_theta.is_finite() && self.rope_theta > 1.0) {
			return Err(ComputeError::InvalidNetwork(format!(
				"rope_theta {} is not > 1",
				self.rope_theta
			)));
		}
		if !(self.rms_norm_eps.is_finite() && self.rms_norm_eps >= 0.0) {
			return Err(ComputeError::InvalidNetwork(format!(
				"rms_norm_eps {} is invalid",
				self.rms_norm_eps
			)));
		}
		if self.num_attention_heads == 0 {
			return Err(ComputeError::InvalidNetwork("num_attention_heads is 0".into()));
		}
		let eos = match &self.eos_token_id {
			Some(serde_json::Value::Number(n)) => n.as_u64(),
			Some(serde_json::Value::Array(a)) => a.first().and_then(|v| v.as_u64()),
			_ => None,
		}
		.map(|e| e as u32);
		let config = LmConfig {
			architecture: arch.clone(),
			vocab: self.vocab_size,
			hidden: self.hidden_size,
			intermediate: self.intermediate_size,
			layers: self.num_hidden_layers,
			heads: self.num_attention_heads,
			kv_heads: self.num_key_value_heads.unwrap_or(self.num_attention_heads),
			head_dim: self.head_dim.unwrap_or(self.hidden_size / self.num_attention_heads),
			max_positions: self.max_position_embeddings.min(limits::POSITIONS),
			tied_embeddings: self.tie_word_embeddings.unwrap_or(arch != "llama"),
			qkv_bias: self.attention_bias.unwrap_or(arch == "qwen2"),
			eos,
		};
		config.validate()?;
		Ok(config)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const LLAMA: &str = r#"{"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":1024,
		"hidden_size":192,"intermediate_size":512,"num_hidden_layers":4,"num_attention_heads":6,
		"num_key_value_heads":2,"max_position_embeddings":256,"rms_norm_eps":1e-5,"rope_theta":10000.0,
		"tie_word_embeddings":true,"hidden_act":"silu","eos_token_id":0}"#;

	#[test]
	fn a_llama_config_imports() {
		let c = HfConfig::parse(LLAMA).and_then(|c| c.to_lm_config()).map_err(|e| e.to_string());
		let c = c.as_ref().map_err(String::as_str);
		assert_eq!(
			c.map(|c| (c.head_dim, c.kv_heads, c.tied_embeddings, c.eos)),
			Ok((32, 2, true, Some(0)))
		);
	}

	#[test]
	fn unknown_architectures_and_activations_are_named() {
		let gpt2 = LLAMA.replace("\"llama\"", "\"gpt2\"");
		let err =
			HfConfig::parse(&gpt2).and_then(|c| c.to_lm_config()).err().map(|e| e.to_string());
		assert!(
			err.as_deref().is_some_and(|e| e.contains("unknown architecture `gpt2`")),
			"{err:?}"
		);
		let gelu = LLAMA.replace("\"silu\"", "\"gelu\"");
		let err =
			HfConfig::parse(&gelu).and_then(|c| c.to_lm_config()).err().map(|e| e.to_string());
		assert!(err.as_deref().is_some_and(|e| e.contains("gelu")), "{err:?}");
		let odd = LLAMA.replace("\"num_key_value_heads\":2", "\"num_key_value_heads\":4");
		let err = HfConfig::parse(&odd).and_then(|c| c.to_lm_config()).err().map(|e| e.to_string());
		assert!(err.as_deref().is_some_and(|e| e.contains("not a multiple")), "{err:?}");
	}
}
