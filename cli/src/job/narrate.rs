//! Narrating a job: one line per event of the job in a block, and how it
//! ended (`hypha job watch`, `hypha job status`, `hypha job submit --wait`).

use anyhow::{bail, Context, Result};
use hypha_client::amount::format_hypha;
use hypha_client::{api, query, AccountId, Client, Events, JobStatus};
use hypha_primitives::JobId;

/// A job's final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
	/// The provider was paid.
	Settled,
	/// The provider's result was proven wrong.
	Slashed,
	/// The client got its budget back without a result.
	Refunded,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
	/// Which final state.
	pub ending: Ending,
	/// The block it ended in.
	pub at: u32,
	/// The provider paid or slashed.
	pub provider: Option<AccountId>,
	/// Paid to the provider.
	pub paid: u128,
	/// Paid to verifiers out of the budget.
	pub verifier_fees: u128,
	/// Returned to the client from the budget.
	pub refunded: u128,
	/// Taken from the provider's collateral (to the client and the verifiers).
	pub slashed: u128,
	/// Verdicts given in the final block (auditor or panel), if any.
	pub verdicts: Vec<(AccountId, bool)>,
}

impl Outcome {
	/// One line for people.
	pub fn describe(&self, job: JobId) -> String {
		let provider = self.provider.as_ref().map(|p| p.to_string()).unwrap_or_default();
		match self.ending {
			Ending::Settled => format!(
				"job {job} settled at block #{}: provider {provider} paid {}, verifier fees {}, {} returned to the client",
				self.at,
				format_hypha(self.paid),
				format_hypha(self.verifier_fees),
				format_hypha(self.refunded)
			),
			Ending::Slashed => format!(
				"job {job} slashed at block #{}: provider {provider}'s result was proven wrong; {} of its collateral slashed, the whole budget ({}) returned to the client",
				self.at,
				format_hypha(self.slashed),
				format_hypha(self.refunded)
			),
			Ending::Refunded => format!(
				"job {job} refunded at block #{}: {} returned to the client",
				self.at,
				format_hypha(self.refunded)
			),
		}
	}
}

/// What a job's events in one block say, one line each, and its outcome if
/// one of them ended it.
pub fn job_events(events: &Events, job: JobId) -> Result<(Vec<String>, Option<Outcome>)> {
	use api::jobs::events as e;
	let mut lines = Vec::new();
	let mut outcome: Option<Outcome> = None;
	let mut verdicts = Vec::new();
	for event in events.iter() {
		let event = event?;
		if event.pallet_name() != "Jobs" {
			continue;
		}
		let line = if let Some(ev) = event.decode_fields_as::<e::JobSubmitted>().transpose()? {
			(ev.job == job).then(|| {
				format!("submitted by {} with a budget of {}", ev.client, format_hypha(ev.budget))
			})
		} else if let Some(ev) = event.decode_fields_as::<e::JobClaimed>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"claimed by {} at a price of {} ({} collateral locked); result due by block #{}",
					ev.provider,
					format_hypha(ev.price),
					format_hypha(ev.collateral),
					ev.deadline
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::ResultCommitted>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"result committed by {}; output at {}",
					ev.provider,
					String::from_utf8_lossy(&ev.output_uri.0)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::SamplingDrawn>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"sampling drawn (audit probability {:.1} %): {}",
					f64::from(ev.probability_ppm) / 10_000.0,
					if ev.audited {
						"audited"
					} else {
						"not audited, settles after the challenge window"
					}
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::AuditAssigned>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"audit assigned to verifier {}; verdict due by block #{}",
					ev.verifier, ev.deadline
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::VerdictSubmitted>().transpose()? {
			(ev.job == job).then(|| {
				verdicts.push((ev.verifier, ev.agrees));
				format!(
					"verdict from {}: {}",
					ev.verifier,
					if ev.agrees {
						"agrees with the provider"
					} else {
						"DISAGREES with the provider"
					}
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::VerdictCommitted>().transpose()? {
			(ev.job == job).then(|| {
				if ev.auditor {
					verdicts.push((ev.verifier, false));
					format!(
						"verdict from {}: DISAGREES with the provider (committed, its digest \
						 hidden until the panel has committed)",
						ev.verifier
					)
				} else {
					format!(
						"verdict committed by panel member {} (hidden until the reveal)",
						ev.verifier
					)
				}
			})
		} else if let Some(ev) = event.decode_fields_as::<e::RevealOpened>().transpose()? {
			(ev.job == job).then(|| {
				format!("every seat committed: verdicts revealed by block #{}", ev.deadline)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::DisputeOpened>().transpose()? {
			(ev.job == job).then(|| {
				let panel: Vec<String> = ev.panel.iter().map(|p| p.to_string()).collect();
				format!(
					"dispute opened: panel [{}] re-executes by block #{}",
					panel.join(", "),
					ev.deadline
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::VerifierAbsent>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"verifier {} did not answer in time: {} slashed",
					ev.verifier,
					format_hypha(ev.slashed)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::VerifierSlashed>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"verifier {} lost the dispute: {} slashed",
					ev.verifier,
					format_hypha(ev.slashed)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::DeadlineMissed>().transpose()? {
			(ev.job == job).then(|| {
				format!(
					"provider {} missed its deadline: {} of its collateral burned",
					ev.provider,
					format_hypha(ev.slashed)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::JobReopened>().transpose()? {
			(ev.job == job)
				.then(|| format!("open again for providers until block #{}", ev.expires_at))
		} else if let Some(ev) = event.decode_fields_as::<e::JobSettled>().transpose()? {
			(ev.job == job).then(|| {
				outcome = Some(Outcome {
					ending: Ending::Settled,
					at: 0,
					provider: Some(ev.provider),
					paid: ev.paid,
					verifier_fees: ev.verifier_fees,
					refunded: ev.refunded,
					slashed: 0,
					verdicts: Vec::new(),
				});
				format!("settled: provider {} paid {}", ev.provider, format_hypha(ev.paid))
			})
		} else if let Some(ev) = event.decode_fields_as::<e::ProviderSlashed>().transpose()? {
			(ev.job == job).then(|| {
				outcome = Some(Outcome {
					ending: Ending::Slashed,
					at: 0,
					provider: Some(ev.provider),
					paid: 0,
					verifier_fees: 0,
					refunded: ev.refunded,
					slashed: ev.slashed,
					verdicts: Vec::new(),
				});
				format!(
					"provider {} slashed {}: its result was wrong",
					ev.provider,
					format_hypha(ev.slashed)
				)
			})
		} else if let Some(ev) = event.decode_fields_as::<e::JobRefunded>().transpose()? {
			(ev.job == job).then(|| {
				outcome = Some(Outcome {
					ending: Ending::Refunded,
					at: 0,
					provider: None,
					paid: 0,
					verifier_fees: 0,
					refunded: ev.refunded,
					slashed: 0,
					verdicts: Vec::new(),
				});
				format!("refunded: {} returned to the client", format_hypha(ev.refunded))
			})
		} else {
			None
		};
		lines.extend(line);
	}
	if let Some(outcome) = &mut outcome {
		outcome.verdicts = verdicts;
	}
	Ok((lines, outcome))
}

/// How a final job ended, read from the events of the block it ended in.
/// `None` if that block's state is no longer available (a pruned node).
pub async fn outcome_at(client: &Client, job: JobId, at: u32) -> Result<Option<Outcome>> {
	let Ok(block) = client.at_block(u64::from(at)).await else { return Ok(None) };
	let Ok(events) = block.events().fetch().await else { return Ok(None) };
	let (_, outcome) = job_events(&events, job)?;
	Ok(outcome.map(|outcome| Outcome { at, ..outcome }))
}

/// Follows finalized blocks from `from` (inclusive) and calls `progress` with
/// a line for each event of `job`, until the job ends; returns how it ended.
/// A job that already ended is reported at once.
pub async fn watch(
	client: &Client,
	job: JobId,
	mut progress: impl FnMut(u32, &str),
) -> Result<Outcome> {
	let mut blocks = hypha_agent::blocks::FinalizedBlocks::subscribe(client).await?;
	let record = query::job(client, job)
		.await?
		.with_context(|| format!("there is no job {job} on this chain"))?;
	if let JobStatus::Settled { at, .. }
	| JobStatus::Slashed { at, .. }
	| JobStatus::Refunded { at } = *record.status
	{
		return outcome_at(client, job, at).await?.with_context(|| {
			format!("job {job} ended at block #{at}, whose events this node no longer keeps")
		});
	}
	progress(0, &format!("job {job} is {}", record.status.name()));
	while let Some(block) = blocks.next().await {
		let block = block?;
		let (lines, outcome) = job_events(&block.events, job)?;
		for line in &lines {
			progress(block.number, line);
		}
		if let Some(outcome) = outcome {
			return Ok(Outcome { at: block.number, ..outcome });
		}
	}
	bail!("the node closed the block subscription before job {job} ended")
}
