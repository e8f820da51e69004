//! Run-time choice of where kernels run.
//!
//! `auto` takes a real GPU when wgpu finds one (adapter type other than
//! `Cpu`) and otherwise the fast CPU path: a software Vulkan driver such as
//! lavapipe gives the same bits but is slower than the CPU path, so `auto`
//! never picks it. `gpu` forces wgpu with whatever adapter it finds (this is
//! how tests run the GPU path on lavapipe), `cpu` the fast path, `reference`
//! the plain loops. The choice is logged.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::kernels::transformer::{self, AttentionShape, RopeShape, Scale};
use crate::kernels::{argmax, gemm_i8, matmul_fixed, mse_grad, requantize, sgd_update};
use crate::ComputeError;
use gemm_i8::GemmShape;
use matmul_fixed::{Epilogue, MatmulFixed};
use requantize::Requantization;
use sgd_update::LearningRate;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
	/// A real GPU if there is one, else the fast CPU path.
	#[default]
	Auto,
	/// The fast CPU path.
	Cpu,
	/// wgpu, on any adapter (software drivers included); an error if none.
	Gpu,
	/// The plain reference loops.
	Reference,
}

impl FromStr for BackendChoice {
	type Err = String;
	fn from_str(s: &str) -> Result<Self, Self::Err> {
		match s {
			"auto" => Ok(Self::Auto),
			"cpu" => Ok(Self::Cpu),
			"gpu" => Ok(Self::Gpu),
			"reference" => Ok(Self::Reference),
			other => {
				Err(format!("unknown backend `{other}` (expected auto, cpu, gpu or reference)"))
			},
		}
	}
}

impl<'de> serde::Deserialize<'de> for BackendChoice {
	/// The same names as [`FromStr`] (config files spell it like the flag).
	fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
		let name = <String as serde::Deserialize>::deserialize(deserializer)?;
		name.parse().map_err(serde::de::Error::custom)
	}
}

impl fmt::Display for BackendChoice {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(match self {
			Self::Auto => "auto",
			Self::Cpu => "cpu",
			Self::Gpu => "gpu",
			Self::Reference => "reference",
		})
	}
}

/// Where kernels run. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Backend {
	/// Plain loops ([`crate::kernels`]`::*::cpu::reference`).
	Reference,
	/// Multi-threaded, SIMD CPU path.
	Cpu,
	/// wgpu.
	#[cfg(feature = "gpu")]
	Gpu(Arc<crate::gpu::GpuContext>),
}

impl Backend {
	/// Resolves a choice to a backend, logging what was picked and why.
	pub fn select(choice: BackendChoice) -> Result<Self, ComputeError> {
		let backend = match choice {
			BackendChoice::Reference => Self::Reference,
			BackendChoice::Cpu => Self::Cpu,
			BackendChoice::Gpu => Self::gpu(&Default::default())?,
			BackendChoice::Auto => Self::auto(),
		};
		tracing::info!(requested = %choice, backend = %backend.describe(), "compute backend selected");
		Ok(backend)
	}

	/// Opens wgpu with `options` (an error if no adapter is found).
	#[cfg(feature = "gpu")]
	pub fn gpu(options: &crate::gpu::GpuOptions) -> Result<Self, ComputeError> {
		Ok(Self::Gpu(Arc::new(crate::gpu::GpuContext::new(options)?)))
	}

	/// Without the `gpu` feature there is no GPU backend.
	#[cfg(not(feature = "gpu"))]
	pub fn gpu(_options: &()) -> Result<Self, ComputeError> {
		Err(ComputeError::BackendUnavailable("built without the `gpu` feature".into()))
	}

	#[cfg(feature = "gpu")]
	fn auto() -> Self {
		match crate::gpu::GpuContext::new(&Default::default()) {
			Ok(ctx) if !ctx.is_software() => Self::Gpu(Arc::new(ctx)),
			Ok(ctx) => {
				tracing::info!(adapter = %ctx.adapter_info().name, "only a software GPU adapter; the CPU path is faster");
				Self::Cpu
			},
			Err(error) => {
				tracing::info!(%error, "no GPU adapter; using the CPU path");
				Self::Cpu
			},
		}
	}

	#[cfg(not(feature = "gpu"))]
	fn auto() -> Self {
		Self::Cpu
	}

	/// The backend as a provider registers it on chain: what its jobs really
	/// run on (the fast and the reference CPU paths are both `Cpu`; a GPU is
	/// named by the graphics API wgpu opened it with).
	pub fn registered(&self) -> hypha_primitives::Backend {
		match self {
			Self::Reference | Self::Cpu => hypha_primitives::Backend::Cpu,
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => match ctx.adapter_info().backend {
				wgpu::Backend::Vulkan => hypha_primitives::Backend::Vulkan,
				wgpu::Backend::Metal => hypha_primitives::Backend::Metal,
				wgpu::Backend::Dx12 => hypha_primitives::Backend::Dx12,
				wgpu::Backend::Gl => hypha_primitives::Backend::Gl,
				_ => hypha_primitives::Backend::Cpu,
			},
		}
	}

	/// A short description for logs and reports.
	pub fn describe(&self) -> String {
		match self {
			Self::Reference => "reference (plain CPU loops)".into(),
			Self::Cpu => format!("cpu (fast path, {} threads)", rayon::current_num_threads()),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => {
				let info = ctx.adapter_info();
				let dot = if ctx.packed_dot() { "dot4I8Packed" } else { "unpacked int8 dots" };
				format!("gpu ({}, {:?}, {:?}, {dot})", info.name, info.backend, info.device_type)
			},
		}
	}

	/// [`gemm_i8`].
	pub fn gemm_i8(
		&self,
		a: &[i8],
		w: &[i8],
		bias: &[i32],
		shape: GemmShape,
	) -> Result<Vec<i32>, ComputeError> {
		match self {
			Self::Reference => Ok(gemm_i8::cpu::reference(a, w, bias, shape)?),
			Self::Cpu => Ok(gemm_i8::cpu::fast(a, w, bias, shape)?),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => gemm_i8::gpu::run(ctx, a, w, bias, shape),
		}
	}

	/// [`gemm_i8`] with a weight matrix that many calls share: on the GPU it
	/// stays on the device from its first use until it is dropped, instead
	/// of being uploaded with every call. The same bits as [`Self::gemm_i8`].
	pub fn gemm_i8_shared(
		&self,
		a: &[i8],
		w: &Arc<[i8]>,
		bias: &[i32],
		shape: GemmShape,
	) -> Result<Vec<i32>, ComputeError> {
		match self {
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => gemm_i8::gpu::run_resident(ctx, a, w, bias, shape),
			_ => self.gemm_i8(a, w, bias, shape),
		}
	}

	/// [`requantize`].
	pub fn requantize(&self, acc: &[i32], q: &Requantization) -> Result<Vec<i8>, ComputeError> {
		match self {
			Self::Reference => Ok(requantize::cpu::reference(acc, q)?),
			Self::Cpu => Ok(requantize::cpu::fast(acc, q)?),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => requantize::gpu::run(ctx, acc, q),
		}
	}

	/// [`argmax`].
	pub fn argmax(
		&self,
		values: &[i32],
		rows: usize,
		cols: usize,
	) -> Result<Vec<u32>, ComputeError> {
		match self {
			Self::Reference => Ok(argmax::cpu::reference(values, rows, cols)?),
			Self::Cpu => Ok(argmax::cpu::fast(values, rows, cols)?),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => argmax::gpu::run(ctx, values, rows, cols),
		}
	}

	/// [`matmul_fixed`].
	pub fn matmul_fixed(
		&self,
		spec: &MatmulFixed,
		a: &[i32],
		b: &[i32],
		bias: &[i32],
		epilogue: Epilogue<'_>,
	) -> Result<Vec<i32>, ComputeError> {
		match self {
			Self::Reference => Ok(matmul_fixed::cpu::reference(spec, a, b, bias, epilogue)?),
			Self::Cpu => Ok(matmul_fixed::cpu::fast(spec, a, b, bias, epilogue)?),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => matmul_fixed::gpu::run(ctx, spec, a, b, bias, epilogue),
		}
	}

	/// [`mse_grad`].
	pub fn mse_grad(
		&self,
		z: &[i32],
		labels: &[u32],
		rows: usize,
		cols: usize,
		one: i32,
	) -> Result<Vec<i32>, ComputeError> {
		match self {
			Self::Reference | Self::Cpu => {
				Ok(mse_grad::cpu::reference(z, labels, rows, cols, one)?)
			},
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => mse_grad::gpu::run(ctx, z, labels, rows, cols, one),
		}
	}

	/// [`sgd_update`].
	pub fn sgd_update(
		&self,
		w: &[i32],
		g: &[i32],
		lr: &LearningRate,
	) -> Result<Vec<i32>, ComputeError> {
		match self {
			Self::Reference | Self::Cpu => Ok(sgd_update::cpu::reference(w, g, lr)?),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => sgd_update::gpu::run(ctx, w, g, lr),
		}
	}

	/// [`transformer::cpu::requantize_channels`].
	pub fn requantize_channels(
		&self,
		acc: &[i32],
		scales: &[Scale],
		base: Option<&[i32]>,
		lo: i32,
		hi: i32,
	) -> Result<Vec<i32>, ComputeError> {
		match self {
			Self::Reference | Self::Cpu => {
				Ok(transformer::cpu::requantize_channels(acc, scales, base, lo, hi)?)
			},
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => transformer::gpu::requantize_channels(ctx, acc, scales, base, lo, hi),
		}
	}

	/// [`transformer::cpu::rms_norm`].
	pub fn rms_norm(&self, x: &[i32], gain: &[i32], eps: u64) -> Result<Vec<i8>, ComputeError> {
		match self {
			Self::Reference => Ok(transformer::cpu::rms_norm(x, gain, eps)?),
			Self::Cpu => Ok(transformer::cpu::rms_norm_fast(x, gain, eps)?),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => transformer::gpu::rms_norm(ctx, x, gain, eps),
		}
	}

	/// [`transformer::cpu::rope`].
	pub fn rope(
		&self,
		x: &[i8],
		shape: RopeShape,
		cos: &[i16],
		sin: &[i16],
	) -> Result<Vec<i8>, ComputeError> {
		match self {
			Self::Reference | Self::Cpu => Ok(transformer::cpu::rope(x, shape, cos, sin)?),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => transformer::gpu::rope(ctx, x, shape, cos, sin),
		}
	}

	/// [`transformer::cpu::attention`].
	pub fn attention(
		&self,
		q: &[i8],
		keys: &[i8],
		values: &[i8],
		shape: AttentionShape,
		score: Scale,
	) -> Result<Vec<i8>, ComputeError> {
		match self {
			Self::Reference => Ok(transformer::cpu::attention(q, keys, values, shape, score)?),
			Self::Cpu => Ok(transformer::cpu::attention_fast(q, keys, values, shape, score)?),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => transformer::gpu::attention(ctx, q, keys, values, shape, score),
		}
	}

	/// [`transformer::cpu::silu_gate`].
	pub fn silu_gate(
		&self,
		g: &[i8],
		u: &[i8],
		table: &[i8],
		hidden: Scale,
	) -> Result<Vec<i8>, ComputeError> {
		match self {
			Self::Reference | Self::Cpu => Ok(transformer::cpu::silu_gate(g, u, table, hidden)?),
			#[cfg(feature = "gpu")]
			Self::Gpu(ctx) => transformer::gpu::silu_gate(ctx, g, u, table, hidden),
		}
	}
}
