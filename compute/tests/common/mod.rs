//! Shared by the integration tests: one GPU context for the whole test
//! binary, forced onto Vulkan (lavapipe on machines without a GPU).

#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use hypha_compute::gpu::{GpuContext, GpuOptions};
use hypha_compute::Backend;

/// The Vulkan context. Panics (fails the test) if there is no Vulkan
/// adapter: the GPU path must never be skipped silently.
pub fn gpu() -> Arc<GpuContext> {
	static CONTEXT: OnceLock<Arc<GpuContext>> = OnceLock::new();
	CONTEXT
		.get_or_init(|| {
			// Mesa's device-select layer complains on every run without it.
			if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
				std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
			}
			let ctx = GpuContext::new(&GpuOptions { backends: Some(wgpu::Backends::VULKAN) })
				.expect("the GPU-path tests need a Vulkan adapter (install mesa-vulkan-drivers for lavapipe)");
			Arc::new(ctx)
		})
		.clone()
}

/// The GPU backend on the shared context.
pub fn gpu_backend() -> Backend {
	Backend::Gpu(gpu())
}
