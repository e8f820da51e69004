//! CPU implementation of `mse_grad` (the reference is also the fast path:
//! the kernel is a few hundred subtractions per batch).

use super::check;
use crate::error::KernelError;
use alloc::vec::Vec;

/// The reference.
pub fn reference(
	z: &[i32],
	labels: &[u32],
	rows: usize,
	cols: usize,
	one: i32,
) -> Result<Vec<i32>, KernelError> {
	check(z, labels, rows, cols)?;
	Ok(z.iter()
		.enumerate()
		.map(|(i, &v)| if (i % cols) as u32 == labels[i / cols] { v.wrapping_sub(one) } else { v })
		.collect())
}
