//! `gemm_i8` on wgpu.

use super::GemmShape;
use crate::gpu::{grid_2d, i32_bytes, i32_from_bytes, GpuContext, Kernel};
use crate::ComputeError;

const KERNEL: Kernel = Kernel { name: "gemm_i8", source: include_str!("gemm_i8.wgsl") };

/// Packs rows of int8 values four to a `u32` word, each row padded with zeros
/// to `k.div_ceil(4)` words, as little-endian bytes.
fn pack_rows(x: &[i8], rows: usize, k: usize) -> Vec<u8> {
	let padded_k = k.div_ceil(4) * 4;
	let mut out = vec![0u8; rows * padded_k];
	for r in 0..rows {
		for i in 0..k {
			out[r * padded_k + i] = x[r * k + i] as u8;
		}
	}
	out
}

/// Same contract as [`super::cpu::reference`], computed on the GPU.
pub fn run(
	ctx: &GpuContext,
	a: &[i8],
	w: &[i8],
	bias: &[i32],
	shape: GemmShape,
) -> Result<Vec<i32>, ComputeError> {
	shape.check(a, w, bias)?;
	let GemmShape { m, k, n } = shape;
	let params = [m as u32, n as u32, k.div_ceil(4) as u32, 0];
	let bytes = ctx.run(
		&KERNEL,
		&params,
		&[&pack_rows(a, m, k), &pack_rows(w, n, k), &i32_bytes(bias)],
		m * n * 4,
		grid_2d(m.div_ceil(4), n.div_ceil(4)),
	)?;
	Ok(i32_from_bytes(&bytes))
}
