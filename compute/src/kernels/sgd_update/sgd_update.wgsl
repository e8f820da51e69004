// sgd_update: w'[i] = saturate(w[i] - round_shift(g[i] * lr_multiplier, lr_shift)).
// 1-D, workgroup 64, index folded over x and y; helpers from common.wgsl.

struct Params {
	len: u32,
	lr_multiplier: i32,
	lr_shift: u32,
	_pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<i32>;
@group(0) @binding(2) var<storage, read> g: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
	let i = gid.x + gid.y * groups.x * 64u;
	if (i >= params.len) {
		return;
	}
	let step = round_shift64(mul_i32_wide(g[i], params.lr_multiplier), params.lr_shift);
	out[i] = saturate64(add64(i64_from_i32(w[i]), neg64(step)), -2147483647 - 1, 2147483647);
}
