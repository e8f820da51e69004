//! The float model: a Hugging Face Llama-family checkpoint in `f32`, its
//! forward pass, and the activation ranges the importer calibrates on.
//!
//! Float lives here and in the importer only. It is the reference the
//! integer model is measured against (`make lm-check`, itself checked
//! against candle's Llama in `bench/lm/tests/float_reference.rs`), never
//! what a job runs.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use super::config::{HfConfig, LmConfig};
use crate::tensors::{read_bounded, MAX_FILE_BYTES};
use crate::ComputeError;

/// Largest float checkpoint the importer reads (4 GiB).
pub const MAX_CHECKPOINT_BYTES: u64 = 4 << 30;

/// One block's float weights, `[out, in]` row-major like the checkpoint.
#[derive(Debug, Clone)]
pub struct FloatLayer {
	/// `input_layernorm.weight`.
	pub attn_norm: Vec<f32>,
	/// `self_attn.q_proj.weight`.
	pub q: Vec<f32>,
	/// `self_attn.k_proj.weight`.
	pub k: Vec<f32>,
	/// `self_attn.v_proj.weight`.
	pub v: Vec<f32>,
	/// Biases of q, k, v (Qwen2), else empty.
	pub q_bias: Vec<f32>,
	/// k bias.
	pub k_bias: Vec<f32>,
	/// v bias.
	pub v_bias: Vec<f32>,
	/// `self_attn.o_proj.weight`.
	pub o: Vec<f32>,
	/// `post_attention_layernorm.weight`.
	pub mlp_norm: Vec<f32>,
	/// `mlp.gate_proj.weight`.
	pub gate: Vec<f32>,
	/// `mlp.up_proj.weight`.
	pub up: Vec<f32>,
	/// `mlp.down_proj.weight`.
	pub down: Vec<f32>,
}

/// A float checkpoint.
#[derive(Debug, Clone)]
pub struct FloatLm {
	/// The architecture.
	pub config: LmConfig,
	/// RMSNorm's ε.
	pub eps: f64,
	/// Rotary base.
	pub rope_theta: f64,
	/// `model.embed_tokens.weight`, `[vocab, hidden]`.
	pub embed: Vec<f32>,
	/// The blocks.
	pub layers: Vec<FloatLayer>,
	/// `model.norm.weight`.
	pub norm: Vec<f32>,
	/// `lm_head.weight` (equal to `embed` when tied).
	pub lm_head: Vec<f32>,
}

/// What the calibration saw of one activation: its largest magnitude and
/// a strided sample of its values.
#[derive(Debug, Clone, Default)]
pub struct Stat {
	/// Largest absolute value.
	pub max: f32,
	/// Every [`SAMPLE_STRIDE`]-th value, at most [`MAX_SAMPLES`].
	pub samples: Vec<f32>,
}

/// Keep one value in this many.
pub const SAMPLE_STRIDE: usize = 7;
/// Values kept per activation.
pub const MAX_SAMPLES: usize = 1 << 18;
/// Clipping ratios the importer tries (fractions of the largest value).
pub const CLIP_GRID: [f64; 14] =
	[1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3];

impl Stat {
	fn observe(&mut self, x: &[f32]) {
		self.max = self.max.max(max_abs(x));
		let room = MAX_SAMPLES.saturating_sub(self.samples.len());
		self.samples.extend(x.iter().step_by(SAMPLE_STRIDE).take(room));
	}

	/// The int8 scale (`real = integer · scale`) with the least squared
	/// quantization error over the samples, among `max · ratio / 127` for
	/// the ratios of [`CLIP_GRID`] (ties: the larger range). Outliers then
	/// saturate instead of coarsening every other value.
	pub fn int8_scale(&self) -> f64 {
		let max =
			if self.max > 0.0 && self.max.is_finite() { self.max as f64 } else { return 1.0 };
		let error = |scale: f64| -> f64 {
			self.samples
				.iter()
				.map(|&v| {
					let q = (v as f64 / scale).round().clamp(-127.0, 127.0);
					(v as f64 - q * scale).powi(2)
				})
				.sum()
		};
		let mut best = (f64::INFINITY, max / 127.0);
		for ratio in CLIP_GRID {
			let scale = max * ratio / 127.0;
			let e = error(scale);
			if e < best.0 {
				best = (e, scale);
			}
		}
		best.1
	}
}

/// Every activation the integer model quantizes, over the calibration text.
#[derive(Debug, Clone, Default)]
pub struct Ranges {
	/// Largest magnitude of the residual stream (embeddings and every
	/// block's output; never clipped).
	pub residual: f32,
	/// The final RMSNorm's output.
	pub final_norm: Stat,
	/// Per block.
	pub layers: Vec<LayerRanges>,
}

/// Activations inside one block.
#[derive(Debug, Clone, Default)]
pub struct LayerRanges {
	/// RMSNorm output before attention.
	pub attn_norm: Stat,
	/// Queries, before and after the rotation.
	pub q: Stat,
	/// Keys, before and after the rotation.
	pub k: Stat,
	/// Values.
	pub v: Stat,
	/// RMSNorm output before the MLP.
	pub mlp_norm: Stat,
	/// Gate projection (SiLU's input).
	pub gate: Stat,
	/// SiLU's output.
	pub silu: Stat,
	/// Up projection.
	pub up: Stat,
	/// `silu(gate)·up`.
	pub hidden: Stat,
	/// Largest `|silu(gate)·up|` of each intermediate channel.
	pub hidden_channels: Vec<f32>,
}

fn max_abs(x: &[f32]) -> f32 {
	x.iter().fold(0f32, |m, v| m.max(v.abs()))
}

fn to_f32(name: &str, view: &safetensors::tensor::TensorView) -> Result<Vec<f32>, ComputeError> {
	let data = view.data();
	Ok(match view.dtype() {
		Dtype::F32 => {
			data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
		},
		Dtype::F16 => {
			data.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect()
		},
		Dtype::BF16 => {
			data.chunks_exact(2).map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32()).collect()
		},
		other => {
			return Err(ComputeError::WrongDtype {
				name: name.into(),
				expected: "F32, F16 or BF16".into(),
				actual: format!("{other:?}"),
			})
		},
	})
}

/// Matrix product `x [m, k] · w [n, k]ᵀ → [m, n]` (+ bias).
pub fn matmul(x: &[f32], w: &[f32], bias: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
	let mut out = vec![0f32; m * n];
	if !bias.is_empty() {
		for row in out.chunks_exact_mut(n) {
			row.copy_from_slice(bias);
		}
	}
	// SAFETY: the strides describe exactly the row-major buffers above
	// (x: m×k, w: n×k read transposed, out: m×n), all of the lengths given.
	#[allow(unsafe_code)]
	unsafe {
		matrixmultiply::sgemm(
			m,
			k,
			n,
			1.0,
			x.as_ptr(),
			k as isize,
			1,
			w.as_ptr(),
			1,
			k as isize,
			if bias.is_empty() { 0.0 } else { 1.0 },
			out.as_mut_ptr(),
			n as isize,
			1,
		);
	}
	out
}

impl FloatLm {
	/// Reads `config.json` and `model.safetensors` from a Hugging Face
	/// checkpoint directory, checking every tensor's name and shape.
	pub fn load(dir: &Path) -> Result<Self, ComputeError> {
		let io = |path: &Path| {
			let path = path.to_owned();
			move |source| ComputeError::Io { path, source }
		};
		let config_path = dir.join("config.json");
		let text = std::fs::read_to_string(&config_path).map_err(io(&config_path))?;
		let hf = HfConfig::parse(&text)?;
		let config = hf.to_lm_config()?;
		let weights_path = dir.join("model.safetensors");
		if !weights_path.exists() && dir.join("model.safetensors.index.json").exists() {
			return Err(ComputeError::InvalidNetwork(
				"sharded checkpoints (model.safetensors.index.json) are not supported yet; merge the shards into model.safetensors".into(),
			));
		}
		let bytes = read_bounded(&weights_path, MAX_CHECKPOINT_BYTES.max(MAX_FILE_BYTES))?;
		let file =
			SafeTensors::deserialize(&bytes).map_err(|e| ComputeError::MalformedSafetensors {
				what: weights_path.display().to_string(),
				reason: e.to_string(),
			})?;
		let what = weights_path.display().to_string();
		let get = |name: &str, shape: &[usize]| -> Result<Vec<f32>, ComputeError> {
			let view = file.tensor(name).map_err(|_| ComputeError::MissingTensor {
				name: name.into(),
				what: what.clone(),
			})?;
			if view.shape() != shape {
				return Err(ComputeError::WrongShape {
					name: name.into(),
					expected: shape.to_vec(),
					actual: view.shape().to_vec(),
				});
			}
			to_f32(name, &view)
		};
		let c = &config;
		let (d, f, v) = (c.hidden, c.intermediate, c.vocab);
		let embed = get("model.embed_tokens.weight", &[v, d])?;
		let mut layers = Vec::with_capacity(c.layers);
		for i in 0..c.layers {
			let p = format!("model.layers.{i}.");
			let bias = |name: &str, n: usize| -> Result<Vec<f32>, ComputeError> {
				if c.qkv_bias {
					get(&format!("{p}self_attn.{name}.bias"), &[n])
				} else {
					Ok(Vec::new())
				}
			};
			layers.push(FloatLayer {
				attn_norm: get(&format!("{p}input_layernorm.weight"), &[d])?,
				q: get(&format!("{p}self_attn.q_proj.weight"), &[c.q_width(), d])?,
				k: get(&format!("{p}self_attn.k_proj.weight"), &[c.kv_width(), d])?,
				v: get(&format!("{p}self_attn.v_proj.weight"), &[c.kv_width(), d])?,
				q_bias: bias("q_proj", c.q_width())?,
				k_bias: bias("k_proj", c.kv_width())?,
				v_bias: bias("v_proj", c.kv_width())?,
				o: get(&format!("{p}self_attn.o_proj.weight"), &[d, c.q_width()])?,
				mlp_norm: get(&format!("{p}post_attention_layernorm.weight"), &[d])?,
				gate: get(&format!("{p}mlp.gate_proj.weight"), &[f, d])?,
				up: get(&format!("{p}mlp.up_proj.weight"), &[f, d])?,
				down: get(&format!("{p}mlp.down_proj.weight"), &[d, f])?,
			});
		}
		let norm = get("model.norm.weight", &[d])?;
		let lm_head =
			if c.tied_embeddings { embed.clone() } else { get("lm_head.weight", &[v, d])? };
		Ok(Self {
			config,
			eps: hf.rms_norm_eps,
			rope_theta: hf.rope_theta,
			embed,
			layers,
			norm,
			lm_head,
		})
	}

	/// `θ_i = base^(−2i/d_head)` for `i < d_head/2`.
	pub fn inv_freq(&self) -> Vec<f64> {
		let hd = self.config.head_dim;
		(0..hd / 2).map(|i| self.rope_theta.powf(-(2.0 * i as f64) / hd as f64)).collect()
	}

	fn rms_norm(&self, x: &[f32], gain: &[f32]) -> Vec<f32> {
		let d = self.config.hidden;
		let mut out = vec![0f32; x.len()];
		for (row, o) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
			let ms = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / d as f64;
			let inv = 1.0 / (ms + self.eps).sqrt();
			for ((o, &v), &g) in o.iter_mut().zip(row).zip(gain) {
				*o = (v as f64 * inv) as f32 * g;
			}
		}
		out
	}

	fn rope(&self, x: &mut [f32], width: usize, inv_freq: &[f64]) {
		let hd = self.config.head_dim;
		let half = hd / 2;
		for (pos, row) in x.chunks_exact_mut(width).enumerate() {
			for head in row.chunks_exact_mut(hd) {
				for (i, &theta) in inv_freq.iter().enumerate() {
					let (s, c) = (pos as f64 * theta).sin_cos();
					let (a, b) = (head[i] as f64, head[i + half] as f64);
					head[i] = (a * c - b * s) as f32;
					head[i + half] = (b * c + a * s) as f32;
				}
			}
		}
	}

	/// Logits `[tokens, vocab]` of a sequence starting at position 0, and
	/// the activation ranges into `ranges` (if given).
	pub fn forward(
		&self,
		tokens: &[u32],
		mut ranges: Option<&mut Ranges>,
	) -> Result<Vec<f32>, ComputeError> {
		let c = &self.config;
		let (m, d) = (tokens.len(), c.hidden);
		if m > c.max_positions {
			return Err(ComputeError::TooLarge {
				what: "sequence".into(),
				size: m as u64,
				limit: c.max_positions as u64,
			});
		}
		if let Some(&t) = tokens.iter().find(|&&t| t as usize >= c.vocab) {
			return Err(ComputeError::InvalidData(format!("token {t} is outside the vocabulary")));
		}
		if let Some(r) = ranges.as_deref_mut() {
			r.layers.resize(c.layers, LayerRanges::default());
		}
		let inv_freq = self.inv_freq();
		let mut x: Vec<f32> = tokens
			.iter()
			.flat_map(|&t| self.embed[t as usize * d..(t as usize + 1) * d].to_vec())
			.collect();
		let (hd, qw, kvw) = (c.head_dim, c.q_width(), c.kv_width());
		let group = c.heads / c.kv_heads;
		let scale = 1.0 / (hd as f64).sqrt();
		for (li, l) in self.layers.iter().enumerate() {
			let mut stats = ranges.as_deref_mut().map(|r| &mut r.layers[li]);
			let mut resid_max = max_abs(&x);
			let y = self.rms_norm(&x, &l.attn_norm);
			observe(&mut stats, |r| &mut r.attn_norm, &y);
			let mut q = matmul(&y, &l.q, &l.q_bias, m, d, qw);
			let mut k = matmul(&y, &l.k, &l.k_bias, m, d, kvw);
			let v = matmul(&y, &l.v, &l.v_bias, m, d, kvw);
			observe(&mut stats, |r| &mut r.q, &q);
			observe(&mut stats, |r| &mut r.k, &k);
			observe(&mut stats, |r| &mut r.v, &v);
			self.rope(&mut q, qw, &inv_freq);
			self.rope(&mut k, kvw, &inv_freq);
			observe(&mut stats, |r| &mut r.q, &q);
			observe(&mut stats, |r| &mut r.k, &k);
			let mut a = vec![0f32; m * qw];
			for i in 0..m {
				for h in 0..c.heads {
					let kvh = h / group;
					let qh = &q[i * qw + h * hd..i * qw + (h + 1) * hd];
					let scores: Vec<f64> = (0..=i)
						.map(|j| {
							let kj = &k[j * kvw + kvh * hd..j * kvw + (kvh + 1) * hd];
							qh.iter().zip(kj).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>()
								* scale
						})
						.collect();
					let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
					let e: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
					let sum: f64 = e.iter().sum();
					for dim in 0..hd {
						let acc: f64 = e
							.iter()
							.enumerate()
							.map(|(j, p)| p * v[j * kvw + kvh * hd + dim] as f64)
							.sum();
						a[i * qw + h * hd + dim] = (acc / sum) as f32;
					}
				}
			}
			let o = matmul(&a, &l.o, &[], m, qw, d);
			x.iter_mut().zip(&o).for_each(|(x, o)| *x += o);
			resid_max = resid_max.max(max_abs(&x));
			let y = self.rms_norm(&x, &l.mlp_norm);
			observe(&mut stats, |r| &mut r.mlp_norm, &y);
			let g = matmul(&y, &l.gate, &[], m, d, c.intermediate);
			let u = matmul(&y, &l.up, &[], m, d, c.intermediate);
			observe(&mut stats, |r| &mut r.gate, &g);
			observe(&mut stats, |r| &mut r.up, &u);
			let s: Vec<f32> = g.iter().map(|&g| silu(g)).collect();
			observe(&mut stats, |r| &mut r.silu, &s);
			let h: Vec<f32> = s.iter().zip(&u).map(|(s, u)| s * u).collect();
			observe(&mut stats, |r| &mut r.hidden, &h);
			if let Some(stats) = &mut stats {
				channel_max(&mut stats.hidden_channels, &h, c.intermediate);
			}
			let dn = matmul(&h, &l.down, &[], m, c.intermediate, d);
			x.iter_mut().zip(&dn).for_each(|(x, o)| *x += o);
			resid_max = resid_max.max(max_abs(&x));
			if let Some(r) = ranges.as_deref_mut() {
				r.residual = r.residual.max(resid_max);
			}
		}
		let y = self.rms_norm(&x, &self.norm);
		if let Some(r) = ranges {
			r.final_norm.observe(&y);
		}
		Ok(matmul(&y, &self.lm_head, &[], m, d, c.vocab))
	}
}

/// The highest float logit, lowest index on ties (the rule of the integer
/// [`super::sample::argmax`]).
pub fn argmax(logits: &[f32]) -> u32 {
	let mut best = 0;
	for (i, &l) in logits.iter().enumerate() {
		if l > logits[best] {
			best = i;
		}
	}
	best as u32
}

/// Records `x` in the statistic `pick` chooses, when calibrating.
fn observe(
	stats: &mut Option<&mut LayerRanges>,
	pick: fn(&mut LayerRanges) -> &mut Stat,
	x: &[f32],
) {
	if let Some(stats) = stats.as_deref_mut() {
		pick(stats).observe(x);
	}
}

/// Keeps in `max[i]` the largest `|x[r·width + i]|` over the rows of `x`.
fn channel_max(max: &mut Vec<f32>, x: &[f32], width: usize) {
	max.resize(width, 0.0);
	for row in x.chunks_exact(width) {
		for (m, v) in max.iter_mut().zip(row) {
			*m = m.max(v.abs());
		}
	}
}

/// `x · σ(x)`.
pub fn silu(x: f32) -> f32 {
	x / (1.0 + (-x).exp())
}
