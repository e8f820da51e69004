//! The integer non-linear steps of the transformer, each defined once.
//!
//! Every function here is integer-only and uses [`crate::fixed`]'s rounding
//! rule (nearest, ties away from zero) for every shift that drops bits, so a
//! GPU port or another CPU gives the same bits. The fixed-point formats:
//!
//! - `Q12`: exponent arguments and logits, `value / 2^12` nats;
//! - `Q15`: exponentials, probabilities and polynomial arguments,
//!   `value / 2^15`;
//! - residual stream: `i32` at the model's residual scale, clamped to
//!   `±`[`RESIDUAL_LIMIT`].
//!
//! `docs/COMPUTE.md` gives every approximation's error bound; the tests
//! below check them against `f64`.

use crate::fixed::{round_shift_i64, saturate};

/// Fractional bits of exponent arguments and logits.
pub const ARG_BITS: u32 = 12;
/// Fractional bits of exponentials and probabilities.
pub const PROB_BITS: u32 = 15;
/// `1.0` in Q15.
pub const ONE_Q15: i64 = 1 << PROB_BITS;
/// Exponent arguments below this (−16 nats) count as −16: `e^-16 < 2^-23`,
/// which is 0 in Q15 anyway.
pub const ARG_MIN: i64 = -(16 << ARG_BITS);
/// Residual values are clamped to `±2^20` (the importer puts the largest
/// calibrated value at 2^14, leaving 64× headroom).
pub const RESIDUAL_LIMIT: i64 = 1 << 20;
/// Logits are clamped to `±2^28` (±65536 nats in Q12).
pub const LOGIT_LIMIT: i64 = 1 << 28;

/// `log2(e)` in Q16.
const LOG2_E_Q16: i64 = 94548;
/// `ln(2)` in Q15.
const LN_2_Q15: i64 = 22713;
/// `2^f − 1 ≈ f·(c1 + f·(c2 + f·(c3 + f·c4)))` on `[0, 1)`, Q15
/// (least squares on Chebyshev nodes; relative error below 6·10⁻⁶ before
/// rounding).
const EXP2_POLY: [i64; 4] = [22709, 7912, 1702, 445];
/// `log2(1 + t) ≈ t·(c1 + t·(c2 + …))` on `[0, 1)`, Q15 (error below
/// 3.1·10⁻⁵).
const LOG2_POLY: [i64; 5] = [47248, -23228, 13607, -6341, 1483];

/// Horner's rule in Q15: `x·(c[0] + x·(c[1] + …))`, each product rounded.
fn horner_q15(coefficients: &[i64], x: i64) -> i64 {
	let mut acc = 0i64;
	for &c in coefficients.iter().rev() {
		acc = c + round_shift_i64(acc * x, PROB_BITS);
	}
	round_shift_i64(acc * x, PROB_BITS)
}

/// `e^x` in Q15 for `x ≤ 0` in Q12 (positive `x` counts as 0, arguments
/// below [`ARG_MIN`] as `ARG_MIN`).
///
/// `e^x = 2^y` with `y = x·log2(e)` (in Q15); `y = n + f` with `n = ⌊y⌋ ≤ 0` and
/// `f ∈ [0, 1)`; `2^f` by [`EXP2_POLY`], then shifted right by `−n`.
pub fn exp_q15(x: i64) -> i64 {
	let x = x.clamp(ARG_MIN, 0);
	// Q12 · Q16 → Q15: |x·log2e| < 2^17·2^16, far inside i64.
	let y = round_shift_i64(x * LOG2_E_Q16, 16 + ARG_BITS - PROB_BITS); // Q15, ≤ 0
	let n = y >> PROB_BITS; // floor (arithmetic shift)
	let f = y - (n << PROB_BITS); // Q15 in [0, 1)
	let mantissa = ONE_Q15 + horner_q15(&EXP2_POLY, f); // Q15 in [1, 2)
	let drop = (-n) as u32;
	if drop > 40 {
		0
	} else {
		round_shift_i64(mantissa, drop)
	}
}

/// `ln(value / 2^15)` in Q12 for `value ≥ 1`.
///
/// `value = 2^k·(1 + t)` with `t ∈ [0, 1)` (`k` from the leading zeros),
/// `log2(1 + t)` by [`LOG2_POLY`], times `ln 2`.
pub fn ln_q15(value: u64) -> i64 {
	let value = value.max(1);
	let k = 63 - value.leading_zeros() as i64; // 2^k ≤ value < 2^(k+1)
											// t in Q15: (value − 2^k) / 2^k, truncated (exact when k ≤ 15).
	let t = if k >= PROB_BITS as i64 {
		((value - (1 << k)) >> (k - PROB_BITS as i64)) as i64
	} else {
		((value - (1 << k)) << (PROB_BITS as i64 - k)) as i64
	};
	let log2 = ((k - PROB_BITS as i64) << PROB_BITS) + horner_q15(&LOG2_POLY, t); // Q15
	round_shift_i64(log2 * LN_2_Q15, PROB_BITS + PROB_BITS - ARG_BITS)
}

/// `round(a / b)` for `a ≥ 0`, `b > 0`, ties up (away from zero).
#[inline]
pub fn round_div_u64(a: u64, b: u64) -> u64 {
	(a / b) + u64::from(2 * (a % b) >= b)
}

/// RMSNorm of one row of the residual stream into int8:
/// `out[i] = saturate(x[i] / rms(x) · gain[i] / 2^16)` where
/// `gain = round(γ / s_out · 2^16)`.
///
/// Integer steps: `R = ⌊√(Σx²·2^16 / d + eps)⌋` (`rms·2^8` in residual units,
/// `eps` the model's ε in those units, also ·2^16), `inv = ⌊2^40 / R⌋`,
/// `n[i] = round(x[i]·inv / 2^17)` (`x[i] / rms` in Q15),
/// `out[i] = saturate(round(n[i]·gain[i] / 2^31))`. A row of zeros gives
/// zeros. Residual values are at most 2^20 in magnitude and rows at most
/// 2^18 long, so `Σx² < 2^58` and every product fits in 64 bits.
pub fn rms_norm_row(x: &[i32], gain: &[i32], eps: u64, out: &mut [i8]) {
	let d = x.len().max(1) as u64;
	let sum_sq: u64 = x.iter().map(|&v| (v as i64 * v as i64) as u64).fold(0u64, u64::wrapping_add);
	// ⌊Σx²·2^16 / d⌋ without forming Σx²·2^16.
	let mean_sq = ((sum_sq / d) << 16) + ((sum_sq % d) << 16) / d;
	let r = (mean_sq.saturating_add(eps)).isqrt();
	if r == 0 {
		out.iter_mut().for_each(|o| *o = 0);
		return;
	}
	let inv = ((1u64 << 40) / r) as i64;
	for ((o, &v), &g) in out.iter_mut().zip(x).zip(gain) {
		let n = round_shift_i64(v as i64 * inv, 17);
		*o = saturate(round_shift_i64(n * g as i64, 31), -128, 127) as i8;
	}
}

/// Rotary position embedding of one head's vector in place (Hugging Face's
/// `rotate_half` layout: element `i` pairs with `i + d/2`):
/// `x'ᵢ = x_i·cos − x_{i+d/2}·sin`, `x'_{i+d/2} = x_{i+d/2}·cos + x_i·sin`,
/// with `cos`, `sin` in Q14 and the result rounded and saturated to int8.
pub fn rope_head(x: &mut [i8], cos: &[i16], sin: &[i16]) {
	let half = x.len() / 2;
	for i in 0..half.min(cos.len()).min(sin.len()) {
		let (a, b) = (x[i] as i64, x[i + half] as i64);
		let (c, s) = (cos[i] as i64, sin[i] as i64);
		x[i] = saturate(round_shift_i64(a * c - b * s, 14), -128, 127) as i8;
		x[i + half] = saturate(round_shift_i64(b * c + a * s, 14), -128, 127) as i8;
	}
}

/// Softmax of one row of attention scores into Q15 probabilities.
///
/// `scores` are the raw i32 dot products; `(multiplier, shift)` turn a
/// difference of scores into a Q12 argument (`s_q·s_k/√d_head·2^12`).
/// `z = score − max`, `x = round(z·multiplier / 2^shift)`, `e = exp_q15(x)`,
/// `p = round(e·⌊2^46/Σe⌋ / 2^31)`. The largest score gets `e = 2^15`, so
/// `Σe ≥ 2^15` and the reciprocal is at most 2^31.
pub fn softmax_row(scores: &[i32], multiplier: i32, shift: u32, out: &mut [i32]) {
	let Some(&max) = scores.iter().max() else { return };
	let mut sum = 0u64;
	for (o, &s) in out.iter_mut().zip(scores) {
		let z = s as i64 - max as i64;
		let x = round_shift_i64(z.max(i32::MIN as i64) * multiplier as i64, shift);
		let e = exp_q15(x);
		*o = e as i32;
		sum += e as u64;
	}
	let inv = ((1u64 << 46) / sum.max(1)) as i64;
	for o in out.iter_mut() {
		*o = round_shift_i64(*o as i64 * inv, 31) as i32;
	}
}

/// `ln Σ_j e^(l_j − max)` in Q12 for logits `l` in Q12, and the max:
/// what a log-softmax subtracts. `logp_j = l_j − max − lse`.
pub fn log_sum_exp(logits: &[i32]) -> (i32, i64) {
	let max = logits.iter().copied().max().unwrap_or(0);
	let sum: u64 = logits.iter().map(|&l| exp_q15(l as i64 - max as i64) as u64).sum();
	(max, ln_q15(sum))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn exp_is_within_its_bound_everywhere() {
		let mut worst = 0f64;
		for x in (ARG_MIN..=0).step_by(7) {
			let exact = (x as f64 / 4096.0).exp() * 32768.0;
			let got = exp_q15(x) as f64;
			worst = worst.max((got - exact).abs());
		}
		// Absolute error in Q15 units: polynomial (6e-6 relative), the
		// argument's rounding (2^-16, relative error ln2·2^-16) and the
		// Horner and final roundings.
		assert!(worst <= 2.0, "exp_q15 error {worst} Q15 units");
		assert_eq!(exp_q15(0), 32768);
		assert_eq!(exp_q15(5), 32768);
		assert_eq!(exp_q15(ARG_MIN), 0);
	}

	#[test]
	fn ln_is_within_its_bound() {
		let mut worst = 0f64;
		let mut v = 1u64;
		while v < (1 << 50) {
			let exact = (v as f64 / 32768.0).ln() * 4096.0;
			let got = ln_q15(v) as f64;
			worst = worst.max((got - exact).abs());
			v = v * 3 / 2 + 1;
		}
		assert!(worst <= 2.0, "ln_q15 error {worst} Q12 units");
		assert_eq!(ln_q15(32768), 0);
	}

	#[test]
	fn softmax_sums_to_one_and_keeps_the_order() {
		let scores = [100, 50, 100, -3000, 7];
		let mut p = [0; 5];
		softmax_row(&scores, 1 << 20, 14, &mut p);
		let sum: i32 = p.iter().sum();
		assert!((sum - 32768).abs() <= 5, "{p:?}");
		assert_eq!(p[0], p[2]);
		assert!(p[0] > p[1] && p[1] > p[4] && p[4] > p[3]);
	}

	#[test]
	fn rms_norm_matches_float() {
		let x: Vec<i32> = (0..64).map(|i| (i * 37 % 101 - 50) * 300).collect();
		let gain: Vec<i32> = (0..64).map(|i| (1 << 16) * (i % 5 + 1) / 4).collect();
		let mut out = vec![0i8; 64];
		rms_norm_row(&x, &gain, 0, &mut out);
		let rms = (x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / 64.0).sqrt();
		for i in 0..64 {
			let exact = x[i] as f64 / rms * gain[i] as f64 / 65536.0;
			let exact = exact.round().clamp(-128.0, 127.0);
			assert!((out[i] as f64 - exact).abs() <= 1.0, "{i}: {} vs {exact}", out[i]);
		}
		let mut zeros = vec![1i8; 4];
		rms_norm_row(&[0; 4], &[1 << 16; 4], 0, &mut zeros);
		assert_eq!(zeros, [0; 4]);
	}

	#[test]
	fn round_div_rounds_half_up() {
		assert_eq!(round_div_u64(5, 2), 3);
		assert_eq!(round_div_u64(4, 3), 1);
		assert_eq!(round_div_u64(5, 3), 2);
		assert_eq!(round_div_u64(0, 7), 0);
	}
}
