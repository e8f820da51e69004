//! The GPU path (WGSL on wgpu, forced onto Vulkan) equals the CPU reference
//! bit for bit, on random shapes and values, including shapes that are not
//! multiples of the workgroup size, K = 1, and saturation extremes.

mod common;

use hypha_compute::kernels::gemm_i8::gpu::Dot4;
use hypha_compute::kernels::gemm_i8::{self, GemmShape};
use hypha_compute::kernels::matmul_fixed::{self, Epilogue, MatmulFixed, MatrixView};
use hypha_compute::kernels::requantize::{self, Requantization};
use hypha_compute::kernels::sgd_update::{self, LearningRate};
use hypha_compute::kernels::{argmax, mse_grad};
use proptest::prelude::*;

fn config() -> ProptestConfig {
	ProptestConfig { cases: 32, ..ProptestConfig::default() }
}

/// Values biased towards the extremes so saturation and wrapping are hit.
fn any_i32() -> impl Strategy<Value = i32> {
	prop_oneof![
		3 => any::<i32>(),
		1 => prop_oneof![Just(i32::MIN), Just(i32::MAX), Just(0), Just(-1), Just(1)],
		2 => -70_000i32..70_000,
	]
}

fn any_i8() -> impl Strategy<Value = i8> {
	prop_oneof![3 => any::<i8>(), 1 => prop_oneof![Just(i8::MIN), Just(i8::MAX)]]
}

fn gemm_case() -> impl Strategy<Value = (GemmShape, Vec<i8>, Vec<i8>, Vec<i32>)> {
	(1usize..40, prop_oneof![Just(1usize), 1usize..70], 1usize..40).prop_flat_map(|(m, k, n)| {
		(
			Just(GemmShape { m, k, n }),
			prop::collection::vec(any_i8(), m * k),
			prop::collection::vec(any_i8(), n * k),
			prop::collection::vec(any_i32(), n),
		)
	})
}

proptest! {
	#![proptest_config(config())]

	#[test]
	fn gemm_i8_gpu_equals_reference((shape, a, w, bias) in gemm_case()) {
		let expected = gemm_i8::cpu::reference(&a, &w, &bias, shape).unwrap();
		prop_assert_eq!(&gemm_i8::gpu::run(&common::gpu(), &a, &w, &bias, shape).unwrap(), &expected);
		// Both ways of taking the four-byte dot products give the same bits.
		for dot in [Dot4::Packed, Dot4::Unpacked] {
			prop_assert_eq!(&gemm_i8::gpu::run_with(&common::gpu(), dot, &a, &w, &bias, shape).unwrap(), &expected, "{:?}", dot);
		}
	}

	#[test]
	fn requantize_gpu_equals_reference(
		acc in prop::collection::vec(any_i32(), 1..300),
		multiplier in prop_oneof![1i32..=i32::MAX, Just(i32::MAX), Just(1)],
		shift in 0u32..=62,
		relu in any::<bool>(),
	) {
		let q = Requantization { multiplier, shift, relu };
		let expected = requantize::cpu::reference(&acc, &q).unwrap();
		prop_assert_eq!(requantize::gpu::run(&common::gpu(), &acc, &q).unwrap(), expected);
	}

	#[test]
	fn argmax_gpu_equals_reference(rows in 1usize..100, cols in 1usize..20, seed in any::<u64>()) {
		// Few distinct values, so ties are common.
		let mut rng = hypha_compute::training::SplitMix64::new(seed);
		let values: Vec<i32> = (0..rows * cols).map(|_| (rng.next_u64() % 5) as i32 - 2).collect();
		let expected = argmax::cpu::reference(&values, rows, cols).unwrap();
		prop_assert_eq!(argmax::gpu::run(&common::gpu(), &values, rows, cols).unwrap(), expected);
	}

	#[test]
	fn matmul_fixed_gpu_equals_reference(
		(m, k, n) in (1usize..24, prop_oneof![Just(1usize), 1usize..40], 1usize..24),
		transpose_a in any::<bool>(),
		transpose_b in any::<bool>(),
		shift in prop_oneof![0u32..=20, 0u32..=62],
		mode in 0u8..3,
		seed in any::<u64>(),
		extreme in any::<bool>(),
	) {
		let mut rng = hypha_compute::training::SplitMix64::new(seed);
		let mut draw = |len: usize| -> Vec<i32> {
			(0..len)
				.map(|_| {
					let r = rng.next_u64();
					if extreme { [i32::MIN, i32::MAX, -1, 1][(r % 4) as usize] } else { r as i32 >> (r % 31) }
				})
				.collect()
		};
		let a = draw(m * k);
		let b = draw(k * n);
		let bias = draw(n);
		let mask = draw(m * n);
		let a_view = if transpose_a { MatrixView::row_major(k, m).transposed() } else { MatrixView::row_major(m, k) };
		let b_view = if transpose_b { MatrixView::row_major(n, k).transposed() } else { MatrixView::row_major(k, n) };
		let spec = MatmulFixed { a: a_view, b: b_view, shift };
		let epilogue = match mode { 0 => Epilogue::None, 1 => Epilogue::Relu, _ => Epilogue::Mask(&mask) };
		let expected = matmul_fixed::cpu::reference(&spec, &a, &b, &bias, epilogue).unwrap();
		prop_assert_eq!(matmul_fixed::gpu::run(&common::gpu(), &spec, &a, &b, &bias, epilogue).unwrap(), expected);
	}

	#[test]
	fn mse_grad_gpu_equals_reference(rows in 1usize..80, cols in 1usize..12, seed in any::<u64>(), one in any_i32()) {
		let mut rng = hypha_compute::training::SplitMix64::new(seed);
		let z: Vec<i32> = (0..rows * cols).map(|_| rng.next_u64() as i32).collect();
		let labels: Vec<u32> = (0..rows).map(|_| (rng.next_u64() % cols as u64) as u32).collect();
		let expected = mse_grad::cpu::reference(&z, &labels, rows, cols, one).unwrap();
		prop_assert_eq!(mse_grad::gpu::run(&common::gpu(), &z, &labels, rows, cols, one).unwrap(), expected);
	}

	#[test]
	fn sgd_update_gpu_equals_reference(
		pairs in prop::collection::vec((any_i32(), any_i32()), 1..300),
		multiplier in any_i32(),
		shift in 0u32..=62,
	) {
		let (w, g): (Vec<i32>, Vec<i32>) = pairs.into_iter().unzip();
		let lr = LearningRate { multiplier, shift };
		let expected = sgd_update::cpu::reference(&w, &g, &lr).unwrap();
		prop_assert_eq!(sgd_update::gpu::run(&common::gpu(), &w, &g, &lr).unwrap(), expected);
	}
}

#[test]
fn gemm_i8_gpu_equals_reference_at_256_with_wrapping_accumulators() {
	// All -128: every product is 16384, so K = 256 sums reach 2^22 and a
	// large bias pushes the accumulator through i32::MAX (it must wrap).
	let shape = GemmShape { m: 256, k: 256, n: 256 };
	let a = vec![i8::MIN; 256 * 256];
	let w = vec![i8::MIN; 256 * 256];
	let bias: Vec<i32> = (0..256).map(|i| i32::MAX - i).collect();
	let expected = gemm_i8::cpu::reference(&a, &w, &bias, shape).unwrap();
	assert!(expected.iter().all(|&v| v < 0), "the accumulators wrapped");
	for dot in [Dot4::Packed, Dot4::Unpacked] {
		assert_eq!(
			gemm_i8::gpu::run_with(&common::gpu(), dot, &a, &w, &bias, shape).unwrap(),
			expected
		);
	}
}

#[test]
fn requantize_gpu_saturates_like_reference_at_the_extremes() {
	let acc = vec![i32::MIN, i32::MAX, -1, 0, 1, 255, -255, 1 << 30, -(1 << 30)];
	for shift in [0, 1, 31, 32, 33, 62] {
		for relu in [false, true] {
			let q = Requantization { multiplier: i32::MAX, shift, relu };
			assert_eq!(
				requantize::gpu::run(&common::gpu(), &acc, &q).unwrap(),
				requantize::cpu::reference(&acc, &q).unwrap(),
				"shift {shift}, relu {relu}"
			);
		}
	}
}

#[test]
fn gpu_adapter_is_vulkan() {
	assert_eq!(common::gpu().adapter_info().backend, wgpu::Backend::Vulkan);
}

#[test]
fn the_gpu_path_takes_its_int8_dot_products_with_dot4i8packed() {
	// wgpu's WGSL front end has packed_4x8_integer_dot_product on Vulkan,
	// so `gemm_i8::gpu::run` takes the packed kernel.
	assert!(common::gpu().packed_dot());
}

#[test]
fn resident_weights_give_the_same_bits_stay_on_the_device_and_leave_with_their_matrix() {
	let ctx = common::gpu();
	let mut rng = hypha_compute::training::SplitMix64::new(5);
	let mut draw = |len: usize| -> Vec<i8> { (0..len).map(|_| rng.next_u64() as i8).collect() };
	let shape = GemmShape { m: 3, k: 37, n: 11 };
	let a = draw(3 * 37);
	let w: std::sync::Arc<[i8]> = draw(37 * 11).into();
	let bias = vec![7; 11];
	let expected = gemm_i8::cpu::reference(&a, &w, &bias, shape).unwrap();
	let before = ctx.resident_matrices();
	assert_eq!(gemm_i8::gpu::run_resident(&ctx, &a, &w, &bias, shape).unwrap(), expected);
	assert_eq!(ctx.resident_matrices(), before + 1, "the matrix stays on the device");
	// Later calls reuse it, with other activations too.
	assert_eq!(gemm_i8::gpu::run_resident(&ctx, &a, &w, &bias, shape).unwrap(), expected);
	let b = draw(3 * 37);
	assert_eq!(
		gemm_i8::gpu::run_resident(&ctx, &b, &w, &bias, shape).unwrap(),
		gemm_i8::cpu::reference(&b, &w, &bias, shape).unwrap()
	);
	assert_eq!(ctx.resident_matrices(), before + 1);
	// The same bytes read as another shape are packed again, not reused.
	let other = GemmShape { m: 3, k: 11, n: 37 };
	let (a11, bias37) = (draw(3 * 11), vec![0; 37]);
	assert_eq!(
		gemm_i8::gpu::run_resident(&ctx, &a11, &w, &bias37, other).unwrap(),
		gemm_i8::cpu::reference(&a11, &w, &bias37, other).unwrap()
	);
	// Once the matrix is dropped, a new one (at whatever address) is its
	// own, and the old one leaves the device.
	drop(w);
	let w2: std::sync::Arc<[i8]> = draw(37 * 11).into();
	assert_eq!(
		gemm_i8::gpu::run_resident(&ctx, &a, &w2, &bias, shape).unwrap(),
		gemm_i8::cpu::reference(&a, &w2, &bias, shape).unwrap()
	);
	assert_eq!(ctx.resident_matrices(), before + 1);
}
