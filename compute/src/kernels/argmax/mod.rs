//! # `argmax`: index of the largest value of each row
//!
//! For a row-major `[rows, cols]` matrix of `i32`, the index of the first
//! maximum of each row (ties go to the lowest index).

pub mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;

use crate::error::{check_dims, check_len, KernelError};

pub(crate) fn check(values: &[i32], rows: usize, cols: usize) -> Result<(), KernelError> {
	check_dims(&[rows, cols])?;
	check_len("values", values.len(), rows * cols)
}
