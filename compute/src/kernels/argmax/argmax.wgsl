// argmax: out[r] = index of the first maximum of row r of a [rows, cols] i32
// matrix. One invocation per row; 1-D, workgroup 64, index folded over x, y.

struct Params {
	rows: u32,
	cols: u32,
	_pad0: u32,
	_pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
	let row = gid.x + gid.y * groups.x * 64u;
	if (row >= params.rows) {
		return;
	}
	let base = row * params.cols;
	var best = 0u;
	var best_value = values[base];
	for (var c = 1u; c < params.cols; c = c + 1u) {
		let v = values[base + c];
		if (v > best_value) {
			best = c;
			best_value = v;
		}
	}
	out[row] = best;
}
