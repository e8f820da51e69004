//! CPU implementation of `sgd_update` (reference and fast path in one: it is
//! memory-bound and tiny next to the matrix products).

use super::{check, LearningRate};
use crate::error::KernelError;
use crate::fixed::{round_shift_i64, saturate};
use alloc::vec::Vec;

/// The reference.
pub fn reference(w: &[i32], g: &[i32], lr: &LearningRate) -> Result<Vec<i32>, KernelError> {
	check(w, g, lr)?;
	Ok(w.iter()
		.zip(g)
		.map(|(&w, &g)| {
			let step = round_shift_i64(g as i64 * lr.multiplier as i64, lr.shift);
			saturate(w as i64 - step, i32::MIN, i32::MAX)
		})
		.collect())
}
