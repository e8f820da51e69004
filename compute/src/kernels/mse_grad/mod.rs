//! # `mse_grad`: gradient of the squared error against one-hot labels
//!
//! `grad[r][c] = z[r][c] − (c == label[r] ? one : 0)` (wrapping), the
//! derivative of `½ Σ (z − onehot)²` with `one` the fixed-point 1.0. Labels
//! must be below the number of columns.

pub mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;

use crate::error::{check_dims, check_len, KernelError};

pub(crate) fn check(
	z: &[i32],
	labels: &[u32],
	rows: usize,
	cols: usize,
) -> Result<(), KernelError> {
	check_dims(&[rows, cols])?;
	check_len("z", z.len(), rows * cols)?;
	check_len("labels", labels.len(), rows)?;
	if labels.iter().any(|&l| l as usize >= cols) {
		return Err(KernelError::BadParameter {
			reason: "a label is not below the number of classes",
		});
	}
	Ok(())
}
