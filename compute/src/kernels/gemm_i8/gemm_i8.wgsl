// gemm_i8: out[m][n] = bias[n] + sum_k a[m][k] * w[n][k], wrapping i32.
//
// `a` and `w` hold int8 values packed four to a u32 (little-endian bytes)
// along K, each row padded with zeros to k_words words. Each invocation
// computes a 4x4 block of outputs (rows 4*gid.y.., columns 4*gid.x..), so
// every word it loads is used four times; workgroup 8x8, dispatch
// (ceil(ceil(N/4)/8), ceil(ceil(M/4)/8)). Blocks that overhang the edge load
// the last valid row/column and skip those writes, so M and N need not be
// multiples of anything.
//
// `dot4(a, b)`, the dot product of two words' four signed bytes, comes
// from dot4_packed.wgsl (WGSL's dot4I8Packed) or dot4_unpacked.wgsl (the
// bytes sign-extended and multiplied one by one), prepended by gpu.rs:
// the same sum either way, since no partial sum can overflow.

struct Params {
	m: u32,
	n: u32,
	k_words: u32,
	_pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<i32>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
	let col0 = gid.x * 4u;
	let row0 = gid.y * 4u;
	if (row0 >= params.m || col0 >= params.n) {
		return;
	}
	let kw = params.k_words;
	var rows: array<u32, 4>;
	var cols: array<u32, 4>;
	for (var t = 0u; t < 4u; t = t + 1u) {
		rows[t] = min(row0 + t, params.m - 1u) * kw;
		cols[t] = min(col0 + t, params.n - 1u) * kw;
	}
	let b = vec4<i32>(
		bias[min(col0, params.n - 1u)],
		bias[min(col0 + 1u, params.n - 1u)],
		bias[min(col0 + 2u, params.n - 1u)],
		bias[min(col0 + 3u, params.n - 1u)],
	);
	var acc: array<vec4<i32>, 4>;
	for (var r = 0u; r < 4u; r = r + 1u) {
		acc[r] = b;
	}
	for (var i = 0u; i < kw; i = i + 1u) {
		let w0 = w[cols[0] + i];
		let w1 = w[cols[1] + i];
		let w2 = w[cols[2] + i];
		let w3 = w[cols[3] + i];
		for (var r = 0u; r < 4u; r = r + 1u) {
			// Each dot is at most 4 * 128 * 128: no overflow before the wrapping add.
			let x = a[rows[r] + i];
			acc[r] = acc[r] + vec4<i32>(dot4(x, w0), dot4(x, w1), dot4(x, w2), dot4(x, w3));
		}
	}
	for (var r = 0u; r < 4u; r = r + 1u) {
		let row = row0 + r;
		if (row < params.m) {
			for (var c = 0u; c < 4u; c = c + 1u) {
				let col = col0 + c;
				if (col < params.n) {
					out[row * params.n + col] = acc[r][c];
				}
			}
		}
	}
}
