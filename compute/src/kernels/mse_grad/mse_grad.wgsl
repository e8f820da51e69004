// mse_grad: grad[r][c] = z[r][c] - (c == label[r] ? one : 0), wrapping.
// 1-D over rows*cols, workgroup 64, index folded over x and y.

struct Params {
	rows: u32,
	cols: u32,
	one: i32,
	_pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> z: array<i32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
	let i = gid.x + gid.y * groups.x * 64u;
	if (i >= params.rows * params.cols) {
		return;
	}
	let row = i / params.cols;
	let col = i % params.cols;
	out[i] = z[i] - select(0, params.one, labels[row] == col);
}
