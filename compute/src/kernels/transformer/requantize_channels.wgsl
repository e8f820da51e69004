// requantize_channels: out[i] = clamp(base[i] + clamp(round_shift(acc[i] *
// m[c], s[c]), lo, hi), lo, hi) with c = i mod channels and base 0 unless
// has_base. 1-D, workgroup 64, index folded over x and y (gpu.rs grid_1d).
// The 64-bit helpers come from common.wgsl, prepended at build time.

struct Params {
	len: u32,
	channels: u32,
	lo: i32,
	hi: i32,
	has_base: u32,
	_pad0: u32,
	_pad1: u32,
	_pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> acc: array<i32>;
@group(0) @binding(2) var<storage, read> multipliers: array<i32>;
@group(0) @binding(3) var<storage, read> shifts: array<u32>;
@group(0) @binding(4) var<storage, read> base: array<i32>;
@group(0) @binding(5) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
	let i = gid.x + gid.y * groups.x * 64u;
	if (i >= params.len) {
		return;
	}
	let c = i % params.channels;
	let add = saturate64(round_shift64(mul_i32_wide(acc[i], multipliers[c]), shifts[c]), params.lo, params.hi);
	var b = 0;
	if (params.has_base == 1u) {
		b = base[i];
	}
	out[i] = saturate64(add64(i64_from_i32(b), i64_from_i32(add)), params.lo, params.hi);
}
