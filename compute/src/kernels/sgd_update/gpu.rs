//! `sgd_update` on wgpu.

use super::{check, LearningRate};
use crate::gpu::{grid_1d, i32_bytes, i32_from_bytes, GpuContext, Kernel};
use crate::ComputeError;

const KERNEL: Kernel = Kernel {
	name: "sgd_update",
	source: concat!(include_str!("../common.wgsl"), include_str!("sgd_update.wgsl")),
};

/// Same contract as [`super::cpu::reference`], computed on the GPU.
pub fn run(
	ctx: &GpuContext,
	w: &[i32],
	g: &[i32],
	lr: &LearningRate,
) -> Result<Vec<i32>, ComputeError> {
	check(w, g, lr)?;
	let params = [w.len() as u32, lr.multiplier as u32, lr.shift];
	let bytes =
		ctx.run(&KERNEL, &params, &[&i32_bytes(w), &i32_bytes(g)], w.len() * 4, grid_1d(w.len()))?;
	Ok(i32_from_bytes(&bytes))
}
