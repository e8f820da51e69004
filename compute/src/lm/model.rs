//! The integer language model: its tensors, its file format and its forward
//! pass with a KV cache.
//!
//! A Hypha model file is safetensors holding integers only (`I8` weights,
//! `I32` gains, multipliers and shifts, `I16` rotary tables), the
//! tokenizer's JSON as a `U8` tensor, and, in `__metadata__`, the
//! [`LmHeader`] (format, shape, RMSNorm ε). Every tensor is checked against the header on load,
//! so a file from the network cannot make a worker index out of bounds or
//! allocate without limit.
//!
//! The forward pass (one Llama block per layer):
//!
//! ```text
//! r = embed[token]                                   residual, i32
//! per layer:
//!   x = rmsnorm(r) → int8;  q, k, v = x·Wq, x·Wk, x·Wv → int8 (per-channel requantization)
//!   q, k = rope(q), rope(k);  append k, v to the cache
//!   a = softmax(q·kᵀ)·v → int8 (per head; GQA shares k, v between heads)
//!   r += a·Wo (requantized to the residual scale)
//!   x = rmsnorm(r) → int8;  g, u = x·Wg, x·Wu → int8
//!   h = silu_table[g] · u → int8;  r += h·Wd
//! logits = rmsnorm(r) · Wlm → Q12
//! ```
//!
//! Matrix products go through [`Backend::gemm_i8`] (reference, fast CPU or
//! GPU, all the same bits); the steps between them are [`super::ops`].

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::config::LmConfig;
use super::ops::{LOGIT_LIMIT, RESIDUAL_LIMIT};
use crate::backend::Backend;
pub use crate::fixed::Scale;
use crate::fixed::MAX_SHIFT;
use crate::kernels::gemm_i8::GemmShape;
use crate::kernels::transformer::{AttentionShape, RopeShape};
use crate::tensors::{write_safetensors, OwnedTensor, TensorFile};
use crate::ComputeError;

/// The format name in [`LmHeader::format`].
pub const LM_FORMAT: &str = "hypha-lm-int8/1";
/// `__metadata__` key of the [`LmHeader`] (JSON).
pub const HEADER_KEY: &str = "hypha.lm";
/// The tensor holding the tokenizer (Hugging Face `tokenizer.json`, UTF-8
/// bytes, U8). A tensor rather than a second metadata entry: safetensors
/// writes `__metadata__` from a hash map, whose order (and so the file's
/// bytes and digest) would change from run to run with two entries.
pub const TOKENIZER_TENSOR: &str = "tokenizer.json";
/// Largest tokenizer (16 MiB).
pub const MAX_TOKENIZER_BYTES: usize = 16 << 20;

/// What a model file says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmHeader {
	/// [`LM_FORMAT`].
	pub format: String,
	/// The architecture.
	pub config: LmConfig,
	/// RMSNorm's ε in the units [`super::ops::rms_norm_row`] adds it in
	/// (`ε / s_r² · 2^16`).
	pub norm_eps: u64,
}

impl Scale {
	/// The closest `multiplier / 2^shift` to a positive `factor` (import
	/// only: this is where float ends).
	pub fn from_factor(factor: f64) -> Result<Self, ComputeError> {
		if !(factor.is_finite() && factor > 0.0) {
			return Err(ComputeError::InvalidData(format!(
				"scale factor {factor} is not positive"
			)));
		}
		for shift in (0..=MAX_SHIFT).rev() {
			let m = (factor * (1u64 << shift) as f64).round();
			if m < (1u64 << 31) as f64 {
				if m < 1.0 {
					break;
				}
				return Ok(Self { multiplier: m as i32, shift });
			}
		}
		Err(ComputeError::InvalidData(format!("scale factor {factor} is out of range")))
	}

	fn check(&self, what: &str) -> Result<(), ComputeError> {
		if self.multiplier <= 0 || self.shift > MAX_SHIFT {
			return Err(ComputeError::InvalidData(format!(
				"{what}: multiplier {} / shift {} out of range",
				self.multiplier, self.shift
			)));
		}
		Ok(())
	}
}

/// A projection `[outputs, inputs]` with int8 weights, i32 biases and one
/// output [`Scale`] per output channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linear {
	/// Output channels.
	pub outputs: usize,
	/// Input features.
	pub inputs: usize,
	/// `[outputs, inputs]`, row-major. Shared: a GPU backend keeps it on
	/// the device for as long as it lives, and a tied output projection is
	/// the embedding's matrix itself.
	pub weight: Arc<[i8]>,
	/// `[outputs]`, in accumulator units.
	pub bias: Vec<i32>,
	/// `[outputs]`.
	pub scales: Vec<Scale>,
}

impl Linear {
	fn gemm(&self, backend: &Backend, x: &[i8], rows: usize) -> Result<Vec<i32>, ComputeError> {
		backend.gemm_i8_shared(
			x,
			&self.weight,
			&self.bias,
			GemmShape { m: rows, k: self.inputs, n: self.outputs },
		)
	}

	/// `x · Wᵀ + b`, requantized per channel to int8.
	fn to_i8(&self, backend: &Backend, x: &[i8], rows: usize) -> Result<Vec<i8>, ComputeError> {
		let acc = self.gemm(backend, x, rows)?;
		let out = backend.requantize_channels(&acc, &self.scales, None, -128, 127)?;
		Ok(out.into_iter().map(|v| v as i8).collect())
	}

	/// `r += x · Wᵀ + b`, requantized per channel to the residual scale.
	fn add_to(
		&self,
		backend: &Backend,
		x: &[i8],
		rows: usize,
		r: &mut Vec<i32>,
	) -> Result<(), ComputeError> {
		let acc = self.gemm(backend, x, rows)?;
		let limit = RESIDUAL_LIMIT as i32;
		*r = backend.requantize_channels(&acc, &self.scales, Some(r), -limit, limit)?;
		Ok(())
	}

	fn tensors(&self, name: &str, with_weight: bool, out: &mut Vec<(String, OwnedTensor)>) {
		if with_weight {
			out.push((
				format!("{name}.weight"),
				OwnedTensor::from_i8(vec![self.outputs, self.inputs], &self.weight),
			));
		}
		out.push((format!("{name}.bias"), OwnedTensor::from_i32(vec![self.outputs], &self.bias)));
		let (m, s): (Vec<i32>, Vec<i32>) =
			self.scales.iter().map(|s| (s.multiplier, s.shift as i32)).unzip();
		out.push((format!("{name}.multiplier"), OwnedTensor::from_i32(vec![self.outputs], &m)));
		out.push((format!("{name}.shift"), OwnedTensor::from_i32(vec![self.outputs], &s)));
	}

	fn load(
		file: &TensorFile,
		name: &str,
		outputs: usize,
		inputs: usize,
		weight: Option<&Arc<[i8]>>,
		names: &mut Vec<String>,
	) -> Result<Self, ComputeError> {
		let weight = match weight {
			Some(w) => w.clone(),
			None => {
				names.push(format!("{name}.weight"));
				file.i8(&format!("{name}.weight"), Some(&[outputs, inputs]))?.into()
			},
		};
		let bias = file.i32(&format!("{name}.bias"), Some(&[outputs]))?;
		let m = file.i32(&format!("{name}.multiplier"), Some(&[outputs]))?;
		let s = file.i32(&format!("{name}.shift"), Some(&[outputs]))?;
		names.extend(["bias", "multiplier", "shift"].map(|t| format!("{name}.{t}")));
		let scales = m
			.iter()
			.zip(&s)
			.map(|(&multiplier, &shift)| {
				let scale = Scale { multiplier, shift: u32::try_from(shift).unwrap_or(u32::MAX) };
				scale.check(name).map(|()| scale)
			})
			.collect::<Result<_, _>>()?;
		Ok(Self { outputs, inputs, weight, bias, scales })
	}
}

/// One transformer block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
	/// RMSNorm gains before attention, `round(γ / s_out · 2^16)`.
	pub attn_norm: Vec<i32>,
	/// Query projection (int8 out).
	pub q: Linear,
	/// Key projection (int8 out).
	pub k: Linear,
	/// Value projection (int8 out).
	pub v: Linear,
	/// Output projection (into the residual).
	pub o: Linear,
	/// Score differences → Q12 softmax arguments (`s_q·s_k/√d_head·2^12`).
	pub score: Scale,
	/// RMSNorm gains before the MLP.
	pub mlp_norm: Vec<i32>,
	/// Gate projection (int8 out, SiLU's input).
	pub gate: Linear,
	/// Up projection (int8 out).
	pub up: Linear,
	/// Down projection (into the residual).
	pub down: Linear,
	/// `silu(g)` for every int8 `g` (index `g + 128`), int8 out.
	pub silu: Vec<i8>,
	/// `silu(g)·u` (i32) → int8.
	pub hidden: Scale,
}

/// An integer-only decoder-only transformer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntLm {
	/// Shape, format, ε.
	pub header: LmHeader,
	/// Token embedding `[vocab, hidden]` with one scale per token into the
	/// residual stream (also the output projection's weight when tied).
	pub embed: Linear,
	/// The blocks.
	pub layers: Vec<Layer>,
	/// RMSNorm gains before the output projection.
	pub final_norm: Vec<i32>,
	/// Output projection into Q12 logits.
	pub lm_head: Linear,
	/// `round(cos(pos·θ_i)·2^14)`, `[max_positions, head_dim/2]`.
	pub rope_cos: Vec<i16>,
	/// `round(sin(pos·θ_i)·2^14)`, same shape.
	pub rope_sin: Vec<i16>,
	/// The tokenizer (`tokenizer.json`).
	pub tokenizer: String,
}

/// Keys and values of the positions run so far, per layer.
#[derive(Debug, Clone)]
pub struct KvCache {
	keys: Vec<Vec<i8>>,
	values: Vec<Vec<i8>>,
	len: usize,
}

impl KvCache {
	/// Positions cached.
	pub fn len(&self) -> usize {
		self.len
	}

	/// Nothing cached yet.
	pub fn is_empty(&self) -> bool {
		self.len == 0
	}
}

/// Which rows' logits [`IntLm::forward`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logits {
	/// Every position (scoring).
	All,
	/// Only the last position (generation).
	Last,
}

impl IntLm {
	/// The architecture.
	pub fn config(&self) -> &LmConfig {
		&self.header.config
	}

	/// An empty cache for this model.
	pub fn cache(&self) -> KvCache {
		let c = self.config();
		KvCache { keys: vec![Vec::new(); c.layers], values: vec![Vec::new(); c.layers], len: 0 }
	}

	/// Runs `tokens` at the positions after those in `cache`, appends their
	/// keys and values to it, and returns Q12 logits, `[rows, vocab]`.
	pub fn forward(
		&self,
		backend: &Backend,
		cache: &mut KvCache,
		tokens: &[u32],
		which: Logits,
	) -> Result<Vec<i32>, ComputeError> {
		let c = self.config();
		let m = tokens.len();
		let start = cache.len;
		if m == 0 {
			return Ok(Vec::new());
		}
		if start + m > c.max_positions {
			return Err(ComputeError::TooLarge {
				what: "sequence (positions)".into(),
				size: (start + m) as u64,
				limit: c.max_positions as u64,
			});
		}
		if let Some(&t) = tokens.iter().find(|&&t| t as usize >= c.vocab) {
			return Err(ComputeError::InvalidData(format!(
				"token {t} is outside the vocabulary of {}",
				c.vocab
			)));
		}
		let d = c.hidden;
		let mut r = vec![0i32; m * d];
		for (row, &t) in r.chunks_exact_mut(d).zip(tokens) {
			let t = t as usize;
			let scale = self.embed.scales[t];
			for (x, &w) in row.iter_mut().zip(&self.embed.weight[t * d..(t + 1) * d]) {
				*x = scale.apply(w as i64, -RESIDUAL_LIMIT, RESIDUAL_LIMIT) as i32;
			}
		}
		for (layer, (keys, values)) in
			self.layers.iter().zip(cache.keys.iter_mut().zip(cache.values.iter_mut()))
		{
			let x = backend.rms_norm(&r, &layer.attn_norm, self.header.norm_eps)?;
			let q = layer.q.to_i8(backend, &x, m)?;
			let k = layer.k.to_i8(backend, &x, m)?;
			let v = layer.v.to_i8(backend, &x, m)?;
			let rope = |x: &[i8], width| {
				let shape = RopeShape { rows: m, width, head_dim: c.head_dim, start };
				backend.rope(x, shape, &self.rope_cos, &self.rope_sin)
			};
			let q = rope(&q, c.q_width())?;
			keys.extend_from_slice(&rope(&k, c.kv_width())?);
			values.extend_from_slice(&v);
			let shape = AttentionShape {
				rows: m,
				start,
				heads: c.heads,
				kv_heads: c.kv_heads,
				head_dim: c.head_dim,
			};
			let attn = backend.attention(&q, keys, values, shape, layer.score)?;
			layer.o.add_to(backend, &attn, m, &mut r)?;
			let x = backend.rms_norm(&r, &layer.mlp_norm, self.header.norm_eps)?;
			let g = layer.gate.to_i8(backend, &x, m)?;
			let u = layer.up.to_i8(backend, &x, m)?;
			let h = backend.silu_gate(&g, &u, &layer.silu, layer.hidden)?;
			layer.down.add_to(backend, &h, m, &mut r)?;
		}
		cache.len += m;
		let rows = match which {
			Logits::All => &r[..],
			Logits::Last => &r[(m - 1) * d..],
		};
		let n = rows.len() / d;
		let x = backend.rms_norm(rows, &self.final_norm, self.header.norm_eps)?;
		let acc = self.lm_head.gemm(backend, &x, n)?;
		let limit = LOGIT_LIMIT as i32;
		backend.requantize_channels(&acc, &self.lm_head.scales, None, -limit, limit)
	}

	/// The model file: safetensors, integers only.
	pub fn to_safetensors(&self) -> Result<Vec<u8>, ComputeError> {
		let c = self.config();
		let mut t = Vec::new();
		self.embed.tensors("embed", true, &mut t);
		for (i, l) in self.layers.iter().enumerate() {
			let p = format!("layers.{i}");
			t.push((format!("{p}.attn_norm"), OwnedTensor::from_i32(vec![c.hidden], &l.attn_norm)));
			t.push((format!("{p}.mlp_norm"), OwnedTensor::from_i32(vec![c.hidden], &l.mlp_norm)));
			for (name, lin) in [
				("q", &l.q),
				("k", &l.k),
				("v", &l.v),
				("o", &l.o),
				("gate", &l.gate),
				("up", &l.up),
				("down", &l.down),
			] {
				lin.tensors(&format!("{p}.{name}"), true, &mut t);
			}
			t.push((
				format!("{p}.score"),
				OwnedTensor::from_i32(vec![2], &[l.score.multiplier, l.score.shift as i32]),
			));
			t.push((
				format!("{p}.hidden"),
				OwnedTensor::from_i32(vec![2], &[l.hidden.multiplier, l.hidden.shift as i32]),
			));
			t.push((format!("{p}.silu"), OwnedTensor::from_i8(vec![256], &l.silu)));
		}
		t.push(("final_norm".into(), OwnedTensor::from_i32(vec![c.hidden], &self.final_norm)));
		self.lm_head.tensors("lm_head", !c.tied_embeddings, &mut t);
		let half = c.head_dim / 2;
		t.push((
			"rope.cos".into(),
			OwnedTensor::from_i16(vec![c.max_positions, half], &self.rope_cos),
		));
		t.push((
			"rope.sin".into(),
			OwnedTensor::from_i16(vec![c.max_positions, half], &self.rope_sin),
		));
		let header = serde_json::to_string(&self.header)
			.map_err(|e| ComputeError::InvalidNetwork(format!("header: {e}")))?;
		t.push((
			TOKENIZER_TENSOR.into(),
			OwnedTensor::from_u8(vec![self.tokenizer.len()], self.tokenizer.as_bytes()),
		));
		let metadata = HashMap::from([(HEADER_KEY.to_string(), header)]);
		write_safetensors(&t, Some(metadata))
	}

	/// Parses and checks a model file.
	pub fn from_safetensors(bytes: &[u8]) -> Result<Self, ComputeError> {
		let file = TensorFile::parse("model", bytes)?;
		let header: LmHeader =
			serde_json::from_str(file.metadata(HEADER_KEY).ok_or_else(|| {
				ComputeError::InvalidNetwork(format!(
					"no `{HEADER_KEY}` metadata: not a Hypha language model"
				))
			})?)
			.map_err(|e| ComputeError::InvalidNetwork(format!("{HEADER_KEY}: {e}")))?;
		if header.format != LM_FORMAT {
			return Err(ComputeError::InvalidNetwork(format!(
				"format `{}`, expected `{LM_FORMAT}`",
				header.format
			)));
		}
		header.config.validate()?;
		let tokenizer_bytes = file.u8(TOKENIZER_TENSOR, None)?;
		if tokenizer_bytes.len() > MAX_TOKENIZER_BYTES {
			return Err(ComputeError::TooLarge {
				what: "tokenizer".into(),
				size: tokenizer_bytes.len() as u64,
				limit: MAX_TOKENIZER_BYTES as u64,
			});
		}
		let tokenizer = String::from_utf8(tokenizer_bytes)
			.map_err(|_| ComputeError::InvalidNetwork("the tokenizer is not UTF-8".into()))?;
		let c = header.config.clone();
		let (d, f) = (c.hidden, c.intermediate);
		let mut names = Vec::new();
		let embed = Linear::load(&file, "embed", c.vocab, d, None, &mut names)?;
		let mut layers = Vec::with_capacity(c.layers);
		let scalar = |name: &str, names: &mut Vec<String>| -> Result<Scale, ComputeError> {
			names.push(name.to_string());
			let v = file.i32(name, Some(&[2]))?;
			let s = Scale { multiplier: v[0], shift: u32::try_from(v[1]).unwrap_or(u32::MAX) };
			s.check(name).map(|()| s)
		};
		for i in 0..c.layers {
			let p = format!("layers.{i}");
			let lin = |n: &str, o, inp, names: &mut Vec<String>| {
				Linear::load(&file, &format!("{p}.{n}"), o, inp, None, names)
			};
			let attn_norm = file.i32(&format!("{p}.attn_norm"), Some(&[d]))?;
			let mlp_norm = file.i32(&format!("{p}.mlp_norm"), Some(&[d]))?;
			let silu = file.i8(&format!("{p}.silu"), Some(&[256]))?;
			names.extend(["attn_norm", "mlp_norm", "silu"].map(|n| format!("{p}.{n}")));
			let layer = Layer {
				attn_norm,
				q: lin("q", c.q_width(), d, &mut names)?,
				k: lin("k", c.kv_width(), d, &mut names)?,
				v: lin("v", c.kv_width(), d, &mut names)?,
				o: lin("o", d, c.q_width(), &mut names)?,
				score: scalar(&format!("{p}.score"), &mut names)?,
				mlp_norm,
				gate: lin("gate", f, d, &mut names)?,
				up: lin("up", f, d, &mut names)?,
				down: lin("down", d, f, &mut names)?,
				silu,
				hidden: scalar(&format!("{p}.hidden"), &mut names)?,
			};
			layers.push(layer);
		}
		let final_norm = file.i32("final_norm", Some(&[d]))?;
		let tied = c.tied_embeddings.then_some(&embed.weight);
		let lm_head = Linear::load(&file, "lm_head", c.vocab, d, tied, &mut names)?;
		let half = c.head_dim / 2;
		let rope_cos = file.i16("rope.cos", Some(&[c.max_positions, half]))?;
		let rope_sin = file.i16("rope.sin", Some(&[c.max_positions, half]))?;
		names.extend(["final_norm", "rope.cos", "rope.sin", TOKENIZER_TENSOR].map(String::from));
		file.expect_only(&names)?;
		Ok(Self { header, embed, layers, final_norm, lm_head, rope_cos, rope_sin, tokenizer })
	}

	/// The model's digest: blake2-256 of its file.
	pub fn digest(bytes: &[u8]) -> [u8; 32] {
		crate::output::blake2_256(bytes)
	}
}
