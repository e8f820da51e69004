//! The integer arithmetic every kernel shares: one rounding rule, one
//! saturation rule.
//!
//! **Rounding rule.** Every right shift that drops bits rounds to nearest,
//! ties away from zero: `round_shift(x, s) = sign(x) * ((|x| + 2^(s-1)) >> s)`
//! computed on the 64-bit magnitude (so `i64::MIN` is handled). A shift of 0
//! leaves the value unchanged.
//!
//! **Overflow rule.** Sums of products wrap (two's complement): `i32`
//! accumulators wrap modulo 2^32 and `i64` accumulators modulo 2^64. Wrapping
//! addition is associative and commutative, so any summation order (threads,
//! SIMD lanes, GPU invocations) gives the same bits. Values leave a kernel
//! through [`saturate`] into the output range.
//!
//! WGSL has no 64-bit integers; `kernels/common.wgsl` implements exactly these
//! functions on `vec2<u32>` pairs, and the proptests check them against this
//! file.

/// Largest shift accepted by [`round_shift_i64`] (and by every kernel
/// parameter that is a shift).
pub const MAX_SHIFT: u32 = 62;

/// `value / 2^shift`, rounded to nearest with ties away from zero.
///
/// `shift` must be at most 63; callers validate it against [`MAX_SHIFT`].
#[inline]
pub fn round_shift_i64(value: i64, shift: u32) -> i64 {
	if shift == 0 {
		return value;
	}
	let magnitude = value.unsigned_abs();
	let half = 1u64 << (shift - 1);
	// magnitude <= 2^63 and half <= 2^62: the sum cannot overflow u64.
	let rounded = ((magnitude + half) >> shift) as i64;
	if value < 0 {
		-rounded
	} else {
		rounded
	}
}

/// Clamps an `i64` into `[min, max]` and narrows it to `i32`.
#[inline]
pub fn saturate(value: i64, min: i32, max: i32) -> i32 {
	value.clamp(min as i64, max as i64) as i32
}

/// `saturate(round_shift(a * b, shift), min, max)`: the requantization step
/// (`a` an accumulator, `b` a fixed-point multiplier).
#[inline]
pub fn scale_round_saturate(a: i32, b: i32, shift: u32, min: i32, max: i32) -> i32 {
	saturate(round_shift_i64(a as i64 * b as i64, shift), min, max)
}

/// A fixed-point factor `multiplier / 2^shift`: one output channel's
/// requantization (a projection's per-channel scales, the transformer's
/// per-layer scales).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
	/// `1..=i32::MAX`.
	pub multiplier: i32,
	/// `0..=62`.
	pub shift: u32,
}

impl Scale {
	/// `saturate(round(value · multiplier / 2^shift), lo, hi)`, `value`
	/// first clamped to `i32`.
	#[inline]
	pub fn apply(&self, value: i64, lo: i64, hi: i64) -> i64 {
		let value = value.clamp(i32::MIN as i64, i32::MAX as i64);
		round_shift_i64(value * self.multiplier as i64, self.shift).clamp(lo, hi)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn round_shift_rounds_ties_away_from_zero() {
		assert_eq!(round_shift_i64(3, 1), 2);
		assert_eq!(round_shift_i64(-3, 1), -2);
		assert_eq!(round_shift_i64(5, 2), 1);
		assert_eq!(round_shift_i64(6, 2), 2);
		assert_eq!(round_shift_i64(-6, 2), -2);
		assert_eq!(round_shift_i64(-5, 2), -1);
		assert_eq!(round_shift_i64(7, 0), 7);
	}

	#[test]
	fn round_shift_handles_the_extremes() {
		assert_eq!(round_shift_i64(i64::MIN, 63), -1);
		assert_eq!(round_shift_i64(i64::MIN, 62), -2);
		assert_eq!(round_shift_i64(i64::MAX, 62), 2);
		assert_eq!(round_shift_i64(i64::MIN, 1), -(1i64 << 62));
	}

	#[test]
	fn saturate_clamps_into_range() {
		assert_eq!(saturate(1 << 40, -128, 127), 127);
		assert_eq!(saturate(-(1 << 40), -128, 127), -128);
		assert_eq!(saturate(-5, 0, 127), 0);
		assert_eq!(saturate(i64::MIN, i32::MIN, i32::MAX), i32::MIN);
	}
}
