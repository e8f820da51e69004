//! Errors of the kernels themselves (shape and parameter checks). `no_std`:
//! no `thiserror` here, so the reference stays usable from the runtime.

use core::fmt;

/// Why a kernel refused to run. Kernels check every length and parameter
/// before touching data, so bad input gives one of these, never a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelError {
	/// A buffer does not have the length its declared shape implies.
	LengthMismatch {
		/// Which buffer.
		buffer: &'static str,
		/// Length implied by the shape.
		expected: usize,
		/// Length given.
		actual: usize,
	},
	/// A shape is empty or too large for the kernel's index arithmetic.
	BadShape {
		/// What is wrong.
		reason: &'static str,
	},
	/// A scalar parameter (shift, multiplier, label) is out of its range.
	BadParameter {
		/// What is wrong.
		reason: &'static str,
	},
}

impl fmt::Display for KernelError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			KernelError::LengthMismatch { buffer, expected, actual } => {
				write!(f, "buffer `{buffer}` has {actual} elements but its shape needs {expected}")
			},
			KernelError::BadShape { reason } => write!(f, "bad shape: {reason}"),
			KernelError::BadParameter { reason } => write!(f, "bad parameter: {reason}"),
		}
	}
}

#[cfg(feature = "std")]
impl std::error::Error for KernelError {}

/// Largest extent of any one dimension. Keeps every flat index below 2^31 on
/// the GPU (whose indices are `u32`) and every dispatch within wgpu limits.
pub const MAX_DIM: usize = 1 << 18;
/// Largest number of elements of any one buffer.
pub const MAX_ELEMENTS: usize = 1 << 28;

pub(crate) fn check_len(
	buffer: &'static str,
	actual: usize,
	expected: usize,
) -> Result<(), KernelError> {
	if actual == expected {
		Ok(())
	} else {
		Err(KernelError::LengthMismatch { buffer, expected, actual })
	}
}

/// Checks that `dims` are non-zero, each at most [`MAX_DIM`], and that their
/// product is at most [`MAX_ELEMENTS`]; returns the product.
pub(crate) fn check_dims(dims: &[usize]) -> Result<usize, KernelError> {
	let mut product: usize = 1;
	for &d in dims {
		if d == 0 {
			return Err(KernelError::BadShape { reason: "a dimension is zero" });
		}
		if d > MAX_DIM {
			return Err(KernelError::BadShape { reason: "a dimension exceeds MAX_DIM" });
		}
		product = product
			.checked_mul(d)
			.filter(|&p| p <= MAX_ELEMENTS)
			.ok_or(KernelError::BadShape { reason: "too many elements" })?;
	}
	Ok(product)
}

pub(crate) fn check_shift(shift: u32) -> Result<(), KernelError> {
	if shift > crate::fixed::MAX_SHIFT {
		Err(KernelError::BadParameter { reason: "shift exceeds 62" })
	} else {
		Ok(())
	}
}
