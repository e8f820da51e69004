// The dot product of the four signed bytes of two words, with WGSL's
// packed_4x8_integer_dot_product (SPIR-V OpSDot where the device has
// integer dot products, naga's own expansion elsewhere).
fn dot4(a: u32, b: u32) -> i32 {
	return dot4I8Packed(a, b);
}

