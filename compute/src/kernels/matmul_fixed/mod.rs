//! # `matmul_fixed`: fixed-point i32 matrix product for training
//!
//! `out[i][j] = epilogue(saturate(round_shift(Σ_l A(i,l) · B(l,j), shift) + bias[j]))`
//! where the products are exact in 64 bits, the sum wraps modulo 2^64 (it
//! cannot in practice: see [`crate::training`] for the ranges), the shift
//! rounds to nearest with ties away from zero, and saturation is to `i32`.
//! `A` and `B` are strided views, so the backward pass multiplies by
//! transposes without copying. The epilogue is one of: nothing, ReLU, or a
//! mask (`out = 0` where `mask <= 0`, the ReLU derivative).

pub mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;

use crate::error::{check_dims, check_len, check_shift, KernelError, MAX_ELEMENTS};

/// A strided view of a matrix stored in a flat slice:
/// element `(r, c)` is at `r * row_stride + c * col_stride`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatrixView {
	/// Number of rows.
	pub rows: usize,
	/// Number of columns.
	pub cols: usize,
	/// Distance between rows.
	pub row_stride: usize,
	/// Distance between columns.
	pub col_stride: usize,
}

impl MatrixView {
	/// A row-major `rows × cols` matrix.
	pub fn row_major(rows: usize, cols: usize) -> Self {
		Self { rows, cols, row_stride: cols, col_stride: 1 }
	}

	/// The transpose of this view (no data moves).
	pub fn transposed(self) -> Self {
		Self {
			rows: self.cols,
			cols: self.rows,
			row_stride: self.col_stride,
			col_stride: self.row_stride,
		}
	}

	fn check(&self, name: &'static str, len: usize) -> Result<(), KernelError> {
		check_dims(&[self.rows])?;
		check_dims(&[self.cols])?;
		if self.row_stride > MAX_ELEMENTS || self.col_stride > MAX_ELEMENTS {
			return Err(KernelError::BadShape { reason: "stride too large" });
		}
		let last = (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride;
		if last >= len {
			return Err(KernelError::LengthMismatch {
				buffer: name,
				expected: last + 1,
				actual: len,
			});
		}
		Ok(())
	}

	#[inline]
	pub(crate) fn at(&self, r: usize, c: usize) -> usize {
		r * self.row_stride + c * self.col_stride
	}
}

/// What happens to each output after bias and saturation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epilogue<'a> {
	/// Nothing.
	None,
	/// `max(0, x)`.
	Relu,
	/// `x` where `mask > 0`, else 0 (`mask` has the output's shape).
	Mask(&'a [i32]),
}

impl Epilogue<'_> {
	#[cfg(feature = "gpu")]
	pub(crate) fn code(&self) -> u32 {
		match self {
			Epilogue::None => 0,
			Epilogue::Relu => 1,
			Epilogue::Mask(_) => 2,
		}
	}
}

/// Everything that describes one `matmul_fixed` call except the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatmulFixed {
	/// View of the left operand, `M × K`.
	pub a: MatrixView,
	/// View of the right operand, `K × N`.
	pub b: MatrixView,
	/// Right shift (rounded) applied to each sum.
	pub shift: u32,
}

impl MatmulFixed {
	/// `(M, K, N)`.
	pub fn dims(&self) -> (usize, usize, usize) {
		(self.a.rows, self.a.cols, self.b.cols)
	}

	/// Checks views, buffer lengths and the shift.
	pub fn check(
		&self,
		a: &[i32],
		b: &[i32],
		bias: &[i32],
		epilogue: &Epilogue<'_>,
	) -> Result<(), KernelError> {
		if self.a.cols != self.b.rows {
			return Err(KernelError::BadShape { reason: "inner dimensions differ" });
		}
		self.a.check("a", a.len())?;
		self.b.check("b", b.len())?;
		let (m, _, n) = self.dims();
		check_dims(&[m, n])?;
		check_len("bias", bias.len(), n)?;
		if let Epilogue::Mask(mask) = epilogue {
			check_len("mask", mask.len(), m * n)?;
		}
		check_shift(self.shift)
	}
}
