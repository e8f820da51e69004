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
	sampling::{audit_probability_ppm, is_sampled},
	Digest, JobId, JobStatus, Uri, VerifierSlot, VerifierSlots,
};
use pallet_reputation::{Outcome, ReputationInterface};
use pallet_stake::{SlashDestination, StakeInterface};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

use crate::pallet::*;

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
pub(crate) enum Move<AccountId, Balance> {
	/// `Open` → `Refunded`: the client withdraws the job (`cancel_job`).
	Cancel,
	/// `Open` → `Refunded`: nobody claimed the job by `expires_at` (`Expire` step).
	Expire,
	/// `Open` → `Assigned`: `provider` takes the job at `price` and locks
	/// `collateral` of its stake (`claim_job`).
	Claim { provider: AccountId, price: Balance, collateral: Balance },
	/// `Assigned` → `Committed`: the provider commits its result (`submit_result`).
	Commit { commitment: Digest, output_uri: Uri },
	/// `Assigned` → `Open`, or `Refunded` once the job has missed more than
	/// `max_missed_deadlines`: the provider did not commit by its deadline
	/// (`Deadline` step).
	MissDeadline,
	/// `Committed` → `Audit`: the draw asked for an audit and `auditor` was
	/// picked (`Sample` step).
	Audit { auditor: AccountId },
	/// `Committed` → `Committed`: no audit, because the draw asked for none
	/// (`drawn: false`) or no verifier could be picked (`drawn: true`); the
	/// job settles after the challenge window (`Sample` step).
	SkipAudit { drawn: bool },
	/// `Committed` → `Settled`: the challenge window passed (`Settle` step).
	Settle,
	/// `Audit` → `Settled`: the current auditor `verifier` computed a `digest`
	/// that matches the commitment (`submit_verdict`).
	Confirm { verifier: AccountId, digest: Digest },
	/// `Audit` → `Dispute`: the current auditor's `digest` does not match the
	/// commitment, and `panel` re-executes (`submit_verdict`). With an empty
	/// `panel` the dispute is decided at once on the auditor's verdict alone.
	Escalate { verifier: AccountId, digest: Digest, panel: Vec<AccountId> },
	/// `Audit` → `Audit`: the current auditor did not answer by the deadline
	/// and `replacement` is asked instead (`AuditDeadline` step).
	ReplaceAuditor { replacement: AccountId },
	/// `Audit` → `Settled`: the current auditor did not answer by the deadline
	/// and no verifier is left to ask (`AuditDeadline` step).
	SettleUnaudited,
	/// `Dispute` → `Dispute`: panel member `verifier` computed `digest`
	/// (`submit_verdict`). The last verdict decides the dispute: `Settled`,
	/// `Slashed` or `Refunded`.
	Answer { verifier: AccountId, digest: Digest },
	/// `Dispute` → `Settled`, `Slashed` or `Refunded`: the deadline passed, the
	/// absent members are penalized and the verdicts in decide
	/// (`DisputeDeadline` step).
	CloseDispute,
}

/// A move with the runtime's types.
pub(crate) type MoveOf<T> = Move<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

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
	fn backed_by(&self, job: JobId, digest: &Digest) -> bool {
		digest_commitment(job, &self.provider, digest) == self.commitment
	}

	fn audit(
		self,
		verifiers: VerifierSlots<T::AccountId>,
		deadline: BlockNumberFor<T>,
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
		}
	}

	fn dispute(
		self,
		verifiers: VerifierSlots<T::AccountId>,
		deadline: BlockNumberFor<T>,
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
	/// No strict majority of the seats.
	Undecided,
}

impl<T: Config> Pallet<T> {
	/// Makes `mv` on `job` at block `now`: the only function that writes a
	/// job's status. It checks that the status allows the move and returns an
	/// error otherwise, with nothing changed (it runs in its own storage
	/// layer); extrinsics pass the error on, the timed steps treat it as a bug.
	///
	/// | from | to | move | by | holds | event |
	/// | --- | --- | --- | --- | --- | --- |
	/// | (none) | `Open` | (not a move: `do_submit_job` creates the job) | `submit_job` | budget held | `JobSubmitted` |
	/// | `Open` | `Refunded` | `Cancel`, `Expire` | `cancel_job`, `Expire` step | budget released | `JobRefunded` |
	/// | `Open` | `Assigned` | `Claim` | `claim_job` | collateral locked | `JobClaimed` |
	/// | `Assigned` | `Committed` | `Commit` | `submit_result` | none | `ResultCommitted` |
	/// | `Assigned` | `Open` / `Refunded` | `MissDeadline` | `Deadline` step | part of collateral to the client, rest released; `Refunded` also releases the budget | `DeadlineMissed`, then `JobReopened` or `JobRefunded` |
	/// | `Committed` | `Audit` | `Audit` | `Sample` step, drawn | none | `SamplingDrawn`, `AuditAssigned` |
	/// | `Committed` | `Committed` | `SkipAudit` | `Sample` step, not drawn or no verifier to draw | none | `SamplingDrawn` |
	/// | `Committed` | `Settled` | `Settle` | `Settle` step | price to provider, rest released, collateral released | `JobSettled` |
	/// | `Audit` | `Settled` | `Confirm` | `submit_verdict`, agreeing | as above, plus the auditor's fee | `VerdictSubmitted`, `JobSettled` |
	/// | `Audit` | `Audit` | `ReplaceAuditor` | `AuditDeadline` step | absent auditor slashed to the client | `VerifierAbsent`, `AuditAssigned` |
	/// | `Audit` | `Settled` | `SettleUnaudited` | `AuditDeadline` step, nobody left to audit | absent auditor slashed to the client, then as `Settle` | `VerifierAbsent`, `JobSettled` |
	/// | `Audit` | `Dispute` | `Escalate` | `submit_verdict`, disagreeing | none | `VerdictSubmitted`, `DisputeOpened` |
	/// | `Audit` | `Refunded` | `Escalate` | same, no panel to draw: a lone auditor is no majority of the seats | budget and collateral released, nobody paid or slashed | `VerdictSubmitted`, `JobRefunded` |
	/// | `Dispute` | `Dispute` | `Answer` | `submit_verdict`, not the last | none | `VerdictSubmitted` |
	/// | `Dispute` | `Settled` | `Answer`, `CloseDispute` | last verdict or `DisputeDeadline`; a strict majority of the seats (auditor + full panel) back the provider | absent members slashed to the client; losers slashed to the provider; fees to winners | `VerdictSubmitted` or `VerifierAbsent`s, `VerifierSlashed`, `JobSettled` |
	/// | `Dispute` | `Slashed` | same | same; a strict majority agree on another digest | absent members slashed to the client; losers slashed to the client; collateral pays winners' fees, rest to the client; budget released | same, `VerifierSlashed`, `ProviderSlashed` |
	/// | `Dispute` | `Refunded` | same | same; no strict majority of the seats (a tie, or too few answers) | absent members slashed to the client; no fees (a tie must not pay a liar), budget and collateral released | same, `JobRefunded` |
	///
	/// Conditions of the timed moves: `Expire` once `now >= expires_at`;
	/// `MissDeadline`, `ReplaceAuditor`, `SettleUnaudited` and `CloseDispute`
	/// once `now > deadline`. A move whose follow-up step cannot be scheduled
	/// (the agenda is full 16 blocks on) ends the job at once where it can:
	/// `MissDeadline` refunds, `Audit`, `SkipAudit` and `ReplaceAuditor`
	/// settle unaudited; `Claim`, `Commit` and `Escalate` fail with
	/// `AgendaFull`.
	pub(crate) fn transition(job: JobId, mv: MoveOf<T>, now: BlockNumberFor<T>) -> DispatchResult {
		with_storage_layer(|| {
			let mut record = Jobs::<T>::get(job).ok_or(Error::<T>::JobNotFound)?;
			let refusal = Self::refusal(&mv);
			let status = record.status.clone();
			let work = Work::<T>::of(&status);
			let (status, event): Next<T> = match (mv, status, work) {
				(Move::Cancel, JobStatus::Open { .. }, _) => {
					Self::refund(job, &record.client, record.budget, None, now)
				},
				(Move::Expire, JobStatus::Open { expires_at }, _) if now >= expires_at => {
					Self::refund(job, &record.client, record.budget, None, now)
				},
				(Move::Claim { provider, price, collateral }, JobStatus::Open { .. }, _) => {
					let deadline = now.saturating_add(record.result_window);
					Self::schedule(job, Step::Deadline, deadline.saturating_add(1u32.into()))?;
					T::Stake::lock_collateral(&provider, collateral)?;
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
					Move::Audit { auditor },
					JobStatus::Committed { audit_probability_ppm, .. },
					Some(work),
				) => {
					Self::deposit_event(Event::SamplingDrawn {
						job,
						audited: true,
						probability_ppm: audit_probability_ppm,
					});
					let deadline = now.saturating_add(Params::<T>::get().audit_window);
					let mut verifiers = VerifierSlots::<T::AccountId>::default();
					if Self::seat_auditor(job, &mut verifiers, &auditor, deadline) {
						let event = Event::AuditAssigned { job, verifier: auditor, deadline };
						(work.audit(verifiers, deadline), Some(event))
					} else {
						Self::settle(job, &record, work, &[], now)
					}
				},
				(
					Move::SkipAudit { drawn },
					JobStatus::Committed { committed_at, audit_probability_ppm, .. },
					Some(work),
				) => {
					Self::deposit_event(Event::SamplingDrawn {
						job,
						audited: drawn,
						probability_ppm: audit_probability_ppm,
					});
					let settle_at =
						committed_at.saturating_add(Params::<T>::get().challenge_window).max(now);
					if Self::schedule(job, Step::Settle, settle_at).is_err() {
						Self::settle(job, &record, work, &[], now)
					} else {
						(record.status.clone(), None)
					}
				},
				(Move::Settle, JobStatus::Committed { .. }, Some(work)) => {
					Self::settle(job, &record, work, &[], now)
				},
				(Move::Confirm { verifier, digest }, JobStatus::Audit { .. }, Some(work))
					if work.backed_by(job, &digest) =>
				{
					Self::awaited_slot(&record.status, &verifier)?;
					Self::deposit_event(Event::VerdictSubmitted {
						job,
						verifier: verifier.clone(),
						agrees: true,
					});
					T::Reputation::record(&verifier, Outcome::Completed);
					Self::settle(job, &record, work, &[verifier], now)
				},
				(
					Move::Escalate { verifier, digest, panel },
					JobStatus::Audit { verifiers, .. },
					Some(work),
				) if !work.backed_by(job, &digest) => {
					Self::escalate(job, &mut record, work, verifiers, verifier, digest, panel, now)?
				},
				(
					Move::ReplaceAuditor { replacement },
					JobStatus::Audit { mut verifiers, deadline, .. },
					Some(work),
				) if now > deadline => {
					Self::penalize_current_auditor(job, &record.client, &verifiers)?;
					let deadline = now.saturating_add(Params::<T>::get().audit_window);
					if Self::seat_auditor(job, &mut verifiers, &replacement, deadline) {
						let event = Event::AuditAssigned { job, verifier: replacement, deadline };
						(work.audit(verifiers, deadline), Some(event))
					} else {
						Self::settle(job, &record, work, &[], now)
					}
				},
				(
					Move::SettleUnaudited,
					JobStatus::Audit { verifiers, deadline, .. },
					Some(work),
				) if now > deadline => {
					Self::penalize_current_auditor(job, &record.client, &verifiers)?;
					Self::settle(job, &record, work, &[], now)
				},
				(
					Move::Answer { verifier, digest },
					JobStatus::Dispute { mut verifiers, deadline, .. },
					Some(work),
				) => {
					let index = Self::awaited_slot(&record.status, &verifier)?;
					if let Some(slot) = verifiers.get_mut(index) {
						slot.digest = Some(digest);
					}
					let agrees = work.backed_by(job, &digest);
					let all_in = verifiers.iter().all(|slot| slot.digest.is_some());
					Self::deposit_event(Event::VerdictSubmitted { job, verifier, agrees });
					if all_in {
						Self::decide_dispute(job, &mut record, work, &verifiers, now)
					} else {
						(work.dispute(verifiers, deadline), None)
					}
				},
				(
					Move::CloseDispute,
					JobStatus::Dispute { verifiers, deadline, .. },
					Some(work),
				) if now > deadline => Self::decide_dispute(job, &mut record, work, &verifiers, now),
				_ => return Err(refusal),
			};
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
			Move::Confirm { .. } | Move::Escalate { .. } | Move::Answer { .. } => {
				Error::<T>::NotAssignedVerifier.into()
			},
			Move::Expire
			| Move::MissDeadline
			| Move::Audit { .. }
			| Move::SkipAudit { .. }
			| Move::Settle
			| Move::ReplaceAuditor { .. }
			| Move::SettleUnaudited
			| Move::CloseDispute => ILLEGAL_MOVE,
		}
	}

	/// The index of `who`'s slot if the job waits for its verdict: the
	/// current auditor's in an `Audit`, a panel member's in a `Dispute`.
	/// `NotAssignedVerifier` for anyone else (a replaced auditor included),
	/// `VerdictAlreadySubmitted` for a verifier that answered.
	fn awaited_slot(status: &StatusOf<T>, who: &T::AccountId) -> Result<usize, Error<T>> {
		let index = match status {
			JobStatus::Audit { verifiers, .. } => current_auditor_slot(verifiers)
				.filter(|index| verifiers.get(*index).is_some_and(|slot| slot.verifier == *who)),
			JobStatus::Dispute { verifiers, .. } => {
				verifiers.iter().position(|slot| slot.verifier == *who)
			},
			_ => None,
		}
		.ok_or(Error::<T>::NotAssignedVerifier)?;
		ensure!(status.awaits_verdict_from(who), Error::<T>::VerdictAlreadySubmitted);
		Ok(index)
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
		// The draw needs the hash of block now + 1, readable from block now + 2.
		Self::schedule(job, Step::Sample, now.saturating_add(2u32.into()))?;
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

	/// `MissDeadline`: part of the collateral goes to the client for the lost
	/// time, the rest is released; the job opens again, or is refunded after
	/// too many misses.
	fn miss_deadline(
		job: JobId,
		record: &mut JobOf<T>,
		provider: T::AccountId,
		collateral: BalanceOf<T>,
		now: BlockNumberFor<T>,
	) -> Next<T> {
		let params = Params::<T>::get();
		let penalty = collateral / 100u32.into() * params.deadline_slash_percent.into();
		let slashed = T::Stake::slash_collateral(
			&provider,
			penalty,
			SlashDestination::Compensate(record.client.clone()),
		);
		T::Stake::release_collateral(&provider, collateral.saturating_sub(slashed));
		T::Reputation::record(&provider, Outcome::TimedOut);
		Self::deposit_event(Event::DeadlineMissed { job, provider, slashed });

		record.missed_deadlines = record.missed_deadlines.saturating_add(1);
		let expires_at = now.saturating_add(params.open_timeout);
		if record.missed_deadlines > params.max_missed_deadlines
			|| Self::schedule(job, Step::Expire, expires_at).is_err()
		{
			// The collateral was already dealt with above.
			return Self::refund(job, &record.client, record.budget, None, now);
		}
		(JobStatus::Open { expires_at }, Some(Event::JobReopened { job, expires_at }))
	}

	/// `Escalate`: records the auditor's verdict and seats a panel; without
	/// one, decides at once, and a lone auditor is no majority of the seats:
	/// the job is refunded, nobody slashed.
	fn escalate(
		job: JobId,
		record: &mut JobOf<T>,
		work: Work<T>,
		mut verifiers: VerifierSlots<T::AccountId>,
		verifier: T::AccountId,
		digest: Digest,
		panel: Vec<T::AccountId>,
		now: BlockNumberFor<T>,
	) -> Result<Next<T>, DispatchError> {
		let index = Self::awaited_slot(&record.status, &verifier)?;
		if let Some(slot) = verifiers.get_mut(index) {
			slot.digest = Some(digest);
		}
		Self::deposit_event(Event::VerdictSubmitted { job, verifier, agrees: false });
		// The auditor who answered stays; absent ones before it leave.
		let mut slots: VerifierSlots<T::AccountId> = verifiers
			.into_iter()
			.filter(|slot| slot.digest.is_some())
			.collect::<Vec<_>>()
			.try_into()
			.map_err(|_| Error::<T>::Overflow)?;
		for member in &panel {
			slots
				.try_push(VerifierSlot { verifier: member.clone(), digest: None })
				.map_err(|_| Error::<T>::Overflow)?;
		}
		let deadline = now.saturating_add(Params::<T>::get().audit_window);
		if panel.is_empty() {
			return Ok(Self::decide_dispute(job, record, work, &slots, now));
		}
		Self::schedule(job, Step::DisputeDeadline, deadline.saturating_add(1u32.into()))?;
		Ok((work.dispute(slots, deadline), Some(Event::DisputeOpened { job, panel, deadline })))
	}

	/// Adds `auditor` as the current auditor of `verifiers` and schedules the
	/// step after its `deadline`. `false` if the slots or the agenda are full:
	/// the caller then settles the job unaudited.
	fn seat_auditor(
		job: JobId,
		verifiers: &mut VerifierSlots<T::AccountId>,
		auditor: &T::AccountId,
		deadline: BlockNumberFor<T>,
	) -> bool {
		verifiers.try_push(VerifierSlot { verifier: auditor.clone(), digest: None }).is_ok()
			&& Self::schedule(job, Step::AuditDeadline, deadline.saturating_add(1u32.into()))
				.is_ok()
	}

	/// Penalizes the auditor of `verifiers` that did not answer in time.
	fn penalize_current_auditor(
		job: JobId,
		client: &T::AccountId,
		verifiers: &VerifierSlots<T::AccountId>,
	) -> DispatchResult {
		let absent = current_auditor_slot(verifiers)
			.and_then(|index| verifiers.get(index))
			.ok_or(ILLEGAL_MOVE)?;
		Self::penalize_absent(job, &absent.verifier, client, &Params::<T>::get());
		Ok(())
	}

	/// Decides a dispute on `verifiers`' verdicts: absent verifiers are
	/// penalized and not counted, losers slashed, and the job ends `Settled`,
	/// `Slashed` or `Refunded` by the [`Ruling`].
	fn decide_dispute(
		job: JobId,
		record: &mut JobOf<T>,
		work: Work<T>,
		verifiers: &[VerifierSlot<T::AccountId>],
		now: BlockNumberFor<T>,
	) -> Next<T> {
		let params = Params::<T>::get();
		let mut answers: Vec<(T::AccountId, Digest)> = Vec::new();
		for slot in verifiers {
			match slot.digest {
				Some(digest) => answers.push((slot.verifier.clone(), digest)),
				None => Self::penalize_absent(job, &slot.verifier, &record.client, &params),
			}
		}

		let slash_losers = |winners: &dyn Fn(&Digest) -> bool, to: &T::AccountId| {
			for (verifier, digest) in answers.iter() {
				if winners(digest) {
					T::Reputation::record(verifier, Outcome::DisputeWon);
				} else {
					let slashed = T::Stake::slash_verifier(
						verifier,
						params.verifier_slash,
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
		let seats = (params.dispute_verifiers as usize).saturating_add(1).max(verifiers.len());
		match Self::rule(job, &work, &answers, seats) {
			Ruling::Upheld => {
				let upheld = |digest: &Digest| work.backed_by(job, digest);
				slash_losers(&upheld, &work.provider);
				let winners = backing(&upheld);
				Self::settle(job, record, work, &winners, now)
			},
			Ruling::Overturned(winner) => {
				let overturned = |digest: &Digest| *digest == winner;
				slash_losers(&overturned, &record.client);
				let winners = backing(&overturned);
				Self::slash_provider(job, record, work, &winners, now)
			},
			Ruling::Undecided => {
				// Nobody is proven wrong, and nobody is paid: in a tie one of
				// the verifiers that answered lied, and a fee would pay it.
				// The whole budget goes back, the collateral is released.
				let locked = Some((&work.provider, work.collateral));
				Self::refund(job, &record.client, record.budget, locked, now)
			},
		}
	}

	/// The [`Ruling`] of `answers` (verifier, digest) on `work`, counted
	/// against the `seats` of the dispute (the auditor and the full panel
	/// the parameters ask for), not the answers that came in: a digest wins
	/// only with a strict majority of the seats. So a lone auditor (no panel
	/// could be drawn, or every member stayed away) decides nothing.
	fn rule(
		job: JobId,
		work: &Work<T>,
		answers: &[(T::AccountId, Digest)],
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
		let seats = seats.max(answers.len());
		let majority = |votes: usize| votes.saturating_mul(2) > seats;
		match rival {
			_ if majority(provider_votes) => Ruling::Upheld,
			Some((digest, votes)) if majority(votes) => Ruling::Overturned(digest),
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
		let fee = Params::<T>::get().verifier_fee;
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
		(JobStatus::Settled { provider, commitment, output_uri, at: now }, Some(event))
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
		let fee = Params::<T>::get().verifier_fee;
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

	/// Ends a job `Refunded`: releases `budget` of the client's escrow and, if
	/// a provider still has collateral `locked` for it, that too.
	fn refund(
		job: JobId,
		client: &T::AccountId,
		budget: BalanceOf<T>,
		locked: Option<(&T::AccountId, BalanceOf<T>)>,
		now: BlockNumberFor<T>,
	) -> Next<T> {
		if let Some((provider, collateral)) = locked {
			T::Stake::release_collateral(provider, collateral);
		}
		let refunded = Self::release_budget(client, budget);
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
			(
				Step::Sample,
				JobStatus::Committed { provider, committed_at, audit_probability_ppm, .. },
			) => Self::draw_sample(
				job,
				&record.client,
				provider,
				*committed_at,
				*audit_probability_ppm,
			),
			(Step::Settle, JobStatus::Committed { .. }) => Move::Settle,
			(Step::AuditDeadline, JobStatus::Audit { provider, verifiers, deadline, .. })
				if now > *deadline =>
			{
				Self::draw_replacement(job, &record.client, provider, verifiers, now)
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

	/// Randomness for `job` in block `now`: the hash of block `source` mixed
	/// with the job id and a domain tag (see the pallet docs on bias).
	fn randomness(tag: &[u8], job: JobId, source: BlockNumberFor<T>) -> [u8; 32] {
		let block_hash = frame_system::Pallet::<T>::block_hash(source);
		blake2_256(&(tag, job, block_hash).encode())
	}

	/// The `Sample` step's move: draws whether to audit a result committed at
	/// `committed_at` and, if so, picks the auditor.
	fn draw_sample(
		job: JobId,
		client: &T::AccountId,
		provider: &T::AccountId,
		committed_at: BlockNumberFor<T>,
		audit_probability_ppm: u32,
	) -> MoveOf<T> {
		let source = committed_at.saturating_add(1u32.into());
		let randomness = Self::randomness(b"hypha/sample", job, source);
		if !is_sampled(&randomness, audit_probability_ppm) {
			return Move::SkipAudit { drawn: false };
		}
		let excluded = [provider.clone(), client.clone()];
		match Self::pick_verifiers(&randomness, &excluded, 1).into_iter().next() {
			Some(auditor) => Move::Audit { auditor },
			None => Move::SkipAudit { drawn: true },
		}
	}

	/// The `AuditDeadline` step's move: a replacement for the absent auditor,
	/// from the verifiers not yet asked.
	fn draw_replacement(
		job: JobId,
		client: &T::AccountId,
		provider: &T::AccountId,
		verifiers: &VerifierSlots<T::AccountId>,
		now: BlockNumberFor<T>,
	) -> MoveOf<T> {
		let excluded = Self::excluded(client, provider, verifiers);
		let randomness = Self::randomness(b"hypha/replace", job, now.saturating_sub(1u32.into()));
		match Self::pick_verifiers(&randomness, &excluded, 1).into_iter().next() {
			Some(replacement) => Move::ReplaceAuditor { replacement },
			None => Move::SettleUnaudited,
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

	/// Decides the move of `verifier`'s verdict `digest` on `job` and makes
	/// it: in an `Audit`, `Confirm` or `Escalate` (drawing the panel); in a
	/// `Dispute`, `Answer`.
	pub(crate) fn do_submit_verdict(
		job: JobId,
		verifier: T::AccountId,
		digest: Digest,
	) -> DispatchResult {
		let record = Jobs::<T>::get(job).ok_or(Error::<T>::JobNotFound)?;
		let now = frame_system::Pallet::<T>::block_number();
		// Refuse before drawing a panel; `transition` checks again.
		Self::awaited_slot(&record.status, &verifier)?;
		let mv = match &record.status {
			JobStatus::Audit { provider, commitment, verifiers, .. } => {
				if digest_commitment(job, provider, &digest) == *commitment {
					Move::Confirm { verifier, digest }
				} else {
					let panel = Self::draw_panel(job, &record.client, provider, verifiers, now);
					Move::Escalate { verifier, digest, panel }
				}
			},
			_ => Move::Answer { verifier, digest },
		};
		Self::transition(job, mv, now)
	}

	/// The panel of a dispute: `dispute_verifiers` picked from the verifiers
	/// not yet asked.
	fn draw_panel(
		job: JobId,
		client: &T::AccountId,
		provider: &T::AccountId,
		verifiers: &VerifierSlots<T::AccountId>,
		now: BlockNumberFor<T>,
	) -> Vec<T::AccountId> {
		let excluded = Self::excluded(client, provider, verifiers);
		let randomness = Self::randomness(b"hypha/dispute", job, now.saturating_sub(1u32.into()));
		Self::pick_verifiers(&randomness, &excluded, Params::<T>::get().dispute_verifiers)
	}

	/// Slashes an absent verifier's `no_show_slash` to the client.
	fn penalize_absent(
		job: JobId,
		verifier: &T::AccountId,
		client: &T::AccountId,
		params: &ParamsOf<T>,
	) {
		let slashed = T::Stake::slash_verifier(
			verifier,
			params.no_show_slash,
			SlashDestination::Compensate(client.clone()),
		);
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
