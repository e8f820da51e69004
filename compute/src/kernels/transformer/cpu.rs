//! CPU paths of the transformer steps. `reference` versions run one row
//! after another; `fast` versions split rows over threads (the arithmetic,
//! and so the bits, are the same).

use rayon::prelude::*;

use super::{
	check_requantize_channels, check_rms_norm, check_silu_gate, AttentionShape, RopeShape, Scale,
};
use crate::error::KernelError;
use crate::fixed::{round_shift_i64, saturate};
use crate::lm::ops;

/// `out[i] = clamp(base[i] + s_c(acc[i]), lo, hi)` with `s_c` the scale of
/// channel `c = i mod channels` applied with saturation into `[lo, hi]`
/// ([`Scale::apply`]), `base` zero when absent. One channel per output
/// feature of a projection; with `base` the residual stream it is
/// `r += x·Wᵀ` requantized.
pub fn requantize_channels(
	acc: &[i32],
	scales: &[Scale],
	base: Option<&[i32]>,
	lo: i32,
	hi: i32,
) -> Result<Vec<i32>, KernelError> {
	check_requantize_channels(acc, scales, base, lo, hi)?;
	let n = scales.len();
	let (lo, hi) = (lo as i64, hi as i64);
	Ok(acc
		.iter()
		.enumerate()
		.map(|(i, &a)| {
			let add = scales[i % n].apply(a as i64, lo, hi);
			let b = base.map_or(0, |b| b[i] as i64);
			(b + add).clamp(lo, hi) as i32
		})
		.collect())
}

/// RMSNorm of each row of `x` (rows as wide as `gain`) into int8
/// ([`ops::rms_norm_row`]); `x` is the residual stream, `|x| ≤ 2^20`.
pub fn rms_norm(x: &[i32], gain: &[i32], eps: u64) -> Result<Vec<i8>, KernelError> {
	check_rms_norm(x, gain)?;
	let mut out = vec![0i8; x.len()];
	for (row, o) in x.chunks_exact(gain.len()).zip(out.chunks_exact_mut(gain.len())) {
		ops::rms_norm_row(row, gain, eps, o);
	}
	Ok(out)
}

/// Below this many values a step runs on one thread: handing a row or two
/// to rayon costs more than it saves (token-by-token decoding).
const PARALLEL_MIN: usize = 1 << 14;

/// [`rms_norm`], rows over threads.
pub fn rms_norm_fast(x: &[i32], gain: &[i32], eps: u64) -> Result<Vec<i8>, KernelError> {
	if x.len() < PARALLEL_MIN {
		return rms_norm(x, gain, eps);
	}
	check_rms_norm(x, gain)?;
	let mut out = vec![0i8; x.len()];
	x.par_chunks_exact(gain.len())
		.zip(out.par_chunks_exact_mut(gain.len()))
		.for_each(|(row, o)| ops::rms_norm_row(row, gain, eps, o));
	Ok(out)
}

/// Rotary embedding of every head of every row ([`ops::rope_head`]), row
/// `i` at position `start + i`; `cos`, `sin` are the model's
/// `[positions, head_dim / 2]` Q14 tables.
pub fn rope(x: &[i8], shape: RopeShape, cos: &[i16], sin: &[i16]) -> Result<Vec<i8>, KernelError> {
	shape.check(x, cos, sin)?;
	let half = shape.head_dim / 2;
	let mut out = x.to_vec();
	for (i, row) in out.chunks_exact_mut(shape.width).enumerate() {
		let pos = shape.start + i;
		let (c, s) = (&cos[pos * half..(pos + 1) * half], &sin[pos * half..(pos + 1) * half]);
		for head in row.chunks_exact_mut(shape.head_dim) {
			ops::rope_head(head, c, s);
		}
	}
	Ok(out)
}

/// Causal attention: for row `i` (position `p = start + i`) and head `h`
/// (key/value head `h / (heads / kv_heads)`), the scores `q·k_j` for
/// `j ≤ p` (wrapping i32 dot products), their integer softmax
/// ([`ops::softmax_row`] with the `score` scale) in Q15, and
/// `out = saturate(round(Σ_j p_j·v_j / 2^15))` in int8. `keys` and `values`
/// hold every position up to the last row's, `[positions, kv_heads·head_dim]`.
pub fn attention(
	q: &[i8],
	keys: &[i8],
	values: &[i8],
	shape: AttentionShape,
	score: Scale,
) -> Result<Vec<i8>, KernelError> {
	attention_rows(q, keys, values, shape, score, false)
}

/// [`attention`], rows over threads.
pub fn attention_fast(
	q: &[i8],
	keys: &[i8],
	values: &[i8],
	shape: AttentionShape,
	score: Scale,
) -> Result<Vec<i8>, KernelError> {
	attention_rows(q, keys, values, shape, score, true)
}

fn attention_rows(
	q: &[i8],
	keys: &[i8],
	values: &[i8],
	shape: AttentionShape,
	score: Scale,
	parallel: bool,
) -> Result<Vec<i8>, KernelError> {
	shape.check(q, keys, values, score)?;
	let qw = shape.heads * shape.head_dim;
	let mut out = vec![0i8; shape.rows * qw];
	let row = |(i, o): (usize, &mut [i8])| attention_row(q, keys, values, shape, score, i, o);
	if parallel {
		out.par_chunks_mut(qw).enumerate().for_each(row);
	} else {
		out.chunks_mut(qw).enumerate().for_each(row);
	}
	Ok(out)
}

fn attention_row(
	q: &[i8],
	keys: &[i8],
	values: &[i8],
	shape: AttentionShape,
	score: Scale,
	i: usize,
	out: &mut [i8],
) {
	let AttentionShape { heads, kv_heads, head_dim: hd, .. } = shape;
	let (qw, kvw, group) = (heads * hd, kv_heads * hd, heads / kv_heads);
	let pos = shape.start + i;
	let mut scores = vec![0i32; pos + 1];
	let mut probs = vec![0i32; pos + 1];
	for h in 0..heads {
		let kvh = h / group;
		let qh = &q[i * qw + h * hd..i * qw + (h + 1) * hd];
		for (j, s) in scores.iter_mut().enumerate() {
			let kj = &keys[j * kvw + kvh * hd..j * kvw + (kvh + 1) * hd];
			*s =
				qh.iter().zip(kj).fold(0i32, |acc, (&a, &b)| acc.wrapping_add(a as i32 * b as i32));
		}
		ops::softmax_row(&scores, score.multiplier, score.shift, &mut probs);
		for dim in 0..hd {
			let mut acc = 0i64;
			for (j, &p) in probs.iter().enumerate() {
				acc += p as i64 * values[j * kvw + kvh * hd + dim] as i64;
			}
			out[h * hd + dim] = saturate(round_shift_i64(acc, ops::PROB_BITS), -128, 127) as i8;
		}
	}
}

/// SwiGLU's gate: `out[i] = saturate(hidden(table[g[i] + 128] · u[i]))`
/// in int8, `table` being `silu` of every int8 input (computed at import).
pub fn silu_gate(g: &[i8], u: &[i8], table: &[i8], hidden: Scale) -> Result<Vec<i8>, KernelError> {
	check_silu_gate(g, u, table, hidden)?;
	Ok(g.iter()
		.zip(u)
		.map(|(&g, &u)| {
			let s = table[(g as i16 + 128) as usize] as i64;
			hidden.apply(s * u as i64, -128, 127) as i8
		})
		.collect())
}
