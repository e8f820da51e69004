//! The kernels, one module each: `cpu.rs` (the `no_std` reference and, with
//! `std`, the fast path), `gpu.rs` (the wgpu path) and the `.wgsl` source.
//! `common.wgsl` holds the 64-bit integer helpers several kernels share.

pub mod argmax;
pub mod gemm_i8;
pub mod matmul_fixed;
pub mod mse_grad;
pub mod requantize;
pub mod sgd_update;
#[cfg(feature = "std")]
pub mod transformer;
