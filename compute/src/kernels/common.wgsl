// Shared integer helpers, prepended to every kernel that needs 64-bit values.
// WGSL has no i64: a 64-bit two's complement value is a vec2<u32> (x = low
// word, y = high word). These functions mirror compute/src/fixed.rs exactly.

// Full 64-bit product of two u32, via 16-bit limbs.
fn mul_u32_wide(a: u32, b: u32) -> vec2<u32> {
	let a0 = a & 0xffffu;
	let a1 = a >> 16u;
	let b0 = b & 0xffffu;
	let b1 = b >> 16u;
	let p00 = a0 * b0;
	let p01 = a0 * b1;
	let p10 = a1 * b0;
	let p11 = a1 * b1;
	let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
	let lo = (p00 & 0xffffu) | (mid << 16u);
	let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
	return vec2<u32>(lo, hi);
}

// Exact i32 * i32 as a 64-bit two's complement value.
fn mul_i32_wide(a: i32, b: i32) -> vec2<u32> {
	let ua = bitcast<u32>(a);
	let ub = bitcast<u32>(b);
	var p = mul_u32_wide(ua, ub);
	if (a < 0) {
		p.y = p.y - ub;
	}
	if (b < 0) {
		p.y = p.y - ua;
	}
	return p;
}

// Sign-extends an i32 to 64 bits.
fn i64_from_i32(a: i32) -> vec2<u32> {
	return vec2<u32>(bitcast<u32>(a), select(0u, 0xffffffffu, a < 0));
}

// Wrapping 64-bit addition.
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
	let lo = a.x + b.x;
	let carry = select(0u, 1u, lo < a.x);
	return vec2<u32>(lo, a.y + b.y + carry);
}

// Wrapping 64-bit negation.
fn neg64(a: vec2<u32>) -> vec2<u32> {
	let lo = ~a.x + 1u;
	let carry = select(0u, 1u, lo == 0u);
	return vec2<u32>(lo, ~a.y + carry);
}

// Logical right shift of a 64-bit value, 0 <= s <= 63.
fn shr64(a: vec2<u32>, s: u32) -> vec2<u32> {
	if (s == 0u) {
		return a;
	}
	if (s < 32u) {
		return vec2<u32>((a.x >> s) | (a.y << (32u - s)), a.y >> s);
	}
	return vec2<u32>(a.y >> (s - 32u), 0u);
}

// 1 << s as a 64-bit value, 0 <= s <= 63.
fn pow2_64(s: u32) -> vec2<u32> {
	if (s < 32u) {
		return vec2<u32>(1u << s, 0u);
	}
	return vec2<u32>(0u, 1u << (s - 32u));
}

// value / 2^shift, rounded to nearest with ties away from zero (fixed.rs: round_shift_i64).
fn round_shift64(v: vec2<u32>, shift: u32) -> vec2<u32> {
	if (shift == 0u) {
		return v;
	}
	let negative = (v.y >> 31u) == 1u;
	let magnitude = select(v, neg64(v), negative);
	let rounded = shr64(add64(magnitude, pow2_64(shift - 1u)), shift);
	return select(rounded, neg64(rounded), negative);
}

// Clamps a 64-bit value into [lo, hi] (fixed.rs: saturate).
fn saturate64(v: vec2<u32>, lo: i32, hi: i32) -> i32 {
	let high = bitcast<i32>(v.y);
	let low_signed = bitcast<i32>(v.x);
	// The value fits in i32 exactly when the high word is the sign extension
	// of the low word.
	let fits = (high == 0 && low_signed >= 0) || (high == -1 && low_signed < 0);
	var value: i32;
	if (fits) {
		value = low_signed;
	} else if (high < 0) {
		value = lo;
	} else {
		value = hi;
	}
	return clamp(value, lo, hi);
}

// a - b, wrapping.
fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
	return add64(a, neg64(b));
}

// a >= b, both unsigned 64-bit.
fn ge64(a: vec2<u32>, b: vec2<u32>) -> bool {
	return a.y > b.y || (a.y == b.y && a.x >= b.x);
}

// Left shift of a 64-bit value, 0 <= s <= 63, dropping the bits shifted out.
fn shl64(a: vec2<u32>, s: u32) -> vec2<u32> {
	if (s == 0u) {
		return a;
	}
	if (s < 32u) {
		return vec2<u32>(a.x << s, (a.y << s) | (a.x >> (32u - s)));
	}
	return vec2<u32>(0u, a.x << (s - 32u));
}

// Unsigned 64-bit addition that stops at 2^64 - 1 (u64::saturating_add).
fn add64_saturating(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
	let sum = add64(a, b);
	if (!ge64(sum, a)) {
		return vec2<u32>(0xffffffffu, 0xffffffffu);
	}
	return sum;
}

// Quotient and remainder of an unsigned 64-bit value by a nonzero u32, by
// long division: returns (quotient low, quotient high, remainder).
fn divmod64_32(n: vec2<u32>, d: u32) -> vec3<u32> {
	var q = vec2<u32>(0u, 0u);
	var r = 0u;
	for (var i = 0u; i < 64u; i = i + 1u) {
		let bit = 63u - i;
		var nb: u32;
		if (bit >= 32u) {
			nb = (n.y >> (bit - 32u)) & 1u;
		} else {
			nb = (n.x >> bit) & 1u;
		}
		// r < d < 2^32 before the shift; the bit shifted out of r (top)
		// makes the true value at least 2^32 > d.
		let top = r >> 31u;
		r = (r << 1u) | nb;
		if (top == 1u || r >= d) {
			r = r - d;
			if (bit >= 32u) {
				q.y = q.y | (1u << (bit - 32u));
			} else {
				q.x = q.x | (1u << bit);
			}
		}
	}
	return vec3<u32>(q.x, q.y, r);
}

// floor(sqrt(n)) of an unsigned 64-bit value (u64::isqrt), digit by digit.
fn isqrt64(n: vec2<u32>) -> u32 {
	var op = n;
	var res = vec2<u32>(0u, 0u);
	var one = pow2_64(62u);
	for (var i = 0u; i < 32u; i = i + 1u) {
		if (ge64(op, one) || (one.x == 0u && one.y == 0u)) {
			break;
		}
		one = shr64(one, 2u);
	}
	for (var i = 0u; i < 32u; i = i + 1u) {
		if (one.x == 0u && one.y == 0u) {
			break;
		}
		let t = add64(res, one);
		if (ge64(op, t)) {
			op = sub64(op, t);
			res = add64(shr64(res, 1u), one);
		} else {
			res = shr64(res, 1u);
		}
		one = shr64(one, 2u);
	}
	return res.x;
}

// a * b for an i32 and an unsigned 64-bit b, wrapping modulo 2^64 (i64
// multiplication in two's complement).
fn mul_i32_u64(a: i32, b: vec2<u32>) -> vec2<u32> {
	let magnitude = select(bitcast<u32>(a), ~bitcast<u32>(a) + 1u, a < 0);
	var p = mul_u32_wide(magnitude, b.x);
	p.y = p.y + magnitude * b.y;
	return select(p, neg64(p), a < 0);
}

// round_shift on an i32 whose magnitude plus 2^(shift-1) fits in u32,
// 0 <= shift <= 31.
fn round_shift32(v: i32, shift: u32) -> i32 {
	if (shift == 0u) {
		return v;
	}
	let magnitude = select(bitcast<u32>(v), ~bitcast<u32>(v) + 1u, v < 0);
	let rounded = bitcast<i32>((magnitude + (1u << (shift - 1u))) >> shift);
	return select(rounded, -rounded, v < 0);
}
