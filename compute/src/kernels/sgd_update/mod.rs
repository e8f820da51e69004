//! # `sgd_update`: one fixed-point SGD step
//!
//! `w'[i] = saturate(w[i] − round_shift(g[i] · lr_multiplier, lr_shift))`, the
//! product exact in 64 bits, the learning rate being `lr_multiplier / 2^lr_shift`.

pub mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;

use crate::error::{check_dims, check_len, check_shift, KernelError};

/// A learning rate `multiplier / 2^shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct LearningRate {
	/// Numerator.
	pub multiplier: i32,
	/// Power of two of the denominator, `0..=62`.
	pub shift: u32,
}

pub(crate) fn check(w: &[i32], g: &[i32], lr: &LearningRate) -> Result<(), KernelError> {
	check_dims(&[w.len()])?;
	check_len("gradient", g.len(), w.len())?;
	check_shift(lr.shift)
}
