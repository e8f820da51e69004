//! CPU implementations of `argmax`.

use super::check;
use crate::error::KernelError;
use alloc::vec::Vec;

fn row_argmax(row: &[i32]) -> u32 {
	let mut best = 0;
	for (i, &v) in row.iter().enumerate() {
		if v > row[best] {
			best = i;
		}
	}
	best as u32
}

/// The reference.
pub fn reference(values: &[i32], rows: usize, cols: usize) -> Result<Vec<u32>, KernelError> {
	check(values, rows, cols)?;
	Ok(values.chunks_exact(cols).map(row_argmax).collect())
}

/// The fast path: rows split over threads.
#[cfg(feature = "std")]
pub fn fast(values: &[i32], rows: usize, cols: usize) -> Result<Vec<u32>, KernelError> {
	use rayon::prelude::*;
	check(values, rows, cols)?;
	Ok(values.par_chunks_exact(cols).with_min_len(256).map(row_argmax).collect())
}
