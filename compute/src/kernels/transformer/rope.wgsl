// rope: one invocation per rotated pair (row, head, i < head_dim / 2), the
// index folded over x and y. x'_i = x_i cos - x_{i+h} sin and
// x'_{i+h} = x_{i+h} cos + x_i sin (h = head_dim / 2, cos and sin Q14 of the
// row's position), each rounded and saturated to int8; every product fits
// in an i32. `cos` and `sin` hold the rows' positions only, [rows, h].

struct Params {
	pairs: u32,
	width: u32,
	head_dim: u32,
	_pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<i32>;
@group(0) @binding(2) var<storage, read> cos_table: array<i32>;
@group(0) @binding(3) var<storage, read> sin_table: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
	let p = gid.x + gid.y * groups.x * 64u;
	if (p >= params.pairs) {
		return;
	}
	let half = params.head_dim / 2u;
	let per_row = params.width / 2u;
	let row = p / per_row;
	let within = p % per_row;
	let head = within / half;
	let i = within % half;
	let ia = row * params.width + head * params.head_dim + i;
	let ib = ia + half;
	let a = x[ia];
	let b = x[ib];
	let c = cos_table[row * half + i];
	let s = sin_table[row * half + i];
	out[ia] = clamp(round_shift32(a * c - b * s, 14u), -128, 127);
	out[ib] = clamp(round_shift32(b * c + a * s, 14u), -128, 127);
}
