// attention: causal attention of one query row and head over the cached
// keys and values, as lm/ops.rs softmax_row and kernels/transformer/cpu.rs
// attention_row compute it. One workgroup of 64 per (64 output dims, head,
// row): workgroup (x, y, z) = (dim block, head, row). Every workgroup
// recomputes its row's scores (wrapping i32 dot products) three times:
// for their max, for the sum of their exponentials, and tile by tile for
// the probabilities, which are shared in workgroup memory and weighted
// into the values by one invocation per output dim. Sums of Q15
// exponentials over at most 8192 positions stay below 2^28, and the
// weighted sums below 2^24, so both fit in 32 bits.

struct Params {
	start: u32,
	heads: u32,
	kv_heads: u32,
	head_dim: u32,
	multiplier: i32,
	shift: u32,
	_pad0: u32,
	_pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<i32>;
@group(0) @binding(2) var<storage, read> keys: array<i32>;
@group(0) @binding(3) var<storage, read> values: array<i32>;
@group(0) @binding(4) var<storage, read_write> out: array<i32>;

var<workgroup> max_partial: array<i32, 64>;
var<workgroup> sum_partial: array<u32, 64>;
var<workgroup> probs: array<i32, 64>;

// ARG_MIN in Q12: -16 nats.
const ARG_MIN: i32 = -65536;
// log2(e) in Q16, the 2^f - 1 polynomial in Q15 (lm/ops.rs).
const LOG2_E_Q16: i32 = 94548;
const EXP2_C1: i32 = 22709;
const EXP2_C2: i32 = 7912;
const EXP2_C3: i32 = 1702;
const EXP2_C4: i32 = 445;

fn score(qb: u32, kb: u32) -> i32 {
	var acc = 0;
	for (var d = 0u; d < params.head_dim; d = d + 1u) {
		acc = acc + q[qb + d] * keys[kb + d];
	}
	return acc;
}

// The Q12 argument of exp for a score s below the row's max: s - max
// (clamped to i32::MIN, as the i64 difference is on the CPU) times the
// score scale, clamped to [ARG_MIN, 0].
fn argument(s: i32, max_score: i32) -> i32 {
	var z = s - max_score;
	if (z > 0) {
		// The difference wrapped: its true value is below i32::MIN.
		z = bitcast<i32>(0x80000000u);
	}
	return saturate64(round_shift64(mul_i32_wide(z, params.multiplier), params.shift), ARG_MIN, 0);
}

// round_shift(acc * x, 15) for 0 <= acc, x < 2^15 + 2^14 (Horner's step).
fn q15_mul(acc: i32, x: i32) -> i32 {
	return round_shift32(acc * x, 15u);
}

// exp_q15 of lm/ops.rs for x in [ARG_MIN, 0].
fn exp_q15(x: i32) -> i32 {
	// x * log2(e): Q12 * Q16 -> Q15, |x * LOG2_E_Q16| < 2^33: 64-bit.
	let y = bitcast<i32>(round_shift64(mul_i32_wide(x, LOG2_E_Q16), 13u).x);
	let n = y >> 15u;
	let f = y - (n << 15u);
	var acc = EXP2_C4;
	acc = EXP2_C3 + q15_mul(acc, f);
	acc = EXP2_C2 + q15_mul(acc, f);
	acc = EXP2_C1 + q15_mul(acc, f);
	let mantissa = 32768 + q15_mul(acc, f);
	let drop = u32(-n);
	if (drop > 31u) {
		return 0;
	}
	return round_shift32(mantissa, drop);
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
	let row = wid.z;
	let h = wid.y;
	let dim = wid.x * 64u + t;
	let hd = params.head_dim;
	let qw = params.heads * hd;
	let kvw = params.kv_heads * hd;
	let kvh = h / (params.heads / params.kv_heads);
	let qb = row * qw + h * hd;
	let kb = kvh * hd;
	let n = params.start + row + 1u;

	var best = bitcast<i32>(0x80000000u);
	for (var j = t; j < n; j = j + 64u) {
		best = max(best, score(qb, j * kvw + kb));
	}
	max_partial[t] = best;
	workgroupBarrier();
	for (var stride = 32u; stride > 0u; stride = stride >> 1u) {
		if (t < stride) {
			max_partial[t] = max(max_partial[t], max_partial[t + stride]);
		}
		workgroupBarrier();
	}
	let max_score = max_partial[0];

	var sum = 0u;
	for (var j = t; j < n; j = j + 64u) {
		sum = sum + u32(exp_q15(argument(score(qb, j * kvw + kb), max_score)));
	}
	sum_partial[t] = sum;
	workgroupBarrier();
	for (var stride = 32u; stride > 0u; stride = stride >> 1u) {
		if (t < stride) {
			sum_partial[t] = sum_partial[t] + sum_partial[t + stride];
		}
		workgroupBarrier();
	}
	let total = max(sum_partial[0], 1u);
	let quotient = divmod64_32(pow2_64(46u), total);
	let inv = vec2<u32>(quotient.x, quotient.y);

	var acc = 0;
	for (var tile = 0u; tile < n; tile = tile + 64u) {
		let j = tile + t;
		var p = 0;
		if (j < n) {
			let e = exp_q15(argument(score(qb, j * kvw + kb), max_score));
			p = bitcast<i32>(round_shift64(mul_i32_u64(e, inv), 31u).x);
		}
		probs[t] = p;
		workgroupBarrier();
		if (dim < hd) {
			let count = min(64u, n - tile);
			for (var jj = 0u; jj < count; jj = jj + 1u) {
				acc = acc + probs[jj] * values[(tile + jj) * kvw + kb + dim];
			}
		}
		workgroupBarrier();
	}
	if (dim < hd) {
		out[row * qw + h * hd + dim] = clamp(round_shift32(acc, 15u), -128, 127);
	}
}
