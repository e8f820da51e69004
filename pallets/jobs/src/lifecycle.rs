//! Every move of a job's [`JobStatus`], and the steps that decide them.
//!
//! [`Pallet::transition`] is the one function that changes a job's status.
//! Its doc comment is the transition table, and each of its paths is a
//! variant of [`Move`]. The extrinsics (in `lib.rs`) and the timed steps
//! ([`Pallet::run_step`]) only decide *which* move to make: they check the
//! caller, draw randomness and pick verifiers, then hand the move over.
//! `transition` checks that the job's status allows the move, places or
//! releases the holds, emits the events and writes the new status.

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	storage::with_storage_layer,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use hypha_primitives::{
	blake2_256, current_auditor_slot, digest_commitment,
	sampling::{audit_probability_ppm, is_sampled, PPM},
	Digest, JobId, JobStatus, Uri, VerdictDue, VerifierSlot, VerifierSlots, INPUTS_UNAVAILABLE,
};
use pallet_reputation::{Outcome, ReputationInterface};
use pallet_stake::{SlashDestination, StakeInterface};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

use crate::{pallet::*, BlockRandomness as _};

/// The error of a move that no extrinsic makes (a timed step's) when the
/// job's status does not allow it. The moves of extrinsics fail with the
/// extrinsic's own error instead (`JobNotOpen`, `JobNotAssigned`,
/// `NotAssignedVerifier`).
pub(crate) const ILLEGAL_MOVE: DispatchError =
	DispatchError::Other("jobs: the job's status does not allow this move");

/// One path through [`Pallet::transition`], named after what happens; the
/// variant's doc gives its edge of the table. The caller decides the move and
/// supplies what it decided (who claims, who audits, who sits on the panel);
/// `transition` checks that the job's status allows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Move<AccountId, Balance, BlockNumber> {
	/// `Open` → `Refunded`: the client withdraws the job (`cancel_job`).
	Cancel,
	/// `Open` → `Refunded`: nobody claimed the job by `expires_at` (`Expire` step).
	Expire,
	/// `Open` → `Assigned`: `provider` takes the job at `price`, locks
	/// `collateral` of its stake, and the job's `terms` are fixed (`claim_job`).
	Claim {
		provider: AccountId,
		price: Balance,
		collateral: Balance,
		terms: JobTerms<Balance, BlockNumber>,
	},
	/// `Assigned` → `Committed`: the provider commits its result (`submit_result`).
	Commit { commitment: Digest, output_uri: Uri },
	/// `Assigned` → `Open`, or `Refunded` once the job has missed more than
	/// `max_missed_deadlines`: the provider did not commit by its deadline
	/// (`Deadline` step).
	MissDeadline,
	/// `Committed` → `Audit`: the draw asked for an audit and `auditor` was
	/// picked; `seed` is the draw's randomness (`Sample` step).
	Audit { auditor: AccountId, seed: Digest },
	/// `Committed` → `Committed`: the draw asked for no audit; the job
	/// settles after the challenge window (`Sample` step).
	SkipAudit,
	/// `Committed` → `Refunded`: the draw asked for an audit and no verifier
	/// could be picked. A drawn result is never paid unaudited (`Sample` step).
	Unauditable,
	/// `Committed` → `Committed`: the client reports that the output was not
	/// handed over; the result will be audited, drawn at `draw_at`
	/// (`report_undelivered`).
	ReportUndelivered { draw_at: BlockNumber },
	/// `Committed` → `Settled`: the challenge window passed (`Settle` step).
	Settle,
	/// `Audit` → `Settled`: the current auditor `verifier` revealed a
	/// `digest` that matches the commitment (`submit_verdict`).
	Confirm { verifier: AccountId, digest: Digest },
	/// `Audit` → `Dispute`: the current auditor committed a disagreeing
	/// verdict, and `panel` (drawn from the job's seed) commits theirs
	/// (`commit_verdict`). With an empty `panel` the job is refunded: a lone
	/// auditor is no majority of the seats.
	Escalate { verifier: AccountId, commitment: Digest, panel: Vec<AccountId> },
	/// `Audit` → `Audit`: the current auditor did not answer by the deadline
	/// and `replacement` is asked instead (`AuditDeadline` step).
	ReplaceAuditor { replacement: AccountId },
	/// `Audit` → `Refunded`: the current auditor did not answer by the
	/// deadline and no verifier is left to ask (`AuditDeadline` step).
	AbandonAudit,
	/// `Dispute` → `Dispute`: panel member `verifier` committed its verdict
	/// in the commit phase (`commit_verdict`); the last one opens the reveal.
	CommitVerdict { verifier: AccountId, commitment: Digest },
	/// `Dispute` → `Dispute`: seat `verifier` revealed the `digest` behind
	/// its commitment (`submit_verdict`). The last reveal decides the
	/// dispute: `Settled`, `Slashed` or `Refunded`.
	Reveal { verifier: AccountId, digest: Digest },
	/// `Dispute` → `Dispute` (reveal phase) once the commit window passed, or
	/// `Settled`, `Slashed` or `Refunded` once the reveal window passed: the
	/// absent seats are penalized and the verdicts revealed decide
	/// (`DisputeDeadline` step).
	CloseDispute,
}

/// A move with the runtime's types.
pub(crate) type MoveOf<T> =
	Move<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// Where a move leaves a job, and the event that says so (`None` for the
/// moves that keep the status and have said everything already).
type Next<T> = (StatusOf<T>, Option<Event<T>>);

/// What a provider committed, carried through `Committed`, `Audit` and
/// `Dispute` to the end of the job.
struct Work<T: Config> {
	provider: T::AccountId,
	price: BalanceOf<T>,
	collateral: BalanceOf<T>,
	commitment: Digest,
	output_uri: Uri,
}

impl<T: Config> Work<T> {
	/// The work of a job that has a result, `None` for the other states.
	fn of(status: &StatusOf<T>) -> Option<Self> {
		match status {
			JobStatus::Committed {
				provider, price, collateral, commitment, output_uri, ..
			}
			| JobStatus::Audit { provider, price, collateral, commitment, output_uri, .. }
			| JobStatus::Dispute { provider, price, collateral, commitment, output_uri, .. } => Some(Work {
				provider: provider.clone(),
				price: *price,
				collateral: *collateral,
				commitment: *commitment,
				output_uri: output_uri.clone(),
			}),
			_ => None,
		}
	}

	/// Whether a verifier that computed `digest` backs the provider.
	/// Whether `digest` is the one the provider committed. Never for
	/// [`INPUTS_UNAVAILABLE`]: a provider that committed it (computing
	/// nothing, while the inputs are withheld) must not be confirmed by an
	/// auditor that could not get them either.
	fn backed_by(&self, job: JobId, digest: &Digest) -> bool {
		*digest != INPUTS_UNAVAILABLE
			&& digest_commitment(job, &self.provider, digest) == self.commitment
	}

	fn audit(
		self,
		verifiers: VerifierSlots<T::AccountId>,
		deadline: BlockNumberFor<T>,
		seed: Digest,
	) -> StatusOf<T> {
		let Work { provider, price, collateral, commitment, output_uri } = self;
		JobStatus::Audit {
			provider,
			price,
			collateral,
			commitment,
			output_uri,
			verifiers,
			deadline,
			seed,
		}
	}

	fn dispute(
		self,
		verifiers: VerifierSlots<T::AccountId>,
		deadline: BlockNumberFor<T>,
		revealing: bool,
	) -> StatusOf<T> {
		let Work { provider, price, collateral, commitment, output_uri } = self;
		JobStatus::Dispute {
			provider,
			price,
			collateral,
			commitment,
			output_uri,
			verifiers,
			deadline,
			revealing,
		}
	}
}

/// How the verdicts decide a dispute. A digest wins with a strict majority
/// of the dispute's seats (the auditor and the full panel asked for, answered
/// or not); a plurality is not enough (two verifiers that disagree with each
/// other prove nothing about the provider), and neither is a lone auditor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ruling {
	/// A strict majority backs the provider.
	Upheld,
	/// A strict majority agree on this other digest.
	Overturned(Digest),
	/// A strict majority of the seats could not get the job's inputs
	/// ([`INPUTS_UNAVAILABLE`]) from the client's store or the provider.
	Unavailable,
	/// No strict majority of the seats.
	Undecided,
}

impl<T: Config> Pallet<T> {
	/// Makes `mv` on `job` at block `now`: the only function that writes a
	/// job's status. It checks that the status allows the move and returns an
	/// error otherwise, with nothing changed (it runs in its own storage
	/// layer); extrinsics pass the error on, the timed steps treat it as a bug.
	/// A move that ends the job also returns the client's deposit.
	///
	/// | from | to | move | by | holds | event |
	/// | --- | --- | --- | --- | --- | --- |
	/// | (none) | `Open` | (not a move: `do_submit_job` creates the job) | `submit_job` | budget and deposit held | `JobSubmitted` |
	/// | `Open` | `Refunded` | `Cancel`, `Expire` | `cancel_job`, `Expire` step | budget released | `JobRefunded` |
	/// | `Open` | `Assigned` | `Claim` | `claim_job`; terms fixed | collateral locked | `JobClaimed` |
	/// | `Assigned` | `Committed` | `Commit` | `submit_result` | none | `ResultCommitted` |
	/// | `Assigned` | `Open` / `Refunded` | `MissDeadline` | `Deadline` step | part of the collateral burned, rest released; `Refunded` also releases the budget | `DeadlineMissed`, then `JobReopened` or `JobRefunded` |
	/// | `Committed` | `Audit` | `Audit` | `Sample` step, drawn | none | `SamplingDrawn`, `AuditAssigned` |
	/// | `Committed` | `Committed` | `SkipAudit` | `Sample` step, not drawn | none | `SamplingDrawn` |
	/// | `Committed` | `Refunded` | `Unauditable` | `Sample` step, drawn, no verifier to pick | budget and collateral released, nobody paid | `SamplingDrawn`, `JobRefunded` |
	/// | `Committed` | `Committed` | `ReportUndelivered` | `report_undelivered` by the client, unless a draw with certainty is pending | none; audit probability set to one, a second `Sample` scheduled | `DeliveryReported` |
	/// | `Committed` | `Settled` | `Settle` | `Settle` step, unless the result was reported (its audit draw comes instead) | price to provider, rest released, collateral released | `JobSettled` |
	/// | `Audit` | `Settled` | `Confirm` | `submit_verdict`, agreeing | as above, plus the auditor's fee | `VerdictSubmitted`, `JobSettled` |
	/// | `Audit` | `Audit` | `ReplaceAuditor` | `AuditDeadline` step | absent auditor's no-show slash burned | `VerifierAbsent`, `AuditAssigned` |
	/// | `Audit` | `Refunded` | `AbandonAudit` | `AuditDeadline` step, nobody left to audit | the same burn; budget and collateral released, nobody paid | `VerifierAbsent`, `JobRefunded` |
	/// | `Audit` | `Dispute` (commit) | `Escalate` | `commit_verdict` | none | `VerdictCommitted`, `DisputeOpened` |
	/// | `Audit` | `Refunded` | `Escalate` | same, no panel to draw: a lone auditor is no majority of the seats | budget and collateral released, nobody paid or slashed | `VerdictCommitted`, `JobRefunded` |
	/// | `Dispute` (commit) | `Dispute` (commit or reveal) | `CommitVerdict` | `commit_verdict`; the last seat to commit opens the reveal | none | `VerdictCommitted`, `RevealOpened` |
	/// | `Dispute` (commit) | `Dispute` (reveal) | `CloseDispute` | `DisputeDeadline` step | none | `RevealOpened` |
	/// | `Dispute` (reveal) | `Dispute` (reveal) | `Reveal` | `submit_verdict`, not the last | none | `VerdictSubmitted` |
	/// | `Dispute` (reveal) | `Settled` | `Reveal`, `CloseDispute` | last reveal or `DisputeDeadline`; a strict majority of the seats (auditor + full panel) back the provider | absent seats' and "inputs unavailable" seats' no-show slash burned; losers slashed to the provider; fees to winners | `VerdictSubmitted` or `VerifierAbsent`s, `VerifierSlashed`, `JobSettled` |
	/// | `Dispute` (reveal) | `Slashed` | same | same; a strict majority agree on another digest | same burns; losers slashed to the client; collateral pays winners' fees, rest to the client; budget released | same, `VerifierSlashed`, `ProviderSlashed` |
	/// | `Dispute` (reveal) | `Refunded` | same | same; a strict majority of the seats answered [`INPUTS_UNAVAILABLE`] | absent seats' burns only; no fees, budget and collateral released | same, `JobRefunded` |
	/// | `Dispute` (reveal) | `Refunded` | same | same; no strict majority of the seats (a tie, or too few answers) | absent seats' burns; no fees (a tie must not pay a liar), budget and collateral released | same, `JobRefunded` |
	///
	/// Conditions of the timed moves: `Expire` once `now >= expires_at`;
	/// `MissDeadline`, `ReplaceAuditor`, `AbandonAudit` and `CloseDispute`
	/// once `now > deadline`. A step that finds no room on the agenda waits
	/// in the overflow queue and runs late; if even that is full, the move
	/// ends the job where that costs no honest party anything: `MissDeadline`
	/// refunds, `SkipAudit` settles at once (it was not drawn), `Audit` and
	/// `ReplaceAuditor` refund (a drawn result is never paid unaudited), a
	/// dispute decides on the verdicts in; `Claim`, `Commit` and `Escalate`
	/// fail with `AgendaFull`.
	pub(crate) fn transition(job: JobId, mv: MoveOf<T>, now: BlockNumberFor<T>) -> DispatchResult {
		with_storage_layer(|| {
			let mut record = Jobs::<T>::get(job).ok_or(Error::<T>::JobNotFound)?;
			let refusal = Self::refusal(&mv);
			let status = record.status.clone();
			let work = Work::<T>::of(&status);
			let (status, event): Next<T> = match (mv, status, work) {
				(Move::Cancel, JobStatus::Open { .. }, _) => Self::refund(job, &record, None, now),
				(Move::Expire, JobStatus::Open { expires_at }, _) if now >= expires_at => {
					Self::refund(job, &record, None, now)
				},
				(Move::Claim { provider, price, collateral, terms }, JobStatus::Open { .. }, _) => {
					let deadline = now.saturating_add(record.result_window);
					Self::schedule(job, Step::Deadline, deadline.saturating_add(1u32.into()))?;
					T::Stake::lock_collateral(&provider, collateral)?;
					record.terms = terms;
					let event = Event::JobClaimed {
						job,
						provider: provider.clone(),
						price,
						collateral,
						deadline,
					};
					(JobStatus::Assigned { provider, price, collateral, deadline }, Some(event))
				},
				(
					Move::Commit { commitment, output_uri },
					JobStatus::Assigned { provider, price, collateral, .. },
					_,
				) => Self::commit(job, provider, price, collateral, commitment, output_uri, now)?,
				(
					Move::MissDeadline,
					JobStatus::Assigned { provider, collateral, deadline, .. },
					_,
				) if now > deadline => Self::miss_deadline(job, &mut record, provider, collateral, now),
				(
					Move::Audit { auditor, seed },
					JobStatus::Committed { audit_probability_ppm, .. },
					Some(work),
				) => {
					Self::deposit_event(Event::SamplingDrawn {
						job,
						audited: true,
						probability_ppm: audit_probability_ppm,
					});
					let deadline = now.saturating_add(record.terms.verdict_window);
					let mut verifiers = VerifierSlots::<T::AccountId>::default();
					if Self::seat_auditor(job, &mut verifiers, &auditor, deadline) {
						let event = Event::AuditAssigned { job, verifier: auditor, deadline };
						(work.audit(verifiers, deadline, seed), Some(event))
					} else {
						Self::refund(job, &record, Some(&work), now)
					}
				},
				(
					Move::SkipAudit,
					JobStatus::Committed { committed_at, audit_probability_ppm, .. },
					Some(work),
				) => {
					Self::deposit_event(Event::SamplingDrawn {
						job,
						audited: false,
						probability_ppm: audit_probability_ppm,
					});
					let settle_at =
						committed_at.saturating_add(record.terms.challenge_window).max(now);
					if Self::schedule_timed(job, Step::Settle, settle_at).is_err() {
						Self::settle(job, &record, work, &[], now)
					} else {
						(record.status.clone(), None)
					}
				},
				(
					Move::Unauditable,
					JobStatus::Committed { audit_probability_ppm, .. },
					Some(work),
				) => {
					Self::deposit_event(Event::SamplingDrawn {
						job,
						audited: true,
						probability_ppm: audit_probability_ppm,
					});
					Self::refund(job, &record, Some(&work), now)
				},
				(Move::ReportUndelivered { draw_at }, JobStatus::Committed { .. }, _) => {
					// Drawn for audit whatever the first draw said: a
					// probability of one, and a second draw (the first may
					// have skipped the audit already; if not, it audits and
					// this one finds the job in audit and does nothing).
					Self::schedule(job, Step::Sample, draw_at)?;
					let mut status = record.status.clone();
					if let JobStatus::Committed { audit_probability_ppm, .. } = &mut status {
						*audit_probability_ppm = PPM;
					}
					(status, Some(Event::DeliveryReported { job, draw_at }))
				},
				(Move::Settle, JobStatus::Committed { .. }, Some(work)) => {
					Self::settle(job, &record, work, &[], now)
				},
				(Move::Confirm { verifier, digest }, JobStatus::Audit { .. }, Some(work))
					if work.backed_by(job, &digest) =>
				{
					Self::awaited_slot(&record.status, &verifier, VerdictDue::Audit)?;
					Self::deposit_event(Event::VerdictSubmitted {
						job,
						verifier: verifier.clone(),
						agrees: true,
					});
					T::Reputation::record(&verifier, Outcome::Completed);
					Self::settle(job, &record, work, &[verifier], now)
				},
				(
					Move::Escalate { verifier, commitment, panel },
					JobStatus::Audit { verifiers, .. },
					Some(work),
				) => {
					Self::escalate(job, &record, work, verifiers, verifier, commitment, panel, now)?
				},
				(
					Move::ReplaceAuditor { replacement },
					JobStatus::Audit { mut verifiers, deadline, seed, .. },
					Some(work),
				) if now > deadline => {
					Self::penalize_current_auditor(job, &record, &verifiers)?;
					let deadline = now.saturating_add(record.terms.verdict_window);
					if Self::seat_auditor(job, &mut verifiers, &replacement, deadline) {
						let event = Event::AuditAssigned { job, verifier: replacement, deadline };
						(work.audit(verifiers, deadline, seed), Some(event))
					} else {
						Self::refund(job, &record, Some(&work), now)
					}
				},
				(Move::AbandonAudit, JobStatus::Audit { verifiers, deadline, .. }, Some(work))
					if now > deadline =>
				{
					Self::penalize_current_auditor(job, &record, &verifiers)?;
					Self::refund(job, &record, Some(&work), now)
				},
				(
					Move::CommitVerdict { verifier, commitment },
					JobStatus::Dispute { mut verifiers, deadline, revealing: false, .. },
					Some(work),
				) => {
					let index = Self::awaited_slot(&record.status, &verifier, VerdictDue::Commit)?;
					if let Some(slot) = verifiers.get_mut(index) {
						slot.commitment = Some(commitment);
					}
					Self::deposit_event(Event::VerdictCommitted { job, verifier, auditor: false });
					if verifiers.iter().all(|slot| slot.commitment.is_some()) {
						Self::open_reveal(job, &mut record, work, verifiers, now)
					} else {
						(work.dispute(verifiers, deadline, false), None)
					}
				},
				(
					Move::CloseDispute,
					JobStatus::Dispute { verifiers, deadline, revealing: false, .. },
					Some(work),
				) if now > deadline => Self::open_reveal(job, &mut record, work, verifiers, now),
				(
					Move::Reveal { verifier, digest },
					JobStatus::Dispute { mut verifiers, deadline, revealing: true, .. },
					Some(work),
				) => {
					let index = Self::awaited_slot(&record.status, &verifier, VerdictDue::Reveal)?;
					let slot = verifiers.get_mut(index).ok_or(ILLEGAL_MOVE)?;
					ensure!(
						slot.commitment == Some(digest_commitment(job, &verifier, &digest)),
						Error::<T>::RevealDoesNotMatch
					);
					slot.digest = Some(digest);
					let agrees = work.backed_by(job, &digest);
					Self::deposit_event(Event::VerdictSubmitted { job, verifier, agrees });
					let all_in = verifiers
						.iter()
						.all(|slot| slot.commitment.is_none() || slot.digest.is_some());
					if all_in {
						Self::decide_dispute(job, &mut record, work, &verifiers, now)
					} else {
						(work.dispute(verifiers, deadline, true), None)
					}
				},
				(
					Move::CloseDispute,
					JobStatus::Dispute { verifiers, deadline, revealing: true, .. },
					Some(work),
				) if now > deadline => Self::decide_dispute(job, &mut record, work, &verifiers, now),
				_ => return Err(refusal),
			};
			if status.is_final() {
				Self::release_budget(&record.client, record.deposit);
			}
			record.status = status;
			Jobs::<T>::insert(job, record);
			if let Some(event) = event {
				Self::deposit_event(event);
			}
			Ok(())
		})
	}

	/// The error of `mv` made from a status that does not allow it.
	fn refusal(mv: &MoveOf<T>) -> DispatchError {
		match mv {
			Move::Cancel | Move::Claim { .. } => Error::<T>::JobNotOpen.into(),
			Move::Commit { .. } => Error::<T>::JobNotAssigned.into(),
			Move::ReportUndelivered { .. } => Error::<T>::NotCommitted.into(),
			Move::Confirm { .. }
			| Move::Escalate { .. }
			| Move::CommitVerdict { .. }
			| Move::Reveal { .. } => Error::<T>::NotAssignedVerifier.into(),
			Move::Expire
			| Move::MissDeadline
			| Move::Audit { .. }
			| Move::SkipAudit
			| Move::Unauditable
			| Move::Settle
			| Move::ReplaceAuditor { .. }
			| Move::AbandonAudit
			| Move::CloseDispute => ILLEGAL_MOVE,
		}
	}

	/// The index of `who`'s slot if the job waits for a verdict of kind
	/// `due` from it ([`JobStatus::verdict_due`]). `NotAssignedVerifier` for
	/// anyone without a seat (a replaced auditor included),
	/// `VerdictAlreadySubmitted` for a seat that has given what this phase
	/// asks for, `WrongVerdictPhase` for a verdict of the other kind.
	fn awaited_slot(
		status: &StatusOf<T>,
		who: &T::AccountId,
		due: VerdictDue,
	) -> Result<usize, Error<T>> {
		let index = match status {
			JobStatus::Audit { verifiers, .. } => current_auditor_slot(verifiers)
				.filter(|index| verifiers.get(*index).is_some_and(|slot| slot.verifier == *who)),
			JobStatus::Dispute { verifiers, .. } => {
				verifiers.iter().position(|slot| slot.verifier == *who)
			},
			_ => None,
		}
		.ok_or(Error::<T>::NotAssignedVerifier)?;
		match status.verdict_due(who) {
			Some(asked) if asked == due => Ok(index),
			Some(_) => Err(Error::<T>::WrongVerdictPhase),
			None => match (status, due) {
				// A seat that committed nothing in the commit phase has
				// nothing to reveal: the reveal is the wrong phase for it.
				(JobStatus::Dispute { revealing: false, .. }, VerdictDue::Reveal) => {
					Err(Error::<T>::WrongVerdictPhase)
				},
				_ => Err(Error::<T>::VerdictAlreadySubmitted),
			},
		}
	}

	/// `Commit`: records the commitment and the audit probability, and
	/// schedules the draw.
	fn commit(
		job: JobId,
		provider: T::AccountId,
		price: BalanceOf<T>,
		collateral: BalanceOf<T>,
		commitment: Digest,
		output_uri: Uri,
		now: BlockNumberFor<T>,
	) -> Result<Next<T>, DispatchError> {
		let params = Params::<T>::get();
		let audit_probability_ppm = audit_probability_ppm(
			price.unique_saturated_into(),
			collateral.unique_saturated_into(),
			params.safety_permille,
			params.p_min_ppm,
			T::Reputation::score(&provider).deconstruct(),
		);
		// The draw needs the VRF outputs of the `DrawBlocks` blocks after this
		// one, all in the beacon from block now + 1 + DrawBlocks on.
		let draw_blocks = T::DrawBlocks::get().max(1);
		Self::schedule(
			job,
			Step::Sample,
			now.saturating_add(draw_blocks.saturating_add(1).into()),
		)?;
		let event = Event::ResultCommitted {
			job,
			provider: provider.clone(),
			commitment,
			output_uri: output_uri.clone(),
		};
		let status = JobStatus::Committed {
			provider,
			price,
			collateral,
			commitment,
			output_uri,
			committed_at: now,
			audit_probability_ppm,
		};
		Ok((status, Some(event)))
	}

	/// `MissDeadline`: part of the collateral is burned, the rest released;
	/// the job opens again, or is refunded after too many misses. The
	/// penalty never goes to the client: a client that wrote a job nobody
	/// can finish in time must not earn from the providers that try.
	fn miss_deadline(
		job: JobId,
		record: &mut JobOf<T>,
		provider: T::AccountId,
		collateral: BalanceOf<T>,
		now: BlockNumberFor<T>,
	) -> Next<T> {
		let params = Params::<T>::get();
		let penalty = collateral / 100u32.into() * params.deadline_slash_percent.into();
		let slashed = T::Stake::slash_collateral(&provider, penalty, SlashDestination::Burn);
		T::Stake::release_collateral(&provider, collateral.saturating_sub(slashed));
		T::Reputation::record(&provider, Outcome::TimedOut);
		Self::deposit_event(Event::DeadlineMissed { job, provider, slashed });

		record.missed_deadlines = record.missed_deadlines.saturating_add(1);
		let expires_at = now.saturating_add(params.open_timeout);
		if record.missed_deadlines > params.max_missed_deadlines
			|| Self::schedule_timed(job, Step::Expire, expires_at).is_err()
		{
			// The collateral was already dealt with above.
			return Self::refund(job, record, None, now);
		}
		(JobStatus::Open { expires_at }, Some(Event::JobReopened { job, expires_at }))
	}

	/// `Escalate`: records the auditor's committed verdict and seats a panel
	/// in the commit phase; without one, the job is refunded at once, as a
	/// lone auditor is no majority of the seats.
	#[allow(clippy::too_many_arguments)]
	fn escalate(
		job: JobId,
		record: &JobOf<T>,
		work: Work<T>,
		verifiers: VerifierSlots<T::AccountId>,
		verifier: T::AccountId,
		commitment: Digest,
		panel: Vec<T::AccountId>,
		now: BlockNumberFor<T>,
	) -> Result<Next<T>, DispatchError> {
		Self::awaited_slot(&record.status, &verifier, VerdictDue::Audit)?;
		let auditor = true;
		Self::deposit_event(Event::VerdictCommitted { job, verifier: verifier.clone(), auditor });
		if panel.is_empty() {
			return Ok(Self::refund(job, record, Some(&work), now));
		}
		// The auditor who answered stays; absent ones before it leave (they
		// were penalized when they were replaced).
		drop(verifiers);
		let auditor = VerifierSlot { verifier, commitment: Some(commitment), digest: None };
		let slots: VerifierSlots<T::AccountId> = core::iter::once(auditor)
			.chain(panel.iter().cloned().map(VerifierSlot::empty))
			.collect::<Vec<_>>()
			.try_into()
			.map_err(|_| Error::<T>::Overflow)?;
		let deadline = now.saturating_add(record.terms.verdict_window);
		Self::schedule(job, Step::DisputeDeadline, deadline.saturating_add(1u32.into()))?;
		let event = Event::DisputeOpened { job, panel, deadline };
		Ok((work.dispute(slots, deadline, false), Some(event)))
	}

	/// Ends a dispute's commit phase: the seats that committed reveal by a
	/// new deadline. If that step cannot be scheduled, the dispute is
	/// decided on what is in (nothing revealed: refunded).
	fn open_reveal(
		job: JobId,
		record: &mut JobOf<T>,
		work: Work<T>,
		verifiers: VerifierSlots<T::AccountId>,
		now: BlockNumberFor<T>,
	) -> Next<T> {
		let deadline = now.saturating_add(record.terms.verdict_window);
		if Self::schedule_timed(job, Step::DisputeDeadline, deadline.saturating_add(1u32.into()))
			.is_err()
		{
			return Self::decide_dispute(job, record, work, &verifiers, now);
		}
		(work.dispute(verifiers, deadline, true), Some(Event::RevealOpened { job, deadline }))
	}

	/// Adds `auditor` as the current auditor of `verifiers` and schedules the
	/// step after its `deadline`. `false` if the slots or the agenda and the
	/// overflow queue are full: the caller then refunds the job.
	fn seat_auditor(
		job: JobId,
		verifiers: &mut VerifierSlots<T::AccountId>,
		auditor: &T::AccountId,
		deadline: BlockNumberFor<T>,
	) -> bool {
		verifiers.try_push(VerifierSlot::empty(auditor.clone())).is_ok()
			&& Self::schedule_timed(job, Step::AuditDeadline, deadline.saturating_add(1u32.into()))
				.is_ok()
	}

	/// Penalizes the auditor of `verifiers` that did not answer in time.
	fn penalize_current_auditor(
		job: JobId,
		record: &JobOf<T>,
		verifiers: &VerifierSlots<T::AccountId>,
	) -> DispatchResult {
		let absent = current_auditor_slot(verifiers)
			.and_then(|index| verifiers.get(index))
			.ok_or(ILLEGAL_MOVE)?;
		Self::penalize_absent(job, &absent.verifier, record);
		Ok(())
	}

	/// Decides a dispute on `verifiers`' revealed verdicts: seats that did
	/// not commit or did not reveal are penalized and not counted, losers
	/// slashed, and the job ends `Settled`, `Slashed` or `Refunded` by the
	/// [`Ruling`].
	fn decide_dispute(
		job: JobId,
		record: &mut JobOf<T>,
		work: Work<T>,
		verifiers: &[VerifierSlot<T::AccountId>],
		now: BlockNumberFor<T>,
	) -> Next<T> {
		let terms = record.terms.clone();
		let mut answers: Vec<(T::AccountId, Digest)> = Vec::new();
		// Seats that answered "inputs unavailable": no digest to count.
		let mut unavailable: Vec<T::AccountId> = Vec::new();
		for slot in verifiers {
			match slot.digest {
				Some(INPUTS_UNAVAILABLE) => unavailable.push(slot.verifier.clone()),
				Some(digest) => answers.push((slot.verifier.clone(), digest)),
				None => Self::penalize_absent(job, &slot.verifier, record),
			}
		}
		// Once a majority of the seats got the inputs and answered, the
		// inputs were there to be had: an "unavailable" answer then counts
		// as no answer (the no-show slash, burned), never as a lost vote.
		let refuted = || {
			for verifier in &unavailable {
				Self::penalize_absent(job, verifier, record);
			}
		};

		let slash_losers = |winners: &dyn Fn(&Digest) -> bool, to: &T::AccountId| {
			for (verifier, digest) in answers.iter() {
				if winners(digest) {
					T::Reputation::record(verifier, Outcome::DisputeWon);
				} else {
					let slashed = T::Stake::slash_verifier(
						verifier,
						terms.verifier_slash,
						SlashDestination::Compensate(to.clone()),
					);
					T::Reputation::record(verifier, Outcome::DisputeLost);
					Self::deposit_event(Event::VerifierSlashed {
						job,
						verifier: verifier.clone(),
						slashed,
					});
				}
			}
		};
		let backing = |winners: &dyn Fn(&Digest) -> bool| -> Vec<T::AccountId> {
			answers
				.iter()
				.filter(|(_, digest)| winners(digest))
				.map(|(who, _)| who.clone())
				.collect()
		};

		// The seats of the dispute: the auditor and the full panel asked for
		// (more if the slots hold more), whether or not they could be drawn.
		let seats = (terms.dispute_verifiers as usize).saturating_add(1).max(verifiers.len());
		match Self::rule(job, &work, &answers, unavailable.len(), seats) {
			Ruling::Upheld => {
				refuted();
				let upheld = |digest: &Digest| work.backed_by(job, digest);
				slash_losers(&upheld, &work.provider);
				let winners = backing(&upheld);
				Self::settle(job, record, work, &winners, now)
			},
			Ruling::Overturned(winner) => {
				refuted();
				let overturned = |digest: &Digest| *digest == winner;
				slash_losers(&overturned, &record.client);
				let winners = backing(&overturned);
				Self::slash_provider(job, record, work, &winners, now)
			},
			Ruling::Unavailable => {
				// Client and provider both withheld the inputs (or served
				// bytes that fail their digests): the work cannot be checked,
				// so it is not paid, and the verifiers who said so honestly
				// lose nothing. Nobody is slashed: the chain cannot tell who
				// withheld, and a slash paid to the client would reward a
				// client that withholds.
				Self::refund(job, record, Some(&work), now)
			},
			Ruling::Undecided => {
				// Nobody is proven wrong, and nobody is paid: in a tie one of
				// the verifiers that answered lied, and a fee would pay it.
				// The whole budget goes back, the collateral is released.
				Self::refund(job, record, Some(&work), now)
			},
		}
	}

	/// The [`Ruling`] of `answers` (verifier, digest) on `work`, counted
	/// against the `seats` of the dispute (the auditor and the full panel
	/// the parameters ask for), not the answers that came in: a digest wins
	/// only with a strict majority of the seats. So a lone auditor (no panel
	/// could be drawn, or every member stayed away) decides nothing. The
	/// `unavailable` seats that answered [`INPUTS_UNAVAILABLE`] win only with
	/// a strict majority too, and only if no digest has one.
	fn rule(
		job: JobId,
		work: &Work<T>,
		answers: &[(T::AccountId, Digest)],
		unavailable: usize,
		seats: usize,
	) -> Ruling {
		let provider_votes =
			answers.iter().filter(|(_, digest)| work.backed_by(job, digest)).count();
		// The most common digest other than the provider's, and its votes.
		let mut rival: Option<(Digest, usize)> = None;
		for (_, digest) in answers.iter().filter(|(_, digest)| !work.backed_by(job, digest)) {
			let votes = answers.iter().filter(|(_, other)| other == digest).count();
			if rival.is_none_or(|(_, best)| votes > best) {
				rival = Some((*digest, votes));
			}
		}
		let seats = seats.max(answers.len().saturating_add(unavailable));
		let majority = |votes: usize| votes.saturating_mul(2) > seats;
		match rival {
			_ if majority(provider_votes) => Ruling::Upheld,
			Some((digest, votes)) if majority(votes) => Ruling::Overturned(digest),
			_ if majority(unavailable) => Ruling::Unavailable,
			_ => Ruling::Undecided,
		}
	}

	/// Ends a job `Settled`: pays the provider its price and each of
	/// `paid_verifiers` the verifier fee from the budget, releases the rest to
	/// the client and the collateral to the provider.
	fn settle(
		job: JobId,
		record: &JobOf<T>,
		work: Work<T>,
		paid_verifiers: &[T::AccountId],
		now: BlockNumberFor<T>,
	) -> Next<T> {
		let Work { provider, price, collateral, commitment, output_uri } = work;
		let paid = Self::pay_from_budget(&record.client, &provider, price);
		let fee = record.terms.verifier_fee;
		let mut verifier_fees = BalanceOf::<T>::zero();
		for verifier in paid_verifiers {
			verifier_fees =
				verifier_fees.saturating_add(Self::pay_from_budget(&record.client, verifier, fee));
		}
		let left = record.budget.saturating_sub(paid).saturating_sub(verifier_fees);
		let refunded = Self::release_budget(&record.client, left);
		T::Stake::release_collateral(&provider, collateral);
		T::Reputation::record(&provider, Outcome::Completed);
		let event =
			Event::JobSettled { job, provider: provider.clone(), paid, verifier_fees, refunded };
		let auditors = BoundedVec::truncate_from(paid_verifiers.to_vec());
		(JobStatus::Settled { provider, commitment, output_uri, auditors, at: now }, Some(event))
	}

	/// Ends a job `Slashed`: the provider's collateral pays the `winners`'
	/// fees, the rest goes to the client, and the whole budget comes back.
	fn slash_provider(
		job: JobId,
		record: &JobOf<T>,
		work: Work<T>,
		winners: &[T::AccountId],
		now: BlockNumberFor<T>,
	) -> Next<T> {
		let Work { provider, collateral, .. } = work;
		let fee = record.terms.verifier_fee;
		let mut slashed = BalanceOf::<T>::zero();
		for winner in winners {
			let share = fee.min(collateral.saturating_sub(slashed));
			slashed = slashed.saturating_add(T::Stake::slash_collateral(
				&provider,
				share,
				SlashDestination::Reward(winner.clone()),
			));
		}
		slashed = slashed.saturating_add(T::Stake::slash_collateral(
			&provider,
			collateral.saturating_sub(slashed),
			SlashDestination::Compensate(record.client.clone()),
		));
		let refunded = Self::release_budget(&record.client, record.budget);
		T::Reputation::record(&provider, Outcome::Failed);
		let event = Event::ProviderSlashed { job, provider: provider.clone(), slashed, refunded };
		(JobStatus::Slashed { provider, at: now }, Some(event))
	}

	/// Ends a job `Refunded`: releases the budget of the client's escrow and,
	/// if the provider of `work` still has collateral locked for it, that
	/// too. Nobody is paid and nobody slashed.
	fn refund(
		job: JobId,
		record: &JobOf<T>,
		work: Option<&Work<T>>,
		now: BlockNumberFor<T>,
	) -> Next<T> {
		if let Some(work) = work {
			T::Stake::release_collateral(&work.provider, work.collateral);
		}
		let refunded = Self::release_budget(&record.client, record.budget);
		(JobStatus::Refunded { at: now }, Some(Event::JobRefunded { job, refunded }))
	}

	/// Runs one timed step: decides its move and makes it. A step whose job
	/// has moved on since it was scheduled does nothing.
	pub(crate) fn run_step(job: JobId, step: Step, now: BlockNumberFor<T>) {
		let Some(record) = Jobs::<T>::get(job) else { return };
		let mv = match (step, &record.status) {
			(Step::Expire, JobStatus::Open { expires_at }) if now >= *expires_at => Move::Expire,
			(Step::Deadline, JobStatus::Assigned { deadline, .. }) if now > *deadline => {
				Move::MissDeadline
			},
			(Step::Sample, JobStatus::Committed { provider, audit_probability_ppm, .. }) => {
				Self::draw_sample(job, &record.client, provider, *audit_probability_ppm)
			},
			// A reported result waits for its audit draw instead (a draw
			// with probability one: the job leaves `Committed` there).
			(Step::Settle, JobStatus::Committed { audit_probability_ppm, .. })
				if *audit_probability_ppm < PPM =>
			{
				Move::Settle
			},
			(Step::AuditDeadline, JobStatus::Audit { provider, verifiers, deadline, seed, .. })
				if now > *deadline =>
			{
				Self::draw_replacement(&record.client, provider, verifiers, seed)
			},
			(Step::DisputeDeadline, JobStatus::Dispute { deadline, .. }) if now > *deadline => {
				Move::CloseDispute
			},
			_ => return,
		};
		if let Err(error) = Self::transition(job, mv, now) {
			defensive!("jobs: the move of a timed step failed", error);
		}
	}

	/// Folds the parent block's VRF output (its hash where it has none) into
	/// the [`Beacon`], first thing in block `now`.
	pub(crate) fn fold_beacon(now: BlockNumberFor<T>) {
		let parent = now.saturating_sub(1u32.into());
		let folded = match T::BlockRandomness::parent_vrf_output() {
			Some(vrf_output) => (Beacon::<T>::get(), parent, vrf_output).encode(),
			None => {
				(Beacon::<T>::get(), parent, frame_system::Pallet::<T>::block_hash(parent)).encode()
			},
		};
		Beacon::<T>::put(blake2_256(&folded));
	}

	/// Randomness for `job`: the [`Beacon`] mixed with the job id and a
	/// domain tag (see the pallet docs on bias).
	fn randomness(tag: &[u8], job: JobId) -> [u8; 32] {
		blake2_256(&(tag, job, Beacon::<T>::get()).encode())
	}

	/// The `Sample` step's move: draws whether to audit a committed result
	/// and, if so, picks the auditor. It runs at least `DrawBlocks` blocks
	/// after the commitment, so the beacon holds their VRF outputs.
	fn draw_sample(
		job: JobId,
		client: &T::AccountId,
		provider: &T::AccountId,
		audit_probability_ppm: u32,
	) -> MoveOf<T> {
		let randomness = Self::randomness(b"hypha/sample", job);
		if !is_sampled(&randomness, audit_probability_ppm) {
			return Move::SkipAudit;
		}
		let excluded = [provider.clone(), client.clone()];
		let seed = blake2_256(&(b"hypha/seed", randomness).encode());
		match Self::pick_verifiers(&randomness, &excluded, 1).into_iter().next() {
			Some(auditor) => Move::Audit { auditor, seed },
			None => Move::Unauditable,
		}
	}

	/// The `AuditDeadline` step's move: a replacement for the absent auditor,
	/// from the verifiers not yet asked, drawn from the job's `seed`.
	fn draw_replacement(
		client: &T::AccountId,
		provider: &T::AccountId,
		verifiers: &VerifierSlots<T::AccountId>,
		seed: &Digest,
	) -> MoveOf<T> {
		let excluded = Self::excluded(client, provider, verifiers);
		let randomness = blake2_256(&(b"hypha/replace", seed, verifiers.len() as u32).encode());
		match Self::pick_verifiers(&randomness, &excluded, 1).into_iter().next() {
			Some(replacement) => Move::ReplaceAuditor { replacement },
			None => Move::AbandonAudit,
		}
	}

	/// Who may not verify a job: its verifiers so far, its provider, its client.
	fn excluded(
		client: &T::AccountId,
		provider: &T::AccountId,
		verifiers: &VerifierSlots<T::AccountId>,
	) -> Vec<T::AccountId> {
		let mut excluded: Vec<T::AccountId> =
			verifiers.iter().map(|slot| slot.verifier.clone()).collect();
		excluded.push(provider.clone());
		excluded.push(client.clone());
		excluded
	}

	/// Picks up to `count` distinct verifiers with probability proportional to
	/// their stake, skipping `excluded`. Bounded by the stake pallet's
	/// `MaxVerifiers`.
	pub(crate) fn pick_verifiers(
		randomness: &[u8; 32],
		excluded: &[T::AccountId],
		count: u32,
	) -> Vec<T::AccountId> {
		let mut candidates: Vec<(T::AccountId, u128)> = T::Stake::verifiers()
			.into_iter()
			.filter(|(who, stake)| !excluded.contains(who) && !stake.is_zero())
			.map(|(who, stake)| (who, stake.unique_saturated_into()))
			.collect();
		let mut picked = Vec::new();
		let mut seed = *randomness;
		while (picked.len() as u32) < count && !candidates.is_empty() {
			let total = candidates.iter().fold(0u128, |sum, (_, stake)| sum.saturating_add(*stake));
			if total == 0 {
				break;
			}
			let mut word = [0u8; 16];
			word.copy_from_slice(&seed[..16]);
			let mut target = u128::from_le_bytes(word) % total;
			let mut index = candidates.len().saturating_sub(1);
			for (i, (_, stake)) in candidates.iter().enumerate() {
				if target < *stake {
					index = i;
					break;
				}
				target = target.saturating_sub(*stake);
			}
			picked.push(candidates.swap_remove(index).0);
			seed = blake2_256(&seed);
		}
		picked
	}

	/// Decides the move of `verifier`'s revealed `digest` on `job` and makes
	/// it: in an `Audit`, `Confirm` (a digest that does not back the provider
	/// is refused, it must be committed); in a `Dispute`, `Reveal`.
	pub(crate) fn do_submit_verdict(
		job: JobId,
		verifier: T::AccountId,
		digest: Digest,
	) -> DispatchResult {
		let record = Jobs::<T>::get(job).ok_or(Error::<T>::JobNotFound)?;
		let now = frame_system::Pallet::<T>::block_number();
		let mv = match &record.status {
			JobStatus::Audit { provider, commitment, .. } => {
				Self::awaited_slot(&record.status, &verifier, VerdictDue::Audit)?;
				ensure!(
					digest != INPUTS_UNAVAILABLE
						&& digest_commitment(job, provider, &digest) == *commitment,
					Error::<T>::DisagreementMustBeCommitted
				);
				Move::Confirm { verifier, digest }
			},
			_ => {
				Self::awaited_slot(&record.status, &verifier, VerdictDue::Reveal)?;
				Move::Reveal { verifier, digest }
			},
		};
		Self::transition(job, mv, now)
	}

	/// Decides the move of `verifier`'s committed verdict on `job` and makes
	/// it: in an `Audit`, `Escalate` (drawing the panel from the job's
	/// seed); in a `Dispute`, `CommitVerdict`.
	pub(crate) fn do_commit_verdict(
		job: JobId,
		verifier: T::AccountId,
		commitment: Digest,
	) -> DispatchResult {
		let record = Jobs::<T>::get(job).ok_or(Error::<T>::JobNotFound)?;
		let now = frame_system::Pallet::<T>::block_number();
		let mv = match &record.status {
			JobStatus::Audit { provider, verifiers, seed, .. } => {
				// Refuse before drawing a panel; `transition` checks again.
				Self::awaited_slot(&record.status, &verifier, VerdictDue::Audit)?;
				let panel = Self::draw_panel(&record, provider, verifiers, seed);
				Move::Escalate { verifier, commitment, panel }
			},
			_ => {
				Self::awaited_slot(&record.status, &verifier, VerdictDue::Commit)?;
				Move::CommitVerdict { verifier, commitment }
			},
		};
		Self::transition(job, mv, now)
	}

	/// The panel of a dispute: the job's `dispute_verifiers` picked from the
	/// verifiers not yet asked, with randomness fixed when the job was drawn
	/// for audit (its `seed`), so the auditor cannot pick its panel by
	/// picking the block of its verdict.
	fn draw_panel(
		record: &JobOf<T>,
		provider: &T::AccountId,
		verifiers: &VerifierSlots<T::AccountId>,
		seed: &Digest,
	) -> Vec<T::AccountId> {
		let excluded = Self::excluded(&record.client, provider, verifiers);
		let randomness = blake2_256(&(b"hypha/dispute", seed).encode());
		Self::pick_verifiers(&randomness, &excluded, record.terms.dispute_verifiers)
	}

	/// Burns an absent verifier's `no_show_slash` (of the job's terms). It
	/// goes to nobody: a client that withholds its inputs to exhaust the
	/// auditors must not earn their slashes.
	fn penalize_absent(job: JobId, verifier: &T::AccountId, record: &JobOf<T>) {
		let slashed =
			T::Stake::slash_verifier(verifier, record.terms.no_show_slash, SlashDestination::Burn);
		T::Reputation::record(verifier, Outcome::TimedOut);
		Self::deposit_event(Event::VerifierAbsent { job, verifier: verifier.clone(), slashed });
	}

	/// Pays `amount` from the client's escrow to `to`; returns what was paid.
	fn pay_from_budget(
		client: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		T::Currency::transfer_on_hold(
			&HoldReason::JobEscrow.into(),
			client,
			to,
			amount,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_else(|_| {
			defensive!("escrow payment failed");
			Zero::zero()
		})
	}

	/// Releases `amount` of the client's escrow; returns what was released.
	fn release_budget(client: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		T::Currency::release(&HoldReason::JobEscrow.into(), client, amount, Precision::BestEffort)
			.unwrap_or_else(|_| {
				defensive!("escrow release failed");
				Zero::zero()
			})
	}
}
