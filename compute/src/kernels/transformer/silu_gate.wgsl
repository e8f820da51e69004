// silu_gate: out[i] = saturate(round_shift((table[g[i] + 128] * u[i]) *
// multiplier, shift), -128, 127). 1-D, workgroup 64, index folded over x
// and y. The 64-bit helpers come from common.wgsl.

struct Params {
	len: u32,
	multiplier: i32,
	shift: u32,
	_pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<i32>;
@group(0) @binding(2) var<storage, read> u: array<i32>;
@group(0) @binding(3) var<storage, read> table: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
	let i = gid.x + gid.y * groups.x * 64u;
	if (i >= params.len) {
		return;
	}
	let s = table[u32(g[i] + 128)];
	out[i] = saturate64(round_shift64(mul_i32_wide(s * u[i], params.multiplier), params.shift), -128, 127);
}
