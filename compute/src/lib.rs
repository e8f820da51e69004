//! # Hypha compute: deterministic integer workloads
//!
//! Verification by re-execution only works if an honest re-run gives the same
//! bits everywhere. Every workload here is integer-only, with one rounding
//! rule and wrapping sums ([`fixed`]), so the GPU (WGSL through wgpu), the
//! fast CPU path and the plain CPU reference agree bit for bit.
//!
//! ## Layout
//!
//! - [`kernels`]: one module per kernel (`gemm_i8`, `requantize`, `argmax`
//!   for inference; `matmul_fixed`, `mse_grad`, `sgd_update` for training),
//!   each with `cpu.rs` (reference and fast path), `gpu.rs` and its `.wgsl`.
//! - [`layer`]: one dense int8 layer on the reference kernels, `no_std` +
//!   `alloc`, for a runtime that one day settles a dispute by recomputing it.
//! - [`backend`]: picks GPU, fast CPU or reference at run time.
//! - [`network`], [`tensors`], [`spec`], [`output`]: job formats (a declared
//!   network description, safetensors models and data, a TOML job spec, a
//!   canonical output encoding with its blake2-256 digest).
//! - [`inference`], [`training`], [`quantize`]: the two job kinds and the
//!   bridge from a trained fixed-point MLP to an int8 inference model.
//! - [`lm`]: integer-only transformer language models (Llama family):
//!   import from a Hugging Face checkpoint, generation and scoring.
//! - [`package`]: job packaging for the marketplace: a spec file into the
//!   program and input blobs of a chain job, those blobs back into a
//!   runnable job (worker and verifier alike), and the compute units the
//!   job declares.
//!
//! ## Features
//!
//! `std` (default) brings everything but `fixed`, `error`, the references
//! and `layer`; `gpu` (default) adds wgpu. `--no-default-features` builds
//! the `no_std` core.
//!
//! ## Failure modes
//!
//! Bad input (malformed safetensors, shapes that do not match the declared
//! network, oversized tensors, out-of-range parameters) is reported as a
//! [`KernelError`] or `ComputeError` before any kernel runs; nothing panics on
//! input. A missing GPU is an error only when the GPU backend was forced.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod error;
pub mod fixed;
pub mod kernels;
pub mod layer;

pub use error::KernelError;

#[cfg(feature = "std")]
pub mod backend;
#[cfg(feature = "gpu")]
pub mod gpu;
#[cfg(feature = "std")]
pub mod inference;
#[cfg(feature = "std")]
pub mod lm;
#[cfg(feature = "std")]
pub mod network;
#[cfg(feature = "std")]
pub mod output;
#[cfg(feature = "std")]
pub mod package;
#[cfg(feature = "std")]
pub mod quantize;
#[cfg(feature = "std")]
pub mod spec;
#[cfg(feature = "std")]
pub mod tensors;
#[cfg(feature = "std")]
pub mod training;

#[cfg(feature = "std")]
pub use backend::{Backend, BackendChoice};

/// Everything that can stop a job.
#[cfg(feature = "std")]
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
	/// A kernel refused its arguments.
	#[error(transparent)]
	Kernel(#[from] KernelError),
	/// The GPU path failed.
	#[cfg(feature = "gpu")]
	#[error(transparent)]
	Gpu(#[from] gpu::GpuError),
	/// The requested backend is not available in this build or on this machine.
	#[error("backend unavailable: {0}")]
	BackendUnavailable(String),
	/// A safetensors file could not be parsed.
	#[error("malformed safetensors ({what}): {reason}")]
	MalformedSafetensors {
		/// Which file.
		what: String,
		/// The parser's message.
		reason: String,
	},
	/// A required tensor is absent.
	#[error("tensor `{name}` is missing from {what}")]
	MissingTensor {
		/// Tensor name.
		name: String,
		/// Which file.
		what: String,
	},
	/// A file holds a tensor the format does not allow.
	#[error("unexpected tensor `{name}` in {what}")]
	UnexpectedTensor {
		/// Tensor name.
		name: String,
		/// Which file.
		what: String,
	},
	/// A tensor has the wrong element type.
	#[error("tensor `{name}` has dtype {actual}, expected {expected}")]
	WrongDtype {
		/// Tensor name.
		name: String,
		/// Expected dtype.
		expected: String,
		/// Found dtype.
		actual: String,
	},
	/// A tensor has the wrong shape.
	#[error("tensor `{name}` has shape {actual:?}, expected {expected:?}")]
	WrongShape {
		/// Tensor name.
		name: String,
		/// Expected shape.
		expected: Vec<usize>,
		/// Found shape.
		actual: Vec<usize>,
	},
	/// An input exceeds a size bound.
	#[error("{what} is too large: {size} exceeds the limit of {limit}")]
	TooLarge {
		/// What is too large.
		what: String,
		/// Its size.
		size: u64,
		/// The bound.
		limit: u64,
	},
	/// The network description is invalid or does not match the tensors.
	#[error("invalid network description: {0}")]
	InvalidNetwork(String),
	/// The job spec is invalid.
	#[error("invalid job spec: {0}")]
	InvalidSpec(String),
	/// A value in the data is out of its allowed range.
	#[error("invalid data: {0}")]
	InvalidData(String),
	/// Reading a file failed.
	#[error("reading {path}: {source}")]
	Io {
		/// The file.
		path: std::path::PathBuf,
		/// The OS error.
		#[source]
		source: std::io::Error,
	},
}
