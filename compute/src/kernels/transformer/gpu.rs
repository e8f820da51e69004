//! The transformer steps on wgpu. int8 values travel as one `i32` each
//! (simple indexing in WGSL; these buffers are small next to the weights).

use super::{
	check_requantize_channels, check_rms_norm, check_silu_gate, AttentionShape, RopeShape, Scale,
};
use crate::gpu::{grid_1d, i32_bytes, i32_from_bytes, GpuContext, Kernel};
use crate::ComputeError;

const REQUANTIZE_CHANNELS: Kernel = Kernel {
	name: "requantize_channels",
	source: concat!(include_str!("../common.wgsl"), include_str!("requantize_channels.wgsl")),
};
const RMS_NORM: Kernel = Kernel {
	name: "rms_norm",
	source: concat!(include_str!("../common.wgsl"), include_str!("rms_norm.wgsl")),
};
const ROPE: Kernel = Kernel {
	name: "rope",
	source: concat!(include_str!("../common.wgsl"), include_str!("rope.wgsl")),
};
const ATTENTION: Kernel = Kernel {
	name: "attention",
	source: concat!(include_str!("../common.wgsl"), include_str!("attention.wgsl")),
};
const SILU_GATE: Kernel = Kernel {
	name: "silu_gate",
	source: concat!(include_str!("../common.wgsl"), include_str!("silu_gate.wgsl")),
};

fn i8_bytes(values: &[i8]) -> Vec<u8> {
	values.iter().flat_map(|&v| (v as i32).to_le_bytes()).collect()
}

fn i16_bytes(values: &[i16]) -> Vec<u8> {
	values.iter().flat_map(|&v| (v as i32).to_le_bytes()).collect()
}

fn i8_from_bytes(bytes: &[u8]) -> Vec<i8> {
	i32_from_bytes(bytes).into_iter().map(|v| v as i8).collect()
}

/// One workgroup per row, the count folded into x and y.
fn grid_rows(rows: usize) -> [u32; 3] {
	let x = rows.clamp(1, 65535);
	[x as u32, rows.div_ceil(x) as u32, 1]
}

/// [`super::cpu::requantize_channels`] on the GPU.
pub fn requantize_channels(
	ctx: &GpuContext,
	acc: &[i32],
	scales: &[Scale],
	base: Option<&[i32]>,
	lo: i32,
	hi: i32,
) -> Result<Vec<i32>, ComputeError> {
	check_requantize_channels(acc, scales, base, lo, hi)?;
	let multipliers: Vec<i32> = scales.iter().map(|s| s.multiplier).collect();
	let shifts: Vec<i32> = scales.iter().map(|s| s.shift as i32).collect();
	let params =
		[acc.len() as u32, scales.len() as u32, lo as u32, hi as u32, base.is_some() as u32];
	let base = i32_bytes(base.unwrap_or(&[0]));
	let bytes = ctx.run(
		&REQUANTIZE_CHANNELS,
		&params,
		&[&i32_bytes(acc), &i32_bytes(&multipliers), &i32_bytes(&shifts), &base],
		acc.len() * 4,
		grid_1d(acc.len()),
	)?;
	Ok(i32_from_bytes(&bytes))
}

/// [`super::cpu::rms_norm`] on the GPU.
pub fn rms_norm(
	ctx: &GpuContext,
	x: &[i32],
	gain: &[i32],
	eps: u64,
) -> Result<Vec<i8>, ComputeError> {
	check_rms_norm(x, gain)?;
	let rows = x.len() / gain.len();
	let params = [rows as u32, gain.len() as u32, eps as u32, (eps >> 32) as u32];
	let bytes = ctx.run(
		&RMS_NORM,
		&params,
		&[&i32_bytes(x), &i32_bytes(gain)],
		x.len() * 4,
		grid_rows(rows),
	)?;
	Ok(i8_from_bytes(&bytes))
}

/// [`super::cpu::rope`] on the GPU.
pub fn rope(
	ctx: &GpuContext,
	x: &[i8],
	shape: RopeShape,
	cos: &[i16],
	sin: &[i16],
) -> Result<Vec<i8>, ComputeError> {
	shape.check(x, cos, sin)?;
	let half = shape.head_dim / 2;
	let rows = shape.start * half..(shape.start + shape.rows) * half;
	let pairs = x.len() / 2;
	let params = [pairs as u32, shape.width as u32, shape.head_dim as u32];
	let bytes = ctx.run(
		&ROPE,
		&params,
		&[&i8_bytes(x), &i16_bytes(&cos[rows.clone()]), &i16_bytes(&sin[rows])],
		x.len() * 4,
		grid_1d(pairs),
	)?;
	Ok(i8_from_bytes(&bytes))
}

/// [`super::cpu::attention`] on the GPU.
pub fn attention(
	ctx: &GpuContext,
	q: &[i8],
	keys: &[i8],
	values: &[i8],
	shape: AttentionShape,
	score: Scale,
) -> Result<Vec<i8>, ComputeError> {
	shape.check(q, keys, values, score)?;
	let params = [
		shape.start as u32,
		shape.heads as u32,
		shape.kv_heads as u32,
		shape.head_dim as u32,
		score.multiplier as u32,
		score.shift,
	];
	let groups = [shape.head_dim.div_ceil(64) as u32, shape.heads as u32, shape.rows as u32];
	let bytes = ctx.run(
		&ATTENTION,
		&params,
		&[&i8_bytes(q), &i8_bytes(keys), &i8_bytes(values)],
		q.len() * 4,
		groups,
	)?;
	Ok(i8_from_bytes(&bytes))
}

/// [`super::cpu::silu_gate`] on the GPU.
pub fn silu_gate(
	ctx: &GpuContext,
	g: &[i8],
	u: &[i8],
	table: &[i8],
	hidden: Scale,
) -> Result<Vec<i8>, ComputeError> {
	check_silu_gate(g, u, table, hidden)?;
	let params = [g.len() as u32, hidden.multiplier as u32, hidden.shift];
	let bytes = ctx.run(
		&SILU_GATE,
		&params,
		&[&i8_bytes(g), &i8_bytes(u), &i8_bytes(table)],
		g.len() * 4,
		grid_1d(g.len()),
	)?;
	Ok(i8_from_bytes(&bytes))
}
