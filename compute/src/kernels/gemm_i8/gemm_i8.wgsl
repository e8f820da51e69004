// gemm_i8: out[m][n] = bias[n] + sum_k a[m][k] * w[n][k], wrapping i32.
//
// Workgroup 8x8, one output per invocation: x = output column n, y = row m;
// dispatch (ceil(N/8), ceil(M/8)). Invocations past the edge return early, so
// M and N need not be multiples of 8. `a` and `w` hold int8 values packed
// four to a u32 (little-endian bytes) along K, each row padded with zeros to
// k_words words.

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

// Dot product of four signed bytes; |result| <= 4 * 128 * 128, no overflow.
fn dot4(x: u32, y: u32) -> i32 {
	let a = bitcast<i32>(x);
	let b = bitcast<i32>(y);
	return extractBits(a, 0u, 8u) * extractBits(b, 0u, 8u)
		+ extractBits(a, 8u, 8u) * extractBits(b, 8u, 8u)
		+ extractBits(a, 16u, 8u) * extractBits(b, 16u, 8u)
		+ extractBits(a, 24u, 8u) * extractBits(b, 24u, 8u);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
	let col = gid.x;
	let row = gid.y;
	if (row >= params.m || col >= params.n) {
		return;
	}
	let a_base = row * params.k_words;
	let w_base = col * params.k_words;
	var acc = bias[col];
	for (var i = 0u; i < params.k_words; i = i + 1u) {
		acc = acc + dot4(a[a_base + i], w[w_base + i]);
	}
	out[row * params.n + col] = acc;
}
