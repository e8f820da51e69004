//! # `gemm_i8`: int8 × int8 → i32 matrix product plus bias
//!
//! `out[m][n] = bias[n] + Σ_k a[m][k] · w[n][k]`, with `a` of shape `[M, K]`
//! (activations), `w` of shape `[N, K]` (weights, one row per output feature,
//! as in a dense layer) and a wrapping `i32` accumulator. Both operands are
//! contiguous along `K`, which is what SIMD dot products and the GPU's packed
//! 4×int8 words want.

pub mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;

use crate::error::{check_dims, check_len, KernelError};

/// Dimensions of one `gemm_i8` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmShape {
	/// Rows of `a` and of the output (batch).
	pub m: usize,
	/// Shared dimension (input features).
	pub k: usize,
	/// Rows of `w`, columns of the output (output features).
	pub n: usize,
}

impl GemmShape {
	/// Checks the shape and the buffer lengths against it.
	pub fn check(&self, a: &[i8], w: &[i8], bias: &[i32]) -> Result<(), KernelError> {
		check_dims(&[self.m, self.k])?;
		check_dims(&[self.n, self.k])?;
		check_dims(&[self.m, self.n])?;
		check_len("a", a.len(), self.m * self.k)?;
		check_len("w", w.len(), self.n * self.k)?;
		check_len("bias", bias.len(), self.n)
	}
}
