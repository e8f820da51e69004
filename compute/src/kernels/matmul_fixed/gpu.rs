//! `matmul_fixed` on wgpu.

use super::{Epilogue, MatmulFixed};
use crate::gpu::{grid_2d, i32_bytes, i32_from_bytes, GpuContext, Kernel};
use crate::ComputeError;

const KERNEL: Kernel = Kernel {
	name: "matmul_fixed",
	source: concat!(include_str!("../common.wgsl"), include_str!("matmul_fixed.wgsl")),
};

/// Same contract as [`super::cpu::reference`], computed on the GPU.
pub fn run(
	ctx: &GpuContext,
	spec: &MatmulFixed,
	a: &[i32],
	b: &[i32],
	bias: &[i32],
	epilogue: Epilogue<'_>,
) -> Result<Vec<i32>, ComputeError> {
	spec.check(a, b, bias, &epilogue)?;
	let (m, k, n) = spec.dims();
	let params = [
		m as u32,
		n as u32,
		k as u32,
		spec.shift,
		spec.a.row_stride as u32,
		spec.a.col_stride as u32,
		spec.b.row_stride as u32,
		spec.b.col_stride as u32,
		epilogue.code(),
	];
	let mask = match epilogue {
		Epilogue::Mask(mask) => i32_bytes(mask),
		_ => vec![0u8; 4],
	};
	let bytes = ctx.run(
		&KERNEL,
		&params,
		&[&i32_bytes(a), &i32_bytes(b), &i32_bytes(bias), &mask],
		m * n * 4,
		grid_2d(m, n),
	)?;
	Ok(i32_from_bytes(&bytes))
}
