//! The transformer steps (`kernels::transformer`) give the same bits on the
//! GPU (WGSL on lavapipe where there is no GPU), on the fast CPU path and
//! on the reference, on random shapes that are multiples of nothing in
//! particular (head dims above and below the 64-wide workgroups, sequence
//! lengths across the 64-position tiles), random values biased to the
//! extremes (saturation, all-zero rows, a huge ε), and grouped-query heads.

mod common;

use hypha_compute::kernels::transformer::{
	cpu, gpu, AttentionShape, RopeShape, Scale, MAX_RESIDUAL,
};
use hypha_compute::training::SplitMix64;
use proptest::prelude::*;

fn config() -> ProptestConfig {
	ProptestConfig { cases: 32, ..ProptestConfig::default() }
}

fn i8s(rng: &mut SplitMix64, len: usize, extreme: bool) -> Vec<i8> {
	(0..len)
		.map(|_| {
			let r = rng.next_u64();
			if extreme && r.is_multiple_of(3) {
				[i8::MIN, i8::MAX][(r >> 8) as usize % 2]
			} else {
				r as i8
			}
		})
		.collect()
}

fn scale() -> impl Strategy<Value = Scale> {
	(
		prop_oneof![1i32..=i32::MAX, Just(i32::MAX), Just(1), 1i32..100_000],
		prop_oneof![0u32..=62, 8u32..=30],
	)
		.prop_map(|(multiplier, shift)| Scale { multiplier, shift })
}

proptest! {
	#![proptest_config(config())]

	#[test]
	fn requantize_channels_gpu_equals_reference(
		rows in 1usize..9,
		channels in 1usize..70,
		scales in prop::collection::vec(scale(), 70),
		with_base in any::<bool>(),
		bounds in prop_oneof![Just((-128, 127)), Just((-(1 << 20), 1 << 20)), Just((-(1 << 28), 1 << 28)), Just((i32::MIN, i32::MAX))],
		seed in any::<u64>(),
	) {
		let mut rng = SplitMix64::new(seed);
		let acc: Vec<i32> = (0..rows * channels).map(|_| { let r = rng.next_u64(); r as i32 >> ((r >> 40) % 31) }).collect();
		let base: Vec<i32> = (0..rows * channels).map(|_| rng.next_u64() as i32 >> 8).collect();
		let base = with_base.then_some(&base[..]);
		let scales = &scales[..channels];
		let (lo, hi) = bounds;
		let expected = cpu::requantize_channels(&acc, scales, base, lo, hi).unwrap();
		prop_assert_eq!(gpu::requantize_channels(&common::gpu(), &acc, scales, base, lo, hi).unwrap(), expected);
	}

	#[test]
	fn rms_norm_gpu_and_fast_equal_reference(
		rows in 1usize..6,
		width in prop_oneof![1usize..8, 1usize..300, Just(64), Just(65)],
		magnitude in prop_oneof![Just(0u32), 0u32..4, 0u32..=20],
		eps in prop_oneof![Just(0u64), 0u64..1000, Just(u64::MAX), any::<u64>()],
		seed in any::<u64>(),
		extreme in any::<bool>(),
	) {
		let mut rng = SplitMix64::new(seed);
		let limit = (1i64 << magnitude).min(MAX_RESIDUAL as i64);
		let x: Vec<i32> = (0..rows * width)
			.map(|_| {
				let r = rng.next_u64();
				if extreme && r.is_multiple_of(4) { [-limit, limit][(r >> 9) as usize % 2] as i32 } else { ((r >> 1) as i64 % (2 * limit + 1) - limit) as i32 }
			})
			.collect();
		let gain: Vec<i32> = (0..width).map(|_| { let r = rng.next_u64(); if extreme { r as i32 } else { (r % (1 << 18)) as i32 } }).collect();
		let expected = cpu::rms_norm(&x, &gain, eps).unwrap();
		prop_assert_eq!(&cpu::rms_norm_fast(&x, &gain, eps).unwrap(), &expected);
		prop_assert_eq!(gpu::rms_norm(&common::gpu(), &x, &gain, eps).unwrap(), expected);
	}

	#[test]
	fn rope_gpu_equals_reference(
		rows in 1usize..10,
		heads in 1usize..5,
		half in 1usize..20,
		start in 0usize..30,
		seed in any::<u64>(),
		extreme in any::<bool>(),
	) {
		let mut rng = SplitMix64::new(seed);
		let head_dim = 2 * half;
		let width = heads * head_dim;
		let x = i8s(&mut rng, rows * width, extreme);
		let positions = start + rows + (seed % 3) as usize;
		let mut table = || -> Vec<i16> { (0..positions * half).map(|_| { let r = rng.next_u64(); if extreme && r.is_multiple_of(5) { [i16::MIN, i16::MAX][(r >> 7) as usize % 2] } else { r as i16 >> 1 } }).collect() };
		let (cos, sin) = (table(), table());
		let shape = RopeShape { rows, width, head_dim, start };
		let expected = cpu::rope(&x, shape, &cos, &sin).unwrap();
		prop_assert_eq!(gpu::rope(&common::gpu(), &x, shape, &cos, &sin).unwrap(), expected);
	}

	#[test]
	fn attention_gpu_and_fast_equal_reference(
		rows in 1usize..6,
		start in prop_oneof![0usize..4, 0usize..140],
		(kv_heads, group) in (1usize..4, 1usize..4),
		head_dim in prop_oneof![1usize..9, 1usize..140, Just(64), Just(65)],
		score in scale(),
		seed in any::<u64>(),
		extreme in any::<bool>(),
	) {
		let mut rng = SplitMix64::new(seed);
		let heads = kv_heads * group;
		let shape = AttentionShape { rows, start, heads, kv_heads, head_dim };
		let q = i8s(&mut rng, rows * heads * head_dim, extreme);
		let kv = shape.positions() * kv_heads * head_dim;
		let keys = i8s(&mut rng, kv, extreme);
		let values = i8s(&mut rng, kv, extreme);
		let expected = cpu::attention(&q, &keys, &values, shape, score).unwrap();
		prop_assert_eq!(&cpu::attention_fast(&q, &keys, &values, shape, score).unwrap(), &expected);
		prop_assert_eq!(gpu::attention(&common::gpu(), &q, &keys, &values, shape, score).unwrap(), expected);
	}

	#[test]
	fn silu_gate_gpu_equals_reference(len in 1usize..500, hidden in scale(), seed in any::<u64>(), extreme in any::<bool>()) {
		let mut rng = SplitMix64::new(seed);
		let g = i8s(&mut rng, len, extreme);
		let u = i8s(&mut rng, len, extreme);
		let table = i8s(&mut rng, 256, extreme);
		let expected = cpu::silu_gate(&g, &u, &table, hidden).unwrap();
		prop_assert_eq!(gpu::silu_gate(&common::gpu(), &g, &u, &table, hidden).unwrap(), expected);
	}
}

/// Softmax over a long row with a realistic score scale: the sums and the
/// reciprocal are exercised far from the saturated ends, across several
/// 64-position tiles, and the probabilities are not all one value.
#[test]
fn attention_gpu_equals_reference_over_a_long_cache() {
	let mut rng = SplitMix64::new(11);
	let shape = AttentionShape { rows: 3, start: 1000, heads: 4, kv_heads: 2, head_dim: 48 };
	let q = i8s(&mut rng, 3 * 4 * 48, false);
	let kv = shape.positions() * 2 * 48;
	let (keys, values) = (i8s(&mut rng, kv, false), i8s(&mut rng, kv, false));
	// s_q·s_k/√d·2^12 with scales near 1/32: small arguments, a spread softmax.
	let score = Scale { multiplier: 1 << 20, shift: 28 };
	let expected = cpu::attention(&q, &keys, &values, shape, score).unwrap();
	assert!(expected.iter().any(|&v| v != 0), "an all-zero output would test nothing");
	assert_eq!(gpu::attention(&common::gpu(), &q, &keys, &values, shape, score).unwrap(), expected);
}

/// Every path refuses the same bad calls with the same error.
#[test]
fn the_transformer_steps_refuse_bad_shapes_on_every_path() {
	let ctx = common::gpu();
	let one = Scale { multiplier: 1, shift: 0 };
	// A residual value beyond 2^20.
	let x = [MAX_RESIDUAL + 1, 0];
	assert!(cpu::rms_norm(&x, &[1, 1], 0).is_err());
	assert!(gpu::rms_norm(&ctx, &x, &[1, 1], 0).is_err());
	// A row width that does not divide x.
	assert!(cpu::rms_norm(&[1, 2, 3], &[1, 1], 0).is_err());
	// kv_heads that do not divide heads; keys too short.
	let shape = AttentionShape { rows: 1, start: 0, heads: 3, kv_heads: 2, head_dim: 2 };
	assert!(cpu::attention(&[0; 6], &[0; 4], &[0; 4], shape, one).is_err());
	assert!(gpu::attention(&ctx, &[0; 6], &[0; 4], &[0; 4], shape, one).is_err());
	let shape = AttentionShape { rows: 1, start: 1, heads: 2, kv_heads: 1, head_dim: 2 };
	assert!(cpu::attention(&[0; 4], &[0; 2], &[0; 4], shape, one).is_err());
	// A zero multiplier; an odd head; tables that miss the rows' positions.
	assert!(cpu::silu_gate(&[0], &[0], &[0; 256], Scale { multiplier: 0, shift: 0 }).is_err());
	let rope = RopeShape { rows: 2, width: 4, head_dim: 3, start: 0 };
	assert!(cpu::rope(&[0; 8], rope, &[0; 8], &[0; 8]).is_err());
	let rope = RopeShape { rows: 2, width: 4, head_dim: 4, start: 3 };
	assert!(cpu::rope(&[0; 8], rope, &[0; 8], &[0; 8]).is_err());
	assert!(gpu::rope(&ctx, &[0; 8], rope, &[0; 8], &[0; 8]).is_err());
	// lo above hi; channels that do not divide the accumulators.
	assert!(cpu::requantize_channels(&[0; 4], &[one], None, 1, 0).is_err());
	assert!(cpu::requantize_channels(&[0; 4], &[one; 3], None, 0, 1).is_err());
}
