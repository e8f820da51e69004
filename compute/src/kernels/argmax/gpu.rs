//! `argmax` on wgpu.

use super::check;
use crate::gpu::{grid_1d, i32_bytes, GpuContext, Kernel};
use crate::ComputeError;

const KERNEL: Kernel = Kernel { name: "argmax", source: include_str!("argmax.wgsl") };

/// Same contract as [`super::cpu::reference`], computed on the GPU.
pub fn run(
	ctx: &GpuContext,
	values: &[i32],
	rows: usize,
	cols: usize,
) -> Result<Vec<u32>, ComputeError> {
	check(values, rows, cols)?;
	let params = [rows as u32, cols as u32];
	let bytes = ctx.run(&KERNEL, &params, &[&i32_bytes(values)], rows * 4, grid_1d(rows))?;
	Ok(bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}
