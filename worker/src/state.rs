//! The worker's memory on disk: the jobs it holds and their outputs.
//!
//! `state.json` lists every job the worker claimed and has not seen end;
//! `outputs/<job>.bin` holds each computed output (canonical encoding). Both
//! are written before the chain is told (a claim is recorded before
//! `claim_job` is sent, an output before `submit_result`), so a worker killed
//! at any point restarts knowing what it holds: it never claims a job twice,
//! resumes the ones it holds, and serves the outputs it committed.
//! Writes go to a temporary file and are renamed into place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hypha_primitives::JobId;
use serde::{Deserialize, Serialize};

/// Where a held job stands, as far as this worker knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
	/// `claim_job` was (about to be) sent.
	Claiming,
	/// The chain assigned the job to this worker; it is computing.
	Claimed,
	/// The output is on disk; `submit_result` was (about to be) sent.
	Computed,
	/// The chain has the commitment; the output is served until the job ends.
	Committed,
}

/// One held job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldJob {
	/// Its phase.
	pub phase: Phase,
	/// The client's account id (hex in the file), the only one allowed to
	/// fetch the output.
	#[serde(with = "hex::serde")]
	pub client: [u8; 32],
	/// When the output file holds the output sealed to the client
	/// (`JobSpec::output_key`): the plaintext's digest, in hex, which the
	/// receipt signs.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub sealed_digest: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
	jobs: BTreeMap<JobId, HeldJob>,
}

/// The on-disk state.
#[derive(Debug)]
pub struct State {
	dir: PathBuf,
	file: StateFile,
}

impl State {
	/// Opens (or creates) the state in `dir`. A state file that does not
	/// parse is an error, not a fresh start: the worker would otherwise claim
	/// again jobs it already holds.
	pub fn open(dir: &Path) -> Result<Self> {
		std::fs::create_dir_all(dir.join("outputs"))
			.with_context(|| format!("creating the state directory {}", dir.display()))?;
		let path = dir.join("state.json");
		let file = match std::fs::read(&path) {
			Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
				format!("{} is corrupt; move it away to start afresh", path.display())
			})?,
			Err(error) if error.kind() == std::io::ErrorKind::NotFound => StateFile::default(),
			Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
		};
		Ok(Self { dir: dir.to_path_buf(), file })
	}

	/// The held jobs.
	pub fn jobs(&self) -> &BTreeMap<JobId, HeldJob> {
		&self.file.jobs
	}

	/// The held job `job`.
	pub fn get(&self, job: JobId) -> Option<&HeldJob> {
		self.file.jobs.get(&job)
	}

	/// Records `job` and saves.
	pub fn put(&mut self, job: JobId, held: HeldJob) -> Result<()> {
		self.file.jobs.insert(job, held);
		self.save()
	}

	/// Forgets `job` (it ended) and deletes its output.
	pub fn forget(&mut self, job: JobId) -> Result<()> {
		if self.file.jobs.remove(&job).is_some() {
			let _ = std::fs::remove_file(self.output_path(job));
			self.save()?;
		}
		Ok(())
	}

	/// Where `job`'s output lives.
	pub fn output_path(&self, job: JobId) -> PathBuf {
		self.dir.join("outputs").join(format!("{job}.bin"))
	}

	/// Writes `job`'s output durably.
	pub fn write_output(&self, job: JobId, bytes: &[u8]) -> Result<()> {
		write_atomically(&self.output_path(job), bytes)
	}

	/// Reads `job`'s output.
	pub fn read_output(&self, job: JobId) -> Result<Vec<u8>> {
		let path = self.output_path(job);
		std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
	}

	fn save(&self) -> Result<()> {
		write_atomically(&self.dir.join("state.json"), &serde_json::to_vec_pretty(&self.file)?)
	}
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
	use std::io::Write;
	let tmp = path.with_extension("tmp");
	let mut file =
		std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
	file.write_all(bytes)?;
	file.sync_all()?;
	std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn state_survives_a_reopen_and_forgets_ended_jobs() {
		let dir = std::env::temp_dir().join(format!("hypha-state-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		let mut state = State::open(&dir).unwrap();
		let held = HeldJob { phase: Phase::Computed, client: [0xab; 32], sealed_digest: None };
		state.write_output(7, b"output").unwrap();
		state.put(7, held.clone()).unwrap();
		let mut reopened = State::open(&dir).unwrap();
		assert_eq!(reopened.get(7), Some(&held));
		assert_eq!(reopened.read_output(7).unwrap(), b"output");
		reopened.forget(7).unwrap();
		assert!(State::open(&dir).unwrap().get(7).is_none());
		assert!(reopened.read_output(7).is_err());
		let _ = std::fs::remove_dir_all(&dir);
	}
}
