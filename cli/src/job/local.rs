//! `hypha job run-local`: run a job from its spec on this machine, without
//! a chain, and report the digest a worker would commit.

use std::path::Path;

use anyhow::{Context, Result};
use hypha_compute::output::JobOutput;
use hypha_compute::spec::Job;
use hypha_compute::{Backend, BackendChoice};
use hypha_primitives::WorkloadKind;

/// What `run-local` reports.
#[derive(Debug, Clone)]
pub struct RunLocalReport {
	/// Inference or training.
	pub kind: WorkloadKind,
	/// The backend that ran it.
	pub backend: String,
	/// The output.
	pub output: JobOutput,
	/// blake2-256 of the canonical output.
	pub digest: [u8; 32],
}

/// Runs the job described by `spec` on `backend`; writes the canonical output
/// (`output.bin`) and a safetensors copy (`output.safetensors`) to `out` if given.
pub fn run_local(
	spec: &Path,
	backend: BackendChoice,
	out: Option<&Path>,
) -> Result<RunLocalReport> {
	let job = Job::from_spec_file(spec)
		.with_context(|| format!("loading job spec {}", spec.display()))?;
	let backend = Backend::select(backend).context("selecting the compute backend")?;
	let output = job.run(&backend).with_context(|| format!("running the {} job", job.kind()))?;
	let digest = output.digest();
	if let Some(dir) = out {
		std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
		std::fs::write(dir.join("output.bin"), output.canonical_bytes())
			.context("writing output.bin")?;
		std::fs::write(dir.join("output.safetensors"), output.to_safetensors()?)
			.context("writing output.safetensors")?;
	}
	Ok(RunLocalReport { kind: job.kind(), backend: backend.describe(), output, digest })
}
