//! # The transformer's steps between its projections
//!
//! The integer language model ([`crate::lm`]) runs its matrix products
//! through [`super::gemm_i8`]; everything between them is here, with the
//! same three paths as every kernel (`cpu::reference`, `cpu::fast`, and
//! `gpu`, WGSL on wgpu), all giving the same bits:
//!
//! - [`requantize_channels`](cpu::requantize_channels): a projection's i32
//!   accumulators to int8 (or Q12 logits) with one [`Scale`] per output
//!   channel, optionally added into the residual stream;
//! - [`rms_norm`](cpu::rms_norm): RMSNorm of residual rows into int8;
//! - [`rope`](cpu::rope): rotary position embedding of query or key rows;
//! - [`attention`](cpu::attention): causal attention over the KV cache
//!   (scores, integer softmax, the weighted sum of values), multi-head or
//!   grouped-query;
//! - [`silu_gate`](cpu::silu_gate): SwiGLU's `silu(g)·u`, requantized.
//!
//! The scalar definitions (exp, softmax, RMSNorm, rotary) are in
//! [`crate::lm::ops`]; the CPU paths call them and the WGSL mirrors them.
//! The shapes are checked here, before any path runs, so a bad call is a
//! [`KernelError`] on every path alike.

pub mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;

use crate::error::{check_dims, check_len, KernelError};
pub use crate::fixed::Scale;
use crate::fixed::MAX_SHIFT;

/// Largest row that [`cpu::rms_norm`] takes (the model's widest
/// dimension): with residual values of at most 2^20 every intermediate
/// product fits in 64 bits.
pub const MAX_NORM_WIDTH: usize = 1 << 15;
/// Largest magnitude of a residual value [`cpu::rms_norm`] takes
/// ([`crate::lm::ops::RESIDUAL_LIMIT`]).
pub const MAX_RESIDUAL: i32 = 1 << 20;
/// Most positions [`cpu::attention`] attends over: with Q15 exponentials
/// their sum stays below 2^28.
pub const MAX_POSITIONS: usize = 8192;

/// Rows of `x` that [`cpu::rope`] rotates: `rows` rows of `width` values,
/// heads of `head_dim`, at positions `start..start + rows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RopeShape {
	/// Rows (positions).
	pub rows: usize,
	/// Values per row (`heads · head_dim`).
	pub width: usize,
	/// Values per head (even).
	pub head_dim: usize,
	/// The first row's position.
	pub start: usize,
}

impl RopeShape {
	/// Checks the shape against `x` and the `[positions, head_dim / 2]`
	/// tables.
	pub fn check(&self, x: &[i8], cos: &[i16], sin: &[i16]) -> Result<(), KernelError> {
		check_dims(&[self.rows, self.width])?;
		if self.head_dim == 0
			|| !self.head_dim.is_multiple_of(2)
			|| !self.width.is_multiple_of(self.head_dim)
		{
			return Err(KernelError::BadParameter {
				reason: "rope: head_dim must be even and divide the row width",
			});
		}
		check_len("x", x.len(), self.rows * self.width)?;
		let half = self.head_dim / 2;
		if cos.len() != sin.len() || cos.len() < (self.start + self.rows) * half {
			return Err(KernelError::BadParameter {
				reason: "rope: the tables do not cover the rows' positions",
			});
		}
		Ok(())
	}
}

/// One call of [`cpu::attention`]: `rows` new query rows at positions
/// `start..start + rows`, attending causally over the `start + rows` cached
/// keys and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttentionShape {
	/// New rows.
	pub rows: usize,
	/// Positions cached before them.
	pub start: usize,
	/// Query heads.
	pub heads: usize,
	/// Key and value heads (dividing `heads`; fewer is grouped-query).
	pub kv_heads: usize,
	/// Values per head.
	pub head_dim: usize,
}

impl AttentionShape {
	/// Positions the last row attends over.
	pub fn positions(&self) -> usize {
		self.start + self.rows
	}

	/// Checks the shape against the buffers and the score scale.
	pub fn check(
		&self,
		q: &[i8],
		keys: &[i8],
		values: &[i8],
		score: Scale,
	) -> Result<(), KernelError> {
		check_dims(&[self.rows, self.heads, self.head_dim])?;
		if self.kv_heads == 0 || !self.heads.is_multiple_of(self.kv_heads) {
			return Err(KernelError::BadParameter {
				reason: "attention: kv_heads must divide heads",
			});
		}
		if self.positions() > MAX_POSITIONS || self.head_dim > MAX_NORM_WIDTH {
			return Err(KernelError::BadParameter {
				reason: "attention: more than 8192 positions or a head wider than 2^15",
			});
		}
		check_len("q", q.len(), self.rows * self.heads * self.head_dim)?;
		let kv = self.positions() * self.kv_heads * self.head_dim;
		check_len("keys", keys.len(), kv)?;
		check_len("values", values.len(), kv)?;
		check_scale(score)
	}
}

fn check_scale(scale: Scale) -> Result<(), KernelError> {
	if scale.multiplier <= 0 || scale.shift > MAX_SHIFT {
		return Err(KernelError::BadParameter {
			reason: "scale: the multiplier must be positive and the shift at most 62",
		});
	}
	Ok(())
}

fn check_scales(scales: &[Scale]) -> Result<(), KernelError> {
	scales.iter().try_for_each(|&s| check_scale(s))
}

/// Checks [`cpu::rms_norm`]'s arguments.
pub fn check_rms_norm(x: &[i32], gain: &[i32]) -> Result<(), KernelError> {
	if gain.is_empty() || gain.len() > MAX_NORM_WIDTH || !x.len().is_multiple_of(gain.len()) {
		return Err(KernelError::BadParameter {
			reason: "rms_norm: the row width (gain) must be 1..=2^15 and divide x",
		});
	}
	if x.iter().any(|v| v.unsigned_abs() > MAX_RESIDUAL as u32) {
		return Err(KernelError::BadParameter {
			reason: "rms_norm: a residual value exceeds 2^20 in magnitude",
		});
	}
	Ok(())
}

/// Checks [`cpu::requantize_channels`]'s arguments.
pub fn check_requantize_channels(
	acc: &[i32],
	scales: &[Scale],
	base: Option<&[i32]>,
	lo: i32,
	hi: i32,
) -> Result<(), KernelError> {
	if scales.is_empty() || !acc.len().is_multiple_of(scales.len()) {
		return Err(KernelError::BadParameter {
			reason: "requantize_channels: the channels (scales) must divide the accumulators",
		});
	}
	if lo > hi {
		return Err(KernelError::BadParameter { reason: "requantize_channels: lo > hi" });
	}
	if let Some(base) = base {
		check_len("base", base.len(), acc.len())?;
	}
	check_scales(scales)
}

/// Checks [`cpu::silu_gate`]'s arguments.
pub fn check_silu_gate(g: &[i8], u: &[i8], table: &[i8], hidden: Scale) -> Result<(), KernelError> {
	check_len("u", u.len(), g.len())?;
	check_len("silu table", table.len(), 256)?;
	check_scale(hidden)
}
