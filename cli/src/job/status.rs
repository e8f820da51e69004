//! `hypha job status`: a job's record, for people.

use anyhow::{Context, Result};
use hypha_client::amount::format_hypha;
use hypha_client::{query, Client, JobStatus};
use hypha_primitives::JobId;

use super::narrate::{outcome_at, Ending};

/// A job's record, as lines for people.
pub async fn status(client: &Client, job: JobId) -> Result<Vec<String>> {
	let record = query::job(client, job)
		.await?
		.with_context(|| format!("there is no job {job} on this chain"))?;
	let kind = record.spec.kind;
	let mut lines = vec![
		format!(
			"job {job}: {kind}, {} compute units, submitted at block #{}",
			record.spec.compute_units, record.submitted_at
		),
		format!("client: {}", record.client),
		format!("budget: {}", format_hypha(record.budget)),
		format!(
			"program: 0x{} at {}",
			hex::encode(record.spec.program_digest),
			String::from_utf8_lossy(&record.spec.program_uri)
		),
		format!(
			"input: 0x{} at {}",
			hex::encode(record.spec.input_digest),
			String::from_utf8_lossy(&record.spec.input_uri)
		),
	];
	if let Some(model) = record.spec.model {
		let versions = hypha_client::models::versions_of_digest(client, &model).await?;
		let registered = if versions.is_empty() {
			" (not a registered version)".to_string()
		} else {
			let names: Vec<String> = versions.iter().map(|(n, l)| format!("{n}@{l}")).collect();
			format!(" ({} in the registry)", names.join(", "))
		};
		lines.push(format!("model: 0x{}{registered}", hex::encode(model)));
	}
	if record.missed_deadlines > 0 {
		lines.push(format!("missed deadlines: {}", record.missed_deadlines));
	}
	let state = match &*record.status {
		JobStatus::Open { expires_at } => {
			format!("open: waiting for a provider until block #{expires_at}")
		},
		JobStatus::Assigned { provider, price, deadline, .. } => {
			format!(
				"assigned to {provider} at {}; result due by block #{deadline}",
				format_hypha(*price)
			)
		},
		JobStatus::Committed { provider, committed_at, audit_probability_ppm, .. } => format!(
			"committed by {provider} at block #{committed_at}; audit probability {:.1} %",
			f64::from(*audit_probability_ppm) / 10_000.0
		),
		JobStatus::Audit { verifiers, deadline, .. } => format!(
			"in audit by {}; verdict due by block #{deadline}",
			hypha_primitives::current_auditor_slot(verifiers)
				.and_then(|index| verifiers.get(index))
				.map(|slot| slot.verifier.to_string())
				.unwrap_or_default()
		),
		JobStatus::Dispute { verifiers, deadline, .. } => {
			let answered = verifiers.iter().filter(|slot| slot.digest.is_some()).count();
			format!(
				"in dispute: {answered} of {} verdicts in; decided by block #{deadline}",
				verifiers.len()
			)
		},
		JobStatus::Settled { at, .. }
		| JobStatus::Slashed { at, .. }
		| JobStatus::Refunded { at } => match outcome_at(client, job, *at).await? {
			Some(outcome) => {
				let audit = match outcome.verdicts.as_slice() {
					[] if outcome.ending == Ending::Settled => {
						"; not audited (or the audit settled earlier)".to_string()
					},
					[] => String::new(),
					verdicts => {
						let agreed = verdicts.iter().filter(|(_, agrees)| *agrees).count();
						format!(
							"; audited: {agreed} of {} verdicts agreed with the provider",
							verdicts.len()
						)
					},
				};
				format!("{}{audit}", outcome.describe(job))
			},
			None => format!("{} at block #{at}", record.status.name()),
		},
	};
	lines.push(format!("status: {state}"));
	Ok(lines)
}
