//! The fast CPU path equals the CPU reference bit for bit.

use hypha_compute::kernels::argmax;
use hypha_compute::kernels::gemm_i8::{self, GemmShape};
use hypha_compute::kernels::matmul_fixed::{self, Epilogue, MatmulFixed, MatrixView};
use hypha_compute::kernels::requantize::{self, Requantization};
use proptest::prelude::*;

fn any_i8() -> impl Strategy<Value = i8> {
	prop_oneof![3 => any::<i8>(), 1 => prop_oneof![Just(i8::MIN), Just(i8::MAX)]]
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

	#[test]
	fn gemm_i8_fast_equals_reference(
		(shape, a, w, bias) in (1usize..70, prop_oneof![Just(1usize), 1usize..100], 1usize..70).prop_flat_map(|(m, k, n)| (
			Just(GemmShape { m, k, n }),
			prop::collection::vec(any_i8(), m * k),
			prop::collection::vec(any_i8(), n * k),
			prop::collection::vec(any::<i32>(), n),
		))
	) {
		let expected = gemm_i8::cpu::reference(&a, &w, &bias, shape).unwrap();
		for simd in gemm_i8::cpu::Simd::available() {
			prop_assert_eq!(&gemm_i8::cpu::fast_with(simd, &a, &w, &bias, shape).unwrap(), &expected, "{:?}", simd);
		}
	}

	#[test]
	fn requantize_fast_equals_reference(
		acc in prop::collection::vec(any::<i32>(), 1..5000),
		multiplier in 1i32..=i32::MAX,
		shift in 0u32..=62,
		relu in any::<bool>(),
	) {
		let q = Requantization { multiplier, shift, relu };
		prop_assert_eq!(requantize::cpu::fast(&acc, &q).unwrap(), requantize::cpu::reference(&acc, &q).unwrap());
	}

	#[test]
	fn argmax_fast_equals_reference(values in prop::collection::vec(-3i32..3, 1..2000), cols in 1usize..10) {
		let rows = values.len() / cols;
		prop_assume!(rows > 0);
		let values = &values[..rows * cols];
		prop_assert_eq!(argmax::cpu::fast(values, rows, cols).unwrap(), argmax::cpu::reference(values, rows, cols).unwrap());
	}

	#[test]
	fn matmul_fixed_fast_equals_reference(
		(m, k, n) in (1usize..40, 1usize..40, 1usize..40),
		transpose_a in any::<bool>(),
		shift in 0u32..=62,
		seed in any::<u64>(),
	) {
		let mut rng = hypha_compute::training::SplitMix64::new(seed);
		let mut draw = |len: usize| -> Vec<i32> { (0..len).map(|_| rng.next_u64() as i32).collect() };
		let (a, b, bias, mask) = (draw(m * k), draw(k * n), draw(n), draw(m * n));
		let a_view = if transpose_a { MatrixView::row_major(k, m).transposed() } else { MatrixView::row_major(m, k) };
		let spec = MatmulFixed { a: a_view, b: MatrixView::row_major(k, n), shift };
		for epilogue in [Epilogue::None, Epilogue::Relu, Epilogue::Mask(&mask)] {
			prop_assert_eq!(
				matmul_fixed::cpu::fast(&spec, &a, &b, &bias, epilogue).unwrap(),
				matmul_fixed::cpu::reference(&spec, &a, &b, &bias, epilogue).unwrap()
			);
		}
	}
}

#[test]
fn gemm_i8_fast_equals_reference_on_a_large_wrapping_product() {
	let (m, k, n) = (67, 515, 33);
	let a: Vec<i8> =
		(0..m * k).map(|i| if i % 3 == 0 { i8::MIN } else { (i % 251) as i8 }).collect();
	let w: Vec<i8> =
		(0..n * k).map(|i| if i % 5 == 0 { i8::MIN } else { (i % 241) as i8 }).collect();
	let bias: Vec<i32> = (0..n).map(|i| i32::MAX - i as i32 * 1000).collect();
	let shape = GemmShape { m, k, n };
	let expected = gemm_i8::cpu::reference(&a, &w, &bias, shape).unwrap();
	for simd in gemm_i8::cpu::Simd::available() {
		assert_eq!(
			gemm_i8::cpu::fast_with(simd, &a, &w, &bias, shape).unwrap(),
			expected,
			"{simd:?}"
		);
	}
}

#[test]
fn the_simd_levels_tested_above_are_every_one_this_cpu_has() {
	// The equality tests above loop over `available()`: if it missed a level
	// the CPU has, that level's bits would go untested.
	use gemm_i8::cpu::Simd;
	let mut expected = vec![Simd::Portable];
	#[cfg(target_arch = "x86_64")]
	{
		if std::is_x86_feature_detected!("avx2") {
			expected.push(Simd::Avx2);
		}
		if std::is_x86_feature_detected!("avx512f")
			&& std::is_x86_feature_detected!("avx512bw")
			&& std::is_x86_feature_detected!("avx512vnni")
		{
			expected.push(Simd::Avx512Vnni);
		}
		// Every x86_64 machine this project builds on has AVX2 at least.
		assert!(expected.len() > 1, "no AVX2 on this x86_64 CPU");
	}
	assert_eq!(Simd::available(), expected);
	assert_eq!(Simd::best(), *expected.last().unwrap());
}

#[test]
fn kernels_reject_buffers_that_do_not_match_their_shape() {
	let shape = GemmShape { m: 2, k: 3, n: 4 };
	assert!(gemm_i8::cpu::fast(&[0; 5], &[0; 12], &[0; 4], shape).is_err());
	assert!(gemm_i8::cpu::reference(&[0; 6], &[0; 12], &[0; 3], shape).is_err());
	assert!(gemm_i8::cpu::reference(&[], &[], &[], GemmShape { m: 0, k: 0, n: 0 }).is_err());
	let q = Requantization { multiplier: 0, shift: 1, relu: false };
	assert!(requantize::cpu::reference(&[1], &q).is_err());
	let q = Requantization { multiplier: 1, shift: 63, relu: false };
	assert!(requantize::cpu::reference(&[1], &q).is_err());
	let spec =
		MatmulFixed { a: MatrixView::row_major(2, 3), b: MatrixView::row_major(2, 3), shift: 0 };
	assert!(matmul_fixed::cpu::reference(&spec, &[0; 6], &[0; 6], &[0; 3], Epilogue::None).is_err());
	assert!(argmax::cpu::reference(&[1, 2, 3], 2, 2).is_err());
}

#[test]
fn matmul_fixed_fast_equals_reference_on_a_product_large_enough_to_run_in_parallel() {
	let (m, k, n) = (130, 128, 97);
	let mut rng = hypha_compute::training::SplitMix64::new(42);
	let mut draw =
		|len: usize| -> Vec<i32> { (0..len).map(|_| rng.next_u64() as i32 >> 3).collect() };
	let (a, b, bias, mask) = (draw(m * k), draw(k * n), draw(n), draw(m * n));
	let spec = MatmulFixed {
		a: MatrixView::row_major(k, m).transposed(),
		b: MatrixView::row_major(k, n),
		shift: 17,
	};
	for epilogue in [Epilogue::None, Epilogue::Relu, Epilogue::Mask(&mask)] {
		assert_eq!(
			matmul_fixed::cpu::fast(&spec, &a, &b, &bias, epilogue).unwrap(),
			matmul_fixed::cpu::reference(&spec, &a, &b, &bias, epilogue).unwrap()
		);
	}
}
