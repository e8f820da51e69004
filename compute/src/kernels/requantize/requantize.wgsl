// requantize: out[i] = clamp(round_shift(acc[i] * multiplier, shift), lo, hi).
// 1-D, workgroup 64, index folded over x and y (see gpu.rs grid_1d). The
// 64-bit helpers come from common.wgsl, prepended at build time.

struct Params {
	len: u32,
	multiplier: i32,
	shift: u32,
	lo: i32,
	hi: i32,
	_pad0: u32,
	_pad1: u32,
	_pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> acc: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
	let i = gid.x + gid.y * groups.x * 64u;
	if (i >= params.len) {
		return;
	}
	let product = mul_i32_wide(acc[i], params.multiplier);
	out[i] = saturate64(round_shift64(product, params.shift), params.lo, params.hi);
}
