//! From a float checkpoint to an integer model: per-channel int8 weights,
//! activation scales calibrated on sample text, and every table the
//! integer forward pass needs, computed here once and shipped in the file.
//!
//! Scales (real value = integer · scale):
//!
//! - weights: per output channel, `s_w[o] = max|W[o, :]| / 127`;
//! - before any of it, the down projection's input is smoothed
//!   ([`smooth`]): its outlier channels move into the weights;
//! - int8 activations: `s = α · max|activation| / 127` over the calibration
//!   text, with the clipping ratio `α` (1 down to 0.3) that gives the least
//!   squared quantization error on a sample of the values
//!   ([`super::float::Stat::int8_scale`]; queries and keys: values before
//!   and after the rotation);
//! - residual stream: `s_r = max|residual| / 2^14` (64× headroom below
//!   [`super::ops::RESIDUAL_LIMIT`]);
//! - attention outputs: the value scale (a weighted mean of values);
//! - logits: Q12, `1/4096` nat.
//!
//! Each requantization is `s_in · s_w[o] / s_out` as a [`Scale`]
//! (multiplier and shift). This module is the only place besides
//! [`super::float`] where float appears; its output is integers.

use std::path::Path;

use super::float::{silu, FloatLm, Ranges};
use super::model::{IntLm, Layer, Linear, LmHeader, Scale, LM_FORMAT};
use super::tokenizer::Tokenizer;
use crate::ComputeError;

/// Largest residual value the calibration text produces, in residual units.
pub const RESIDUAL_TARGET: f64 = (1 << 14) as f64;

/// Calibration settings.
#[derive(Debug, Clone, Copy)]
pub struct Calibration {
	/// Tokens per calibration window (capped at the model's positions).
	pub window: usize,
	/// Windows at most.
	pub max_windows: usize,
}

impl Default for Calibration {
	fn default() -> Self {
		Self { window: 128, max_windows: 64 }
	}
}

fn nonzero(x: f32) -> f64 {
	if x > 0.0 && x.is_finite() {
		x as f64
	} else {
		1.0
	}
}

/// Runs the float model over `text` in windows and returns the activation
/// ranges.
pub fn calibrate(
	float: &FloatLm,
	tokenizer: &Tokenizer,
	text: &str,
	cal: Calibration,
) -> Result<Ranges, ComputeError> {
	let tokens = tokenizer.encode(text)?;
	if tokens.len() < 2 {
		return Err(ComputeError::InvalidData("calibration text is empty".into()));
	}
	let window = cal.window.clamp(2, float.config.max_positions);
	let mut ranges = Ranges::default();
	for chunk in tokens.chunks(window).take(cal.max_windows.max(1)) {
		float.forward(chunk, Some(&mut ranges))?;
	}
	Ok(ranges)
}

/// Per-channel int8 weights of a `[rows, cols]` matrix and their scales.
fn quantize_rows(w: &[f32], cols: usize) -> (Vec<i8>, Vec<f64>) {
	let mut q = Vec::with_capacity(w.len());
	let mut scales = Vec::new();
	for row in w.chunks_exact(cols) {
		let s = nonzero(row.iter().fold(0f32, |m, v| m.max(v.abs()))) / 127.0;
		q.extend(row.iter().map(|&v| (v as f64 / s).round().clamp(-127.0, 127.0) as i8));
		scales.push(s);
	}
	(q, scales)
}

/// A projection from input scale `s_in` to output scale `s_out`.
fn linear(
	w: &[f32],
	bias: &[f32],
	cols: usize,
	s_in: f64,
	s_out: f64,
) -> Result<Linear, ComputeError> {
	let (weight, sw) = quantize_rows(w, cols);
	let rows = sw.len();
	let bias = (0..rows)
		.map(|o| {
			let b = bias.get(o).copied().unwrap_or(0.0) as f64 / (s_in * sw[o]);
			b.round().clamp(i32::MIN as f64, i32::MAX as f64) as i32
		})
		.collect();
	let scales =
		sw.iter().map(|&s| Scale::from_factor(s_in * s / s_out)).collect::<Result<_, _>>()?;
	Ok(Linear { outputs: rows, inputs: cols, weight: weight.into(), bias, scales })
}

fn gains(gamma: &[f32], s_out: f64) -> Result<Vec<i32>, ComputeError> {
	gamma
		.iter()
		.map(|&g| {
			let v = (g as f64 / s_out * 65536.0).round();
			if v.abs() >= i32::MAX as f64 {
				return Err(ComputeError::InvalidData(format!(
					"RMSNorm gain {g} overflows at output scale {s_out}"
				)));
			}
			Ok(v as i32)
		})
		.collect()
}

/// Quantizes `float` with `ranges`; `tokenizer` is the JSON shipped in the file.
pub fn quantize(float: &FloatLm, ranges: &Ranges, tokenizer: &str) -> Result<IntLm, ComputeError> {
	let c = &float.config;
	let (d, f) = (c.hidden, c.intermediate);
	let s_r = nonzero(ranges.residual) / RESIDUAL_TARGET;
	// Embedding rows into the residual: per-row weight scale / s_r.
	let (embed_q, embed_s) = quantize_rows(&float.embed, d);
	let embed = Linear {
		outputs: c.vocab,
		inputs: d,
		weight: embed_q.into(),
		bias: vec![0; c.vocab],
		scales: embed_s.iter().map(|&s| Scale::from_factor(s / s_r)).collect::<Result<_, _>>()?,
	};
	let mut layers = Vec::with_capacity(c.layers);
	for (l, r) in float.layers.iter().zip(&ranges.layers) {
		let (s_n1, s_q, s_k, s_v) =
			(r.attn_norm.int8_scale(), r.q.int8_scale(), r.k.int8_scale(), r.v.int8_scale());
		let (s_n2, s_g, s_s, s_u, s_h) = (
			r.mlp_norm.int8_scale(),
			r.gate.int8_scale(),
			r.silu.int8_scale(),
			r.up.int8_scale(),
			r.hidden.int8_scale(),
		);
		let silu_table = (-128i32..=127)
			.map(|g| {
				(silu((g as f64 * s_g) as f32) as f64 / s_s).round().clamp(-128.0, 127.0) as i8
			})
			.collect();
		layers.push(Layer {
			attn_norm: gains(&l.attn_norm, s_n1)?,
			q: linear(&l.q, &l.q_bias, d, s_n1, s_q)?,
			k: linear(&l.k, &l.k_bias, d, s_n1, s_k)?,
			v: linear(&l.v, &l.v_bias, d, s_n1, s_v)?,
			o: linear(&l.o, &[], c.q_width(), s_v, s_r)?,
			score: Scale::from_factor(s_q * s_k / (c.head_dim as f64).sqrt() * 4096.0)?,
			mlp_norm: gains(&l.mlp_norm, s_n2)?,
			gate: linear(&l.gate, &[], d, s_n2, s_g)?,
			up: linear(&l.up, &[], d, s_n2, s_u)?,
			down: linear(&l.down, &[], f, s_h, s_r)?,
			silu: silu_table,
			hidden: Scale::from_factor(s_s * s_u / s_h)?,
		});
	}
	let s_f = ranges.final_norm.int8_scale();
	let final_norm = gains(&float.norm, s_f)?;
	let lm_head = linear(&float.lm_head, &[], d, s_f, 1.0 / 4096.0)?;
	let mut lm_head = lm_head;
	if c.tied_embeddings {
		// One weight tensor in the file: the head reuses the embedding's
		// int8 rows (the same per-row quantization of the same matrix).
		lm_head.weight.clone_from(&embed.weight);
	}
	let half = c.head_dim / 2;
	let inv_freq = float.inv_freq();
	let mut rope_cos = Vec::with_capacity(c.max_positions * half);
	let mut rope_sin = Vec::with_capacity(c.max_positions * half);
	for pos in 0..c.max_positions {
		for &theta in &inv_freq {
			let (s, co) = (pos as f64 * theta).sin_cos();
			rope_cos.push((co * 16384.0).round() as i16);
			rope_sin.push((s * 16384.0).round() as i16);
		}
	}
	let norm_eps = (float.eps / (s_r * s_r) * 65536.0).round().min(u64::MAX as f64) as u64;
	Ok(IntLm {
		header: LmHeader { format: LM_FORMAT.into(), config: c.clone(), norm_eps },
		embed,
		layers,
		final_norm,
		lm_head,
		rope_cos,
		rope_sin,
		tokenizer: tokenizer.to_string(),
	})
}

/// SmoothQuant's migration strength: how much of an outlier's range moves
/// into the weights.
const ALPHA: f32 = 0.5;

/// SmoothQuant on the down projection's input: channel `j` of
/// `silu(gate)·up` is divided by `σ_j = max|h_j|^α / max|W_down[:, j]|^(1-α)`
/// (through the up projection's row `j`) and the down projection's column
/// `j` multiplied by it, so the float model computes the same function but
/// its outlier channels no longer set the int8 scale of the others.
pub fn smooth(float: &FloatLm, ranges: &Ranges) -> FloatLm {
	let mut out = float.clone();
	let (d, f) = (float.config.hidden, float.config.intermediate);
	for (l, r) in out.layers.iter_mut().zip(&ranges.layers) {
		if r.hidden_channels.len() != f {
			continue;
		}
		for j in 0..f {
			let w_max = (0..d).map(|o| l.down[o * f + j].abs()).fold(0f32, f32::max);
			let h_max = r.hidden_channels[j];
			if !(w_max > 0.0 && h_max > 0.0) {
				continue;
			}
			let sigma = h_max.powf(ALPHA) / w_max.powf(1.0 - ALPHA);
			for v in &mut l.up[j * d..(j + 1) * d] {
				*v /= sigma;
			}
			for o in 0..d {
				l.down[o * f + j] *= sigma;
			}
		}
	}
	out
}

/// What [`import`] produces.
pub struct Imported {
	/// The float checkpoint (the reference).
	pub float: FloatLm,
	/// The integer model.
	pub model: IntLm,
	/// Its file.
	pub bytes: Vec<u8>,
	/// blake2-256 of the file.
	pub digest: [u8; 32],
}

/// Imports a Hugging Face checkpoint directory (`config.json`,
/// `model.safetensors`, `tokenizer.json`), calibrating on `calibration_text`.
pub fn import(
	dir: &Path,
	calibration_text: &str,
	cal: Calibration,
) -> Result<Imported, ComputeError> {
	let tokenizer_path = dir.join("tokenizer.json");
	let tokenizer_json = std::fs::read_to_string(&tokenizer_path)
		.map_err(|source| ComputeError::Io { path: tokenizer_path.clone(), source })?;
	let tokenizer = Tokenizer::from_json(&tokenizer_json)?;
	let float = FloatLm::load(dir)?;
	if tokenizer.vocab_size() > float.config.vocab {
		return Err(ComputeError::InvalidNetwork(format!(
			"tokenizer.json has {} tokens but the model only {}",
			tokenizer.vocab_size(),
			float.config.vocab
		)));
	}
	let ranges = calibrate(&float, &tokenizer, calibration_text, cal)?;
	let smoothed = smooth(&float, &ranges);
	let ranges = calibrate(&smoothed, &tokenizer, calibration_text, cal)?;
	let model = quantize(&smoothed, &ranges, &tokenizer_json)?;
	let bytes = model.to_safetensors()?;
	let digest = IntLm::digest(&bytes);
	Ok(Imported { float, model, bytes, digest })
}
