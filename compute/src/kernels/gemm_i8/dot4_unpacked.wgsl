// The dot product of the four signed bytes of two words, each byte
// sign-extended: for a WGSL implementation without
// packed_4x8_integer_dot_product.
fn unpack(x: u32) -> vec4<i32> {
	let v = bitcast<i32>(x);
	return vec4<i32>(extractBits(v, 0u, 8u), extractBits(v, 8u, 8u), extractBits(v, 16u, 8u), extractBits(v, 24u, 8u));
}

fn dot4(a: u32, b: u32) -> i32 {
	return dot(unpack(a), unpack(b));
}

