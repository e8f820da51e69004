//! `requantize` on wgpu.

use super::{check, Requantization};
use crate::gpu::{grid_1d, i32_bytes, i32_from_bytes, GpuContext, Kernel};
use crate::ComputeError;

const KERNEL: Kernel = Kernel {
	name: "requantize",
	source: concat!(include_str!("../common.wgsl"), include_str!("requantize.wgsl")),
};

/// Same contract as [`super::cpu::reference`], computed on the GPU.
pub fn run(ctx: &GpuContext, acc: &[i32], q: &Requantization) -> Result<Vec<i8>, ComputeError> {
	check(acc, q)?;
	let (lo, hi) = q.bounds();
	let params = [acc.len() as u32, q.multiplier as u32, q.shift, lo as u32, hi as u32];
	let bytes = ctx.run(&KERNEL, &params, &[&i32_bytes(acc)], acc.len() * 4, grid_1d(acc.len()))?;
	Ok(i32_from_bytes(&bytes).into_iter().map(|v| v as i8).collect())
}
