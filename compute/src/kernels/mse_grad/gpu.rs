//! `mse_grad` on wgpu.

use super::check;
use crate::gpu::{grid_1d, i32_bytes, i32_from_bytes, GpuContext, Kernel};
use crate::ComputeError;

const KERNEL: Kernel = Kernel { name: "mse_grad", source: include_str!("mse_grad.wgsl") };

/// Same contract as [`super::cpu::reference`], computed on the GPU.
pub fn run(
	ctx: &GpuContext,
	z: &[i32],
	labels: &[u32],
	rows: usize,
	cols: usize,
	one: i32,
) -> Result<Vec<i32>, ComputeError> {
	check(z, labels, rows, cols)?;
	let params = [rows as u32, cols as u32, one as u32];
	let labels: Vec<u8> = labels.iter().flat_map(|l| l.to_le_bytes()).collect();
	let bytes =
		ctx.run(&KERNEL, &params, &[&i32_bytes(z), &labels], z.len() * 4, grid_1d(z.len()))?;
	Ok(i32_from_bytes(&bytes))
}
