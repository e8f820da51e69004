//! `gemm_i8` on wgpu.

use std::sync::Arc;

use super::GemmShape;
use crate::gpu::{grid_2d, i32_bytes, i32_from_bytes, GpuContext, Input, Kernel};
use crate::ComputeError;

/// With WGSL's `dot4I8Packed`.
const PACKED: Kernel = Kernel {
	name: "gemm_i8",
	source: concat!(include_str!("dot4_packed.wgsl"), include_str!("gemm_i8.wgsl")),
};
/// With the bytes unpacked one by one (same bits).
const UNPACKED: Kernel = Kernel {
	name: "gemm_i8_unpacked",
	source: concat!(include_str!("dot4_unpacked.wgsl"), include_str!("gemm_i8.wgsl")),
};

/// How the kernel takes its dot products of four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dot4 {
	/// WGSL's `dot4I8Packed`, where the WGSL implementation has
	/// `packed_4x8_integer_dot_product` ([`GpuContext::packed_dot`]).
	Packed,
	/// Four multiplications of sign-extended bytes.
	Unpacked,
}

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

/// Same contract as [`super::cpu::reference`], computed on the GPU, with
/// `dot4I8Packed` where the context has it.
pub fn run(
	ctx: &GpuContext,
	a: &[i8],
	w: &[i8],
	bias: &[i32],
	shape: GemmShape,
) -> Result<Vec<i32>, ComputeError> {
	let dot = if ctx.packed_dot() { Dot4::Packed } else { Dot4::Unpacked };
	run_with(ctx, dot, a, w, bias, shape)
}

/// [`run`] with the dot product chosen by the caller (tests hold both to
/// the same bits).
pub fn run_with(
	ctx: &GpuContext,
	dot: Dot4,
	a: &[i8],
	w: &[i8],
	bias: &[i32],
	shape: GemmShape,
) -> Result<Vec<i32>, ComputeError> {
	shape.check(a, w, bias)?;
	let packed = pack_rows(w, shape.n, shape.k);
	dispatch(ctx, dot, a, Input::Bytes(&packed), bias, shape)
}

/// [`run`] with weights that stay on the device: `w` is packed and
/// uploaded on its first use with this context and shape, and reused by
/// every later call until it is dropped ([`GpuContext::resident`]).
pub fn run_resident(
	ctx: &GpuContext,
	a: &[i8],
	w: &Arc<[i8]>,
	bias: &[i32],
	shape: GemmShape,
) -> Result<Vec<i32>, ComputeError> {
	shape.check(a, w, bias)?;
	let dot = if ctx.packed_dot() { Dot4::Packed } else { Dot4::Unpacked };
	let (n, k) = (shape.n, shape.k);
	let weights = ctx.resident(w, (n, k), |w| pack_rows(w, n, k))?;
	dispatch(ctx, dot, a, Input::Buffer(&weights), bias, shape)
}

fn dispatch(
	ctx: &GpuContext,
	dot: Dot4,
	a: &[i8],
	w: Input<'_>,
	bias: &[i32],
	shape: GemmShape,
) -> Result<Vec<i32>, ComputeError> {
	let GemmShape { m, k, n } = shape;
	let params = [m as u32, n as u32, k.div_ceil(4) as u32, 0];
	let kernel = match dot {
		Dot4::Packed => &PACKED,
		Dot4::Unpacked => &UNPACKED,
	};
	let a = pack_rows(a, m, k);
	let bias = i32_bytes(bias);
	let bytes = ctx.run_with(
		kernel,
		&params,
		&[Input::Bytes(&a), w, Input::Bytes(&bias)],
		m * n * 4,
		grid_2d(m.div_ceil(4), n.div_ceil(4)),
	)?;
	Ok(i32_from_bytes(&bytes))
}
