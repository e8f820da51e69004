//! GEMM and training benchmarks.
//!
//! `cargo bench -p hypha-compute --bench gemm -- --warm-up-time 1 --measurement-time 3`
//!
//! Throughput is reported in "elements" per second where one element is one
//! arithmetic operation (a multiply-add counts 2), so `Gelem/s` reads as GOPS.
//! The wgpu group runs on whatever Vulkan adapter is present (lavapipe on a
//! machine without a GPU: for the record, it is slower than the CPU path);
//! it is skipped with a message if there is none.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hypha_compute::gpu::{GpuContext, GpuOptions};
use hypha_compute::kernels::gemm_i8::{self, GemmShape};
use hypha_compute::kernels::sgd_update::LearningRate;
use hypha_compute::training::{Dataset, FixedMlp, SplitMix64, TrainingConfig, TrainingJob};
use hypha_compute::Backend;
use std::hint::black_box;

fn operands(size: usize) -> (Vec<i8>, Vec<i8>, Vec<i32>) {
	let mut rng = SplitMix64::new(size as u64);
	let a = (0..size * size).map(|_| rng.next_u64() as i8).collect();
	let w = (0..size * size).map(|_| rng.next_u64() as i8).collect();
	let bias = (0..size).map(|_| rng.next_u64() as i32 >> 8).collect();
	(a, w, bias)
}

fn sizes() -> Vec<usize> {
	match std::env::var("HYPHA_BENCH_SIZES") {
		Ok(list) => list.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
		Err(_) => vec![256, 512, 1024],
	}
}

fn gemm(c: &mut Criterion) {
	let mut group = c.benchmark_group("gemm");
	group.sample_size(10);
	for size in sizes() {
		let shape = GemmShape { m: size, k: size, n: size };
		let ops = 2 * (size as u64).pow(3);
		group.throughput(Throughput::Elements(ops));
		let (a, w, bias) = operands(size);
		group.bench_with_input(BenchmarkId::new("int8_fast_cpu", size), &size, |b, _| {
			b.iter(|| gemm_i8::cpu::fast(black_box(&a), black_box(&w), &bias, shape).unwrap())
		});
		// One thread, for a per-core comparison with matrixmultiply (which
		// runs on one thread) and because a loaded machine starves the pool.
		let single = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
		for simd in gemm_i8::cpu::Simd::available() {
			let name = format!("int8_fast_cpu_1thread_{simd:?}");
			group.bench_with_input(BenchmarkId::new(name, size), &size, |b, _| {
				b.iter(|| {
					single.install(|| {
						gemm_i8::cpu::fast_with(simd, black_box(&a), black_box(&w), &bias, shape)
							.unwrap()
					})
				})
			});
		}
		group.bench_with_input(BenchmarkId::new("int8_reference", size), &size, |b, _| {
			b.iter(|| gemm_i8::cpu::reference(black_box(&a), black_box(&w), &bias, shape).unwrap())
		});
		let af: Vec<f32> = a.iter().map(|&x| x as f32).collect();
		let wf: Vec<f32> = w.iter().map(|&x| x as f32).collect();
		let mut out = vec![0f32; size * size];
		group.bench_with_input(BenchmarkId::new("f32_matrixmultiply", size), &size, |b, _| {
			b.iter(|| {
				// out = a · wᵀ, the same product as gemm_i8 (w is [n, k]).
				#[allow(unsafe_code)]
				// SAFETY: the pointers and strides describe the three size×size buffers above.
				unsafe {
					matrixmultiply::sgemm(
						size,
						size,
						size,
						1.0,
						af.as_ptr(),
						size as isize,
						1,
						wf.as_ptr(),
						1,
						size as isize,
						0.0,
						out.as_mut_ptr(),
						size as isize,
						1,
					)
				};
				black_box(&out);
			})
		});
	}
	group.finish();
}

fn gemm_wgpu(c: &mut Criterion) {
	let ctx = match GpuContext::new(&GpuOptions { backends: Some(wgpu::Backends::VULKAN) }) {
		Ok(ctx) => ctx,
		Err(error) => {
			eprintln!("skipping the wgpu benchmarks: {error}");
			return;
		},
	};
	eprintln!("wgpu adapter: {:?}", ctx.adapter_info());
	let mut group = c.benchmark_group("gemm_wgpu");
	group.sample_size(10);
	let limit: usize =
		std::env::var("HYPHA_BENCH_GPU_MAX").ok().and_then(|s| s.parse().ok()).unwrap_or(512);
	for size in sizes().into_iter().filter(|&s| s <= limit) {
		let shape = GemmShape { m: size, k: size, n: size };
		group.throughput(Throughput::Elements(2 * (size as u64).pow(3)));
		let (a, w, bias) = operands(size);
		group.bench_with_input(BenchmarkId::new("int8_wgpu", size), &size, |b, _| {
			b.iter(|| gemm_i8::gpu::run(&ctx, black_box(&a), black_box(&w), &bias, shape).unwrap())
		});
	}
	group.finish();
}

fn digits_training(c: &mut Criterion) {
	let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.safetensors");
	let bytes = std::fs::read(path).expect("data/digits.safetensors");
	let data = Dataset::from_safetensors(&bytes, "train_images", "train_labels").unwrap();
	let samples = data.samples as u64;
	let config = TrainingConfig {
		epochs: 1,
		batch_size: 32,
		learning_rate: LearningRate { multiplier: 1, shift: 9 },
		seed: 1,
		input_frac_bits: 4,
	};
	let job = TrainingJob::new(FixedMlp::init(&[64, 32, 10], 1).unwrap(), data, config).unwrap();
	let mut group = c.benchmark_group("digits_training");
	group.sample_size(10);
	group.throughput(Throughput::Elements(samples));
	for (name, backend) in [("fast_cpu", Backend::Cpu), ("reference", Backend::Reference)] {
		group.bench_function(BenchmarkId::new("epoch", name), |b| {
			b.iter(|| job.run(&backend).unwrap())
		});
	}
	group.finish();
}

criterion_group!(benches, gemm, gemm_wgpu, digits_training);
criterion_main!(benches);
