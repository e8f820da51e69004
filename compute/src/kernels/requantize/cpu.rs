//! CPU implementations of `requantize`.

use super::{check, Requantization};
use crate::error::KernelError;
use crate::fixed::scale_round_saturate;
use alloc::vec::Vec;

/// The reference.
pub fn reference(acc: &[i32], q: &Requantization) -> Result<Vec<i8>, KernelError> {
	check(acc, q)?;
	let (lo, hi) = q.bounds();
	Ok(acc.iter().map(|&x| scale_round_saturate(x, q.multiplier, q.shift, lo, hi) as i8).collect())
}

/// The fast path: the same arithmetic, split over threads.
#[cfg(feature = "std")]
pub fn fast(acc: &[i32], q: &Requantization) -> Result<Vec<i8>, KernelError> {
	use rayon::prelude::*;
	check(acc, q)?;
	let (lo, hi) = q.bounds();
	Ok(acc
		.par_iter()
		.with_min_len(4096)
		.map(|&x| scale_round_saturate(x, q.multiplier, q.shift, lo, hi) as i8)
		.collect())
}
