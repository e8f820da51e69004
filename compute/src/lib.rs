//! # Hypha compute (not yet built)
//!
//! The deterministic integer kernels (WGSL on wgpu, plus a bit-identical CPU
//! reference) arrive with the issue "Deterministic compute". Nothing here runs
//! yet.
