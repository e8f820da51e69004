//! The wgpu side: one device, a cache of compute pipelines, and one helper
//! that runs a kernel over byte buffers and reads its output back.
//!
//! Each kernel's WGSL binds, in group 0: binding 0 a uniform block of `u32`
//! parameters, bindings 1..=n its read-only inputs, and binding n+1 its
//! output. Kernels are dispatched one at a time and their output is read back
//! at once: simple and easy to check against the CPU, at the price of a
//! round trip per call. Weights that many calls share (a language model's
//! projections) stay on the device ([`GpuContext::resident`]): uploaded once
//! per context and weight matrix, and kept while the matrix lives.

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex, Weak};

use wgpu::util::DeviceExt;

/// Why the GPU path could not run.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
	/// No adapter on the requested backends. On a machine without a GPU,
	/// install Mesa's lavapipe (`mesa-vulkan-drivers`).
	#[error("no wgpu adapter found on backends {backends:?} (install mesa-vulkan-drivers for a software Vulkan driver): {reason}")]
	NoAdapter {
		/// Backends that were searched.
		backends: wgpu::Backends,
		/// What wgpu said.
		reason: String,
	},
	/// The adapter refused to create a device.
	#[error("could not create a wgpu device: {0}")]
	RequestDevice(String),
	/// A buffer is larger than the device allows.
	#[error("buffer of {bytes} bytes exceeds the device limit of {limit} bytes")]
	BufferTooLarge {
		/// Requested size.
		bytes: u64,
		/// Device limit.
		limit: u64,
	},
	/// wgpu reported a validation or out-of-memory error.
	#[error("wgpu error in kernel `{kernel}`: {message}")]
	Device {
		/// Kernel being run.
		kernel: &'static str,
		/// wgpu's message.
		message: String,
	},
	/// Reading the output back failed.
	#[error("reading back the output of kernel `{kernel}` failed: {message}")]
	Readback {
		/// Kernel being run.
		kernel: &'static str,
		/// What failed.
		message: String,
	},
}

/// Which adapters to consider.
#[derive(Debug, Clone, Default)]
pub struct GpuOptions {
	/// Backends to search; `None` reads `WGPU_BACKEND` and otherwise tries all.
	pub backends: Option<wgpu::Backends>,
}

/// A compute kernel: its name (for errors and the pipeline cache) and its
/// complete WGSL source, entry point `main`.
pub(crate) struct Kernel {
	pub name: &'static str,
	pub source: &'static str,
}

/// A kernel input: bytes uploaded for this call, or a buffer already on
/// the device.
pub(crate) enum Input<'a> {
	/// Uploaded for this call.
	Bytes(&'a [u8]),
	/// Resident ([`GpuContext::resident`]).
	Buffer(&'a wgpu::Buffer),
}

/// A weight matrix on the device, for as long as the host matrix lives.
struct ResidentEntry {
	/// The host matrix. While this weak reference exists its allocation is
	/// not freed, so no other matrix can appear at the same address: the
	/// address identifies the matrix for as long as the entry exists.
	host: Weak<[i8]>,
	/// How the bytes were laid out (the kernel's packing of `host`).
	layout: (usize, usize),
	buffer: wgpu::Buffer,
}

/// An open wgpu device with its pipeline cache.
pub struct GpuContext {
	device: wgpu::Device,
	queue: wgpu::Queue,
	info: wgpu::AdapterInfo,
	max_binding: u64,
	packed_dot: bool,
	pipelines: Mutex<HashMap<&'static str, wgpu::ComputePipeline>>,
	resident: Mutex<HashMap<usize, ResidentEntry>>,
}

impl std::fmt::Debug for GpuContext {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("GpuContext").field("adapter", &self.info.name).finish()
	}
}

impl GpuContext {
	/// Opens the first adapter wgpu offers on `options.backends`.
	pub fn new(options: &GpuOptions) -> Result<Self, GpuError> {
		let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
		if let Some(backends) = options.backends {
			descriptor.backends = backends;
		}
		let backends = descriptor.backends;
		let instance = wgpu::Instance::new(descriptor);
		let packed_dot = instance
			.wgsl_language_features()
			.contains(wgpu::WgslLanguageFeatures::Packed4x8IntegerDotProduct);
		let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
			power_preference: wgpu::PowerPreference::HighPerformance,
			force_fallback_adapter: false,
			compatible_surface: None,
			..Default::default()
		}))
		.map_err(|e| GpuError::NoAdapter { backends, reason: e.to_string() })?;
		let info = adapter.get_info();
		let limits = adapter.limits();
		let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
			label: Some("hypha-compute"),
			required_features: wgpu::Features::empty(),
			required_limits: limits.clone(),
			..Default::default()
		}))
		.map_err(|e| GpuError::RequestDevice(e.to_string()))?;
		let max_binding =
			(limits.max_storage_buffer_binding_size as u64).min(limits.max_buffer_size);
		Ok(Self {
			device,
			queue,
			info,
			max_binding,
			packed_dot,
			pipelines: Mutex::new(HashMap::new()),
			resident: Mutex::new(HashMap::new()),
		})
	}

	/// The adapter in use (name, backend, device type).
	pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
		&self.info
	}

	/// Whether the kernels may use WGSL's `packed_4x8_integer_dot_product`
	/// (`dot4I8Packed`): wgpu's WGSL front end has it on every native
	/// backend and turns it into the device's integer dot-product
	/// instruction where there is one (SPIR-V `OpSDot` with Vulkan's
	/// `VK_KHR_shader_integer_dot_product`), an equivalent expansion
	/// elsewhere. `gemm_i8` falls back to unpacked bytes without it.
	pub fn packed_dot(&self) -> bool {
		self.packed_dot
	}

	/// True for a software adapter such as lavapipe: correct, but slower
	/// than the CPU path.
	pub fn is_software(&self) -> bool {
		self.info.device_type == wgpu::DeviceType::Cpu
	}

	fn pipeline(&self, kernel: &Kernel) -> wgpu::ComputePipeline {
		let mut cache = self.pipelines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		cache
			.entry(kernel.name)
			.or_insert_with(|| {
				let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
					label: Some(kernel.name),
					source: wgpu::ShaderSource::Wgsl(kernel.source.into()),
				});
				self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
					label: Some(kernel.name),
					layout: None,
					module: &module,
					entry_point: Some("main"),
					compilation_options: Default::default(),
					cache: None,
				})
			})
			.clone()
	}

	/// The device buffer holding `host` laid out by `pack` (called once per
	/// matrix and `layout`, a key of the caller's choosing for the
	/// packing), uploaded on first use and kept until `host` is dropped.
	/// Entries of dropped matrices are removed on the next upload.
	pub(crate) fn resident(
		&self,
		host: &Arc<[i8]>,
		layout: (usize, usize),
		pack: impl FnOnce(&[i8]) -> Vec<u8>,
	) -> Result<wgpu::Buffer, GpuError> {
		let key = Arc::as_ptr(host) as *const i8 as usize;
		let mut cache = self.resident.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if let Some(entry) = cache.get(&key) {
			if entry.layout == layout && entry.host.strong_count() > 0 {
				return Ok(entry.buffer.clone());
			}
		}
		cache.retain(|_, entry| entry.host.strong_count() > 0);
		let mut bytes = pack(host);
		bytes.resize(bytes.len().max(4).div_ceil(4) * 4, 0);
		self.check_size(bytes.len() as u64)?;
		let buffer = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
			label: Some("resident weights"),
			contents: &bytes,
			usage: wgpu::BufferUsages::STORAGE,
		});
		cache.insert(
			key,
			ResidentEntry { host: Arc::downgrade(host), layout, buffer: buffer.clone() },
		);
		Ok(buffer)
	}

	/// Weight matrices on the device now (for tests and logs).
	pub fn resident_matrices(&self) -> usize {
		let cache = self.resident.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		cache.values().filter(|entry| entry.host.strong_count() > 0).count()
	}

	fn check_size(&self, bytes: u64) -> Result<(), GpuError> {
		if bytes > self.max_binding {
			Err(GpuError::BufferTooLarge { bytes, limit: self.max_binding })
		} else {
			Ok(())
		}
	}

	/// Runs `kernel` once and returns its output buffer (`output_bytes` long).
	pub(crate) fn run(
		&self,
		kernel: &Kernel,
		params: &[u32],
		inputs: &[&[u8]],
		output_bytes: usize,
		workgroups: [u32; 3],
	) -> Result<Vec<u8>, GpuError> {
		let inputs: Vec<Input<'_>> = inputs.iter().map(|bytes| Input::Bytes(bytes)).collect();
		self.run_with(kernel, params, &inputs, output_bytes, workgroups)
	}

	/// [`Self::run`] with inputs that may already be on the device.
	pub(crate) fn run_with(
		&self,
		kernel: &Kernel,
		params: &[u32],
		inputs: &[Input<'_>],
		output_bytes: usize,
		workgroups: [u32; 3],
	) -> Result<Vec<u8>, GpuError> {
		// Uniform blocks are sized in 16-byte steps; storage bindings must not be empty.
		let mut params = params.to_vec();
		params.resize(params.len().div_ceil(4).max(1) * 4, 0);
		let output_size = (output_bytes.max(4).div_ceil(4) * 4) as u64;
		self.check_size(output_size)?;
		for input in inputs {
			if let Input::Bytes(bytes) = input {
				self.check_size(bytes.len() as u64)?;
			}
		}

		let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
		let oom_scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
		let pipeline = self.pipeline(kernel);
		let params_buffer = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
			label: Some("params"),
			contents: bytemuck::cast_slice(&params),
			usage: wgpu::BufferUsages::UNIFORM,
		});
		let input_buffers: Vec<wgpu::Buffer> = inputs
			.iter()
			.map(|input| match input {
				Input::Buffer(buffer) => (*buffer).clone(),
				Input::Bytes(bytes) => {
					let mut padded = bytes.to_vec();
					padded.resize(bytes.len().max(4).div_ceil(4) * 4, 0);
					self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
						label: Some("input"),
						contents: &padded,
						usage: wgpu::BufferUsages::STORAGE,
					})
				},
			})
			.collect();
		let output = self.device.create_buffer(&wgpu::BufferDescriptor {
			label: Some("output"),
			size: output_size,
			usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
			mapped_at_creation: false,
		});
		let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
			label: Some("staging"),
			size: output_size,
			usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
			mapped_at_creation: false,
		});
		let mut entries =
			vec![wgpu::BindGroupEntry { binding: 0, resource: params_buffer.as_entire_binding() }];
		for (i, buffer) in input_buffers.iter().enumerate() {
			entries.push(wgpu::BindGroupEntry {
				binding: i as u32 + 1,
				resource: buffer.as_entire_binding(),
			});
		}
		entries.push(wgpu::BindGroupEntry {
			binding: input_buffers.len() as u32 + 1,
			resource: output.as_entire_binding(),
		});
		let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
			label: Some(kernel.name),
			layout: &pipeline.get_bind_group_layout(0),
			entries: &entries,
		});
		let mut encoder = self
			.device
			.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(kernel.name) });
		{
			let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
				label: Some(kernel.name),
				timestamp_writes: None,
			});
			pass.set_pipeline(&pipeline);
			pass.set_bind_group(0, &bind_group, &[]);
			pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
		}
		encoder.copy_buffer_to_buffer(&output, 0, &staging, 0, output_size);
		self.queue.submit(Some(encoder.finish()));
		if let Some(error) = pollster::block_on(oom_scope.pop()) {
			return Err(GpuError::Device { kernel: kernel.name, message: error.to_string() });
		}
		if let Some(error) = pollster::block_on(scope.pop()) {
			return Err(GpuError::Device { kernel: kernel.name, message: error.to_string() });
		}

		let (sender, receiver) = mpsc::channel();
		staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
			let _ = sender.send(result);
		});
		self.device
			.poll(wgpu::PollType::wait_indefinitely())
			.map_err(|e| GpuError::Readback { kernel: kernel.name, message: e.to_string() })?;
		receiver
			.recv()
			.map_err(|e| GpuError::Readback { kernel: kernel.name, message: e.to_string() })?
			.map_err(|e| GpuError::Readback { kernel: kernel.name, message: e.to_string() })?;
		let bytes = {
			let view = staging
				.slice(..)
				.get_mapped_range()
				.map_err(|e| GpuError::Readback { kernel: kernel.name, message: e.to_string() })?;
			view[..output_bytes].to_vec()
		};
		staging.unmap();
		Ok(bytes)
	}
}

/// Workgroup counts for a 1-D kernel of `len` invocations with workgroup size
/// 64, folded into x and y so that no count exceeds 65535. The kernel
/// recovers its index as `gid.x + gid.y * num_workgroups.x * 64`.
pub(crate) fn grid_1d(len: usize) -> [u32; 3] {
	let groups = len.div_ceil(64).max(1);
	let x = groups.min(65535);
	let y = groups.div_ceil(x);
	[x as u32, y as u32, 1]
}

/// Workgroup counts for a 2-D kernel with 8×8 workgroups over `cols` × `rows`.
pub(crate) fn grid_2d(rows: usize, cols: usize) -> [u32; 3] {
	[cols.div_ceil(8).max(1) as u32, rows.div_ceil(8).max(1) as u32, 1]
}

/// Little-endian bytes of an `i32` slice.
pub(crate) fn i32_bytes(values: &[i32]) -> Vec<u8> {
	values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// `i32`s from little-endian bytes.
pub(crate) fn i32_from_bytes(bytes: &[u8]) -> Vec<i32> {
	bytes.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}
