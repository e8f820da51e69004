// matmul_fixed: out[i][j] = epilogue(saturate(round_shift(sum_l A(i,l) * B(l,j), shift) + bias[j]))
// with exact 64-bit products and a wrapping 64-bit sum (helpers from
// common.wgsl). A(i,l) = a[i * a_rs + l * a_cs], B(l,j) = b[l * b_rs + j * b_cs].
// Workgroup 8x8, x = column j, y = row i; edge invocations return early.
// mode: 0 none, 1 relu, 2 mask (0 where mask <= 0).

struct Params {
	m: u32,
	n: u32,
	k: u32,
	shift: u32,
	a_rs: u32,
	a_cs: u32,
	b_rs: u32,
	b_cs: u32,
	mode: u32,
	_pad0: u32,
	_pad1: u32,
	_pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<i32>;
@group(0) @binding(2) var<storage, read> b: array<i32>;
@group(0) @binding(3) var<storage, read> bias: array<i32>;
@group(0) @binding(4) var<storage, read> mask: array<i32>;
@group(0) @binding(5) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
	let j = gid.x;
	let i = gid.y;
	if (i >= params.m || j >= params.n) {
		return;
	}
	var acc = vec2<u32>(0u, 0u);
	for (var l = 0u; l < params.k; l = l + 1u) {
		let x = a[i * params.a_rs + l * params.a_cs];
		let y = b[l * params.b_rs + j * params.b_cs];
		acc = add64(acc, mul_i32_wide(x, y));
	}
	let value = add64(round_shift64(acc, params.shift), i64_from_i32(bias[j]));
	var result: i32;
	if (params.mode == 1u) {
		result = saturate64(value, 0, 2147483647);
	} else {
		result = saturate64(value, -2147483647 - 1, 2147483647);
		if (params.mode == 2u && mask[i * params.n + j] <= 0) {
			result = 0;
		}
	}
	out[i * params.n + j] = result;
}
