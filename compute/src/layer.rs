//! One dense int8 layer, computed by the reference kernels only: `no_std` +
//! `alloc`, no wgpu, no rayon. This is the unit a dispute bisects down to;
//! the runtime can call [`dense_layer`] to recompute the one layer two
//! parties disagree on.

use crate::error::KernelError;
use crate::kernels::gemm_i8::{cpu::reference as gemm_reference, GemmShape};
use crate::kernels::requantize::{cpu::reference as requantize_reference, Requantization};
use alloc::vec::Vec;

/// What one dense layer produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerOutput {
	/// A hidden layer: requantized int8 activations, `[batch, outputs]`.
	Activations(Vec<i8>),
	/// The last layer: raw i32 logits, `[batch, outputs]`.
	Logits(Vec<i32>),
}

/// `input [batch, inputs]` · `weight [outputs, inputs]`ᵀ + `bias`, then
/// requantized (hidden layer) or returned as logits (`requantize = None`).
pub fn dense_layer(
	input: &[i8],
	weight: &[i8],
	bias: &[i32],
	shape: GemmShape,
	requantize: Option<&Requantization>,
) -> Result<LayerOutput, KernelError> {
	let acc = gemm_reference(input, weight, bias, shape)?;
	match requantize {
		Some(q) => Ok(LayerOutput::Activations(requantize_reference(&acc, q)?)),
		None => Ok(LayerOutput::Logits(acc)),
	}
}
