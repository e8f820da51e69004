//! # `requantize`: i32 accumulators → int8 activations
//!
//! `out[i] = clamp(round_shift(acc[i] · multiplier, shift), lo, hi)` with
//! the product taken exactly in 64 bits, [`crate::fixed`]'s rounding rule
//! (nearest, ties away from zero) and `[lo, hi] = [-128, 127]`, or `[0, 127]`
//! when the layer applies ReLU (ReLU and saturation are the same clamp).
//! This is the multiplier-and-shift requantization of integer-only inference
//! (Jacob et al., 2018) with zero points fixed at 0 (symmetric quantization).

pub mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;

use crate::error::{check_dims, check_shift, KernelError};

/// The scale applied to one layer's accumulators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct Requantization {
	/// Fixed-point multiplier, `1..=i32::MAX`.
	pub multiplier: i32,
	/// Right shift after the multiplication, `0..=62`.
	pub shift: u32,
	/// Clamp at 0 as well (ReLU).
	pub relu: bool,
}

impl Requantization {
	/// Checks the multiplier and shift ranges.
	pub fn check(&self) -> Result<(), KernelError> {
		if self.multiplier <= 0 {
			return Err(KernelError::BadParameter {
				reason: "requantization multiplier must be positive",
			});
		}
		check_shift(self.shift)
	}

	/// Output range `[lo, hi]`.
	pub fn bounds(&self) -> (i32, i32) {
		(if self.relu { 0 } else { -128 }, 127)
	}
}

pub(crate) fn check(acc: &[i32], q: &Requantization) -> Result<(), KernelError> {
	check_dims(&[acc.len()])?;
	q.check()
}
