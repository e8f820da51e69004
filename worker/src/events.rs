//! What the chain tells the worker: at startup, the jobs open and the jobs
//! it holds (read from the jobs still alive, not the chain's history); then
//! new candidates from each best block, and the ends of its jobs from each
//! finalized block.
//!
//! Memory stays bounded over a long run: a job leaves every set here when
//! the chain ends it (settled, refunded, slashed), so the sets hold at most
//! the jobs alive on the chain, and ended jobs' outputs are forgotten after
//! the retention time.

use std::collections::{BTreeSet, HashSet};
use std::time::Instant;

use anyhow::Result;
use hypha_client::amount::format_hypha;
use hypha_client::{api, query, Events, JobStatus};
use hypha_primitives::JobId;

use crate::state::{HeldJob, Phase};
use crate::Shared;

/// What the worker knows about the queue.
#[derive(Default)]
pub(crate) struct Queue {
	/// Open jobs it may take.
	pub candidates: BTreeSet<JobId>,
	/// Jobs assigned to it, to finish first.
	pub resume: Vec<JobId>,
	/// Jobs not for it right now (claimed by another, a budget below its
	/// price): tried again if the chain reopens them.
	pub done: HashSet<JobId>,
	/// Jobs whose blobs do not match or do not form a valid job: never again.
	pub refused: HashSet<JobId>,
	/// Jobs that ended, with when: their outputs are served a while longer.
	pub ended: Vec<(JobId, Instant)>,
	/// Jobs an attempt is working on now.
	pub in_flight: HashSet<JobId>,
	/// Jobs to try again at the next best block (a store that did not
	/// answer, no verifier yet, a full device queue).
	pub retry: BTreeSet<JobId>,
}

impl Queue {
	/// The next job to work on: one to resume, else the candidate this
	/// worker prefers ([`preference`]); and whether it is a resumption.
	pub fn next(&mut self, account: &hypha_client::AccountId) -> Option<(JobId, bool)> {
		if let Some(job) = self.resume.pop() {
			return Some((job, true));
		}
		let job = self
			.candidates
			.iter()
			.copied()
			.filter(|job| {
				!self.done.contains(job)
					&& !self.refused.contains(job)
					&& !self.in_flight.contains(job)
			})
			.min_by_key(|job| preference(account, *job))?;
		self.candidates.remove(&job);
		Some((job, false))
	}

	/// Forgets `job` everywhere but `ended`: the chain ended it, so it is
	/// nobody's candidate again.
	fn ended(&mut self, job: JobId) {
		self.candidates.remove(&job);
		self.retry.remove(&job);
		self.done.remove(&job);
		self.refused.remove(&job);
	}

	/// How many jobs the queue remembers (for the bounded-memory test).
	#[cfg(test)]
	fn remembered(&self) -> usize {
		self.candidates.len() + self.retry.len() + self.done.len() + self.refused.len()
	}
}

/// The order in which this worker takes candidates: a hash of its account
/// and the job, so that workers watching the same queue start on different
/// jobs instead of racing for the oldest one (the loser of a race wastes a
/// fetch and a block waiting for `JobNotOpen`).
fn preference(account: &hypha_client::AccountId, job: JobId) -> [u8; 32] {
	hypha_primitives::blake2_256(&[&account.0[..], &job.to_le_bytes()].concat())
}

/// At startup: open jobs are candidates; jobs assigned to this worker are
/// resumed; held jobs that ended (or never got claimed) are forgotten.
/// Reads the jobs still alive only ([`query::live_jobs`]).
pub(crate) async fn initial_scan(shared: &Shared) -> Result<Queue> {
	let mut queue = Queue::default();
	let jobs = query::live_jobs(&shared.client).await?;
	let mut state = shared.state();
	let held: Vec<JobId> = state.jobs().keys().copied().collect();
	for (id, job) in &jobs {
		match &*job.status {
			JobStatus::Open { .. } => {
				queue.candidates.insert(*id);
			},
			JobStatus::Assigned { provider, .. } if *provider == shared.account => {
				tracing::info!(job = id, "resuming a job assigned to this worker");
				if state.get(*id).is_none() {
					state.put(
						*id,
						HeldJob {
							phase: Phase::Claimed,
							client: job.client.0,
							sealed_digest: None,
						},
					)?;
				}
				queue.resume.push(*id);
			},
			_ => {},
		}
	}
	for id in held {
		let status = jobs.iter().find(|(j, _)| *j == id).map(|(_, job)| &*job.status);
		let ours = status.and_then(JobStatus::provider).is_some_and(|p| *p == shared.account);
		if !ours || status.is_some_and(JobStatus::is_final) {
			// A claim that never landed, a job lost to a missed deadline, or
			// one that ended while the worker was away.
			state.forget(id)?;
		}
	}
	queue.resume.reverse();
	Ok(queue)
}

/// Reads a best block's events: new candidates, and candidates others
/// claimed.
pub(crate) fn on_best_block(shared: &Shared, events: &Events, queue: &mut Queue) -> Result<()> {
	on_candidate_events(&shared.account, events, queue)
}

fn on_candidate_events(
	account: &hypha_client::AccountId,
	events: &Events,
	queue: &mut Queue,
) -> Result<()> {
	use api::jobs::events;
	for event in events.find::<events::JobSubmitted>() {
		queue.candidates.insert(event?.job);
	}
	for event in events.find::<events::JobReopened>() {
		let job = event?.job;
		queue.done.remove(&job);
		queue.candidates.insert(job);
	}
	// A job another provider claimed is no longer a candidate (it comes
	// back with `JobReopened` if that provider misses its deadline).
	for event in events.find::<events::JobClaimed>() {
		let event = event?;
		if event.provider != *account {
			queue.candidates.remove(&event.job);
			queue.retry.remove(&event.job);
		}
	}
	Ok(())
}

/// Reads a finalized block's events: the ends of jobs (this worker's are
/// counted and their outputs kept a while; every ended job is forgotten).
pub(crate) fn on_finalized_block(
	shared: &Shared,
	events: &Events,
	queue: &mut Queue,
) -> Result<()> {
	use api::jobs::events;
	for event in events.find::<events::JobSettled>() {
		queue.ended(event?.job);
	}
	for event in events.find::<events::JobRefunded>() {
		queue.ended(event?.job);
	}
	for event in events.find::<events::ProviderSlashed>() {
		queue.ended(event?.job);
	}
	for event in events.find::<events::JobSettled>() {
		let event = event?;
		if event.provider == shared.account {
			shared.metrics.settled.inc();
			shared.metrics.earnings.inc_by(event.paid as f64 / hypha_primitives::HYPHA as f64);
			tracing::info!(job = event.job, paid = %format_hypha(event.paid), "job settled: paid");
			shared.drop_inputs(event.job);
			queue.ended.push((event.job, Instant::now()));
		}
	}
	for event in events.find::<events::ProviderSlashed>() {
		let event = event?;
		if event.provider == shared.account {
			shared.metrics.slashed.inc();
			tracing::warn!(job = event.job, slashed = %format_hypha(event.slashed), "result proven wrong: slashed");
			shared.drop_inputs(event.job);
			queue.ended.push((event.job, Instant::now()));
		}
	}
	for event in events.find::<events::DeadlineMissed>() {
		let event = event?;
		if event.provider == shared.account {
			tracing::warn!(job = event.job, slashed = %format_hypha(event.slashed), "missed the deadline");
			shared.outputs.write().unwrap_or_else(|p| p.into_inner()).remove(&event.job);
			shared.drop_inputs(event.job);
			shared.state().forget(event.job)?;
		}
	}
	for event in events.find::<events::JobRefunded>() {
		let event = event?;
		if shared.state().get(event.job).is_some() {
			shared.drop_inputs(event.job);
			queue.ended.push((event.job, Instant::now()));
		}
	}
	for event in events.find::<events::JobClaimed>() {
		let event = event?;
		if event.provider == shared.account {
			adopt_unknown_claim(shared, queue, event.job);
		}
	}
	Ok(())
}

/// A finalized claim of this worker's: resumed if the worker knows nothing of
/// it. That is a claim sent just before a crash that was not final yet when
/// the restarted worker read the chain ([`initial_scan`] saw the job open and
/// forgot its record): without this its deadline would pass and cost the
/// penalty. A claim the worker is working on is in flight or has a record in
/// the state directory (from its claim on), so it is left alone.
fn adopt_unknown_claim(shared: &Shared, queue: &mut Queue, job: JobId) {
	if queue.in_flight.contains(&job) || queue.resume.contains(&job) {
		return;
	}
	if shared.state().get(job).is_some() {
		return;
	}
	tracing::warn!(job, "a finalized claim of this worker's that it did not know of (sent before a restart): resuming it");
	queue.candidates.remove(&job);
	queue.done.remove(&job);
	queue.retry.remove(&job);
	queue.resume.push(job);
}

#[cfg(test)]
mod tests {
	use super::Queue;

	#[test]
	fn a_long_run_remembers_only_the_jobs_alive() {
		let account = hypha_client::AccountId::from([7u8; 32]);
		let mut queue = Queue::default();
		for job in 0..10_000u64 {
			queue.candidates.insert(job);
			let (taken, resuming) = queue.next(&account).expect("a candidate");
			assert!(!resuming);
			// Some are skipped, some refused, some retried; then the chain ends them.
			match taken % 3 {
				0 => queue.done.insert(taken),
				1 => queue.refused.insert(taken),
				_ => queue.retry.insert(taken),
			};
			if job >= 10 {
				queue.ended(job - 10);
			}
		}
		assert!(queue.remembered() <= 10, "remembers {} jobs", queue.remembered());
	}

	#[test]
	fn a_job_in_flight_is_not_started_twice() {
		let account = hypha_client::AccountId::from([7u8; 32]);
		let mut queue = Queue::default();
		queue.candidates.extend([1, 2]);
		let (first, _) = queue.next(&account).unwrap();
		queue.in_flight.insert(first);
		// A best block announces it again (a reopen seen twice, a re-org).
		queue.candidates.insert(first);
		let (second, _) = queue.next(&account).unwrap();
		assert_ne!(first, second);
		queue.in_flight.insert(second);
		assert_eq!(queue.next(&account), None);
	}
}
