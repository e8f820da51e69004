//! Every move of a job's [`JobStatus`], and the steps that decide them.
//!
//! ## Transitions
//!
//! | from | to | by | holds | event |
//! | --- | --- | --- | --- | --- |
//! | (none) | `Open` | `submit_job` | budget held | `JobSubmitted` |
//! | `Open` | `Refunded` | `cancel_job`, `Expire` step | budget released | `JobRefunded` |
//! | `Open` | `Assigned` | `claim_job` | collateral locked | `JobClaimed` |
//! | `Assigned` | `Committed` | `submit_result` | none | `ResultCommitted` |
//! | `Assigned` | `Open` / `Refunded` | `Deadline` step | part of collateral to the client, rest released | `DeadlineMissed`, then `JobReopened` or `JobRefunded` |
//! | `Committed` | `Audit` | `Sample` step, drawn | none | `SamplingDrawn`, `AuditAssigned` |
//! | `Committed` | `Committed` | `Sample` step, not drawn | none | `SamplingDrawn` |
//! | `Committed` | `Settled` | `Settle` step | price to provider, rest released, collateral released | `JobSettled` |
//! | `Audit` | `Settled` | `submit_verdict`, agreeing | as above, plus the auditor's fee | `VerdictSubmitted`, `JobSettled` |
//! | `Audit` | `Audit` | `AuditDeadline` step | absent auditor slashed to the client | `VerifierAbsent`, `AuditAssigned` |
//! | `Audit` | `Settled` | `AuditDeadline` step, nobody left to audit | as `Settle` | `VerifierAbsent`, `JobSettled` |
//! | `Audit` | `Dispute` | `submit_verdict`, disagreeing | none | `VerdictSubmitted`, `DisputeOpened` |
//! | `Dispute` | `Settled` | last verdict or `DisputeDeadline`; a strict majority of the verdicts in back the provider | losers slashed to the provider; fees to winners | `VerifierSlashed`, `JobSettled` |
//! | `Dispute` | `Slashed` | same; a strict majority agree on another digest | collateral pays winners' fees, rest to the client; budget released | `VerifierSlashed`, `ProviderSlashed` |
//! | `Dispute` | `Refunded` | same; no strict majority | fees to every verifier that answered, rest released, collateral released | `JobRefunded` |

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use hypha_primitives::{
	blake2_256, digest_commitment,
	sampling::{audit_probability_ppm, is_sampled},
	Digest, JobId, JobStatus, Uri, VerifierSlot, VerifierSlots,
};
use pallet_reputation::{Outcome, ReputationInterface};
use pallet_stake::{SlashDestination, StakeInterface};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

use crate::pallet::*;

impl<T: Config> Pallet<T> {
	/// `Open` → `Assigned`: locks the collateral and starts the result deadline.
	pub(crate) fn transition_claim(
		job: JobId,
		mut record: JobOf<T>,
		provider: T::AccountId,
		price: BalanceOf<T>,
		collateral: BalanceOf<T>,
	) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let deadline = now.saturating_add(record.result_window);
		Self::schedule(job, Step::Deadline, deadline.saturating_add(1u32.into()))?;
		T::Stake::lock_collateral(&provider, collateral)?;
		record.status =
			JobStatus::Assigned { provider: provider.clone(), price, collateral, deadline };
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::JobClaimed { job, provider, price, collateral, deadline });
		Ok(())
	}

	/// `Assigned` → `Committed`: records the commitment and the audit
	/// probability, and schedules the draw.
	pub(crate) fn transition_commit(
		job: JobId,
		mut record: JobOf<T>,
		commitment: Digest,
		output_uri: Uri,
	) -> DispatchResult {
		let JobStatus::Assigned { provider, price, collateral, .. } = record.status.clone() else {
			return Err(Error::<T>::JobNotAssigned.into());
		};
		let now = frame_system::Pallet::<T>::block_number();
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
		record.status = JobStatus::Committed {
			provider: provider.clone(),
			price,
			collateral,
			commitment,
			output_uri: output_uri.clone(),
			committed_at: now,
			audit_probability_ppm,
		};
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::ResultCommitted { job, provider, commitment, output_uri });
		Ok(())
	}

	/// Any state → `Refunded`: releases what is left of the budget and, if a
	/// provider had locked collateral, that too.
	pub(crate) fn transition_refund(job: JobId, mut record: JobOf<T>, now: BlockNumberFor<T>) {
		if let JobStatus::Assigned { provider, collateral, .. }
		| JobStatus::Committed { provider, collateral, .. }
		| JobStatus::Audit { provider, collateral, .. }
		| JobStatus::Dispute { provider, collateral, .. } = &record.status
		{
			T::Stake::release_collateral(provider, *collateral);
		}
		let refunded = Self::release_budget(&record.client, record.budget);
		record.status = JobStatus::Refunded { at: now };
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::JobRefunded { job, refunded });
	}

	/// `Committed` / `Audit` / `Dispute` → `Settled`: pays the provider its
	/// price and each of `paid_verifiers` the verifier fee from the budget,
	/// releases the rest to the client and the collateral to the provider.
	pub(crate) fn transition_settle(
		job: JobId,
		mut record: JobOf<T>,
		paid_verifiers: &[T::AccountId],
		now: BlockNumberFor<T>,
	) {
		let (provider, price, collateral, commitment, output_uri) = match &record.status {
			JobStatus::Committed {
				provider, price, collateral, commitment, output_uri, ..
			}
			| JobStatus::Audit { provider, price, collateral, commitment, output_uri, .. }
			| JobStatus::Dispute { provider, price, collateral, commitment, output_uri, .. } => {
				(provider.clone(), *price, *collateral, *commitment, output_uri.clone())
			},
			_ => {
				defensive!("settling a job that has no result");
				return;
			},
		};
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
		record.status =
			JobStatus::Settled { provider: provider.clone(), commitment, output_uri, at: now };
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::JobSettled { job, provider, paid, verifier_fees, refunded });
	}

	/// `Dispute` → `Slashed`: the provider's collateral pays the winning
	/// verifiers' fees, the rest goes to the client, and the whole budget comes back.
	fn transition_slash_provider(
		job: JobId,
		mut record: JobOf<T>,
		winners: &[T::AccountId],
		now: BlockNumberFor<T>,
	) {
		let JobStatus::Dispute { provider, collateral, .. } = record.status.clone() else {
			defensive!("slashing a provider outside a dispute");
			return;
		};
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
		record.status = JobStatus::Slashed { provider: provider.clone(), at: now };
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::ProviderSlashed { job, provider, slashed, refunded });
	}

	/// Runs one timed step; a step whose job has moved on does nothing.
	pub(crate) fn run_step(job: JobId, step: Step, now: BlockNumberFor<T>) {
		let Some(record) = Jobs::<T>::get(job) else { return };
		match (step, &record.status) {
			(Step::Expire, JobStatus::Open { expires_at }) if now >= *expires_at => {
				Self::transition_refund(job, record, now)
			},
			(Step::Deadline, JobStatus::Assigned { deadline, .. }) if now > *deadline => {
				Self::missed_deadline(job, record, now)
			},
			(Step::Sample, JobStatus::Committed { .. }) => Self::draw_sample(job, record, now),
			(Step::Settle, JobStatus::Committed { .. }) => {
				Self::transition_settle(job, record, &[], now)
			},
			(Step::AuditDeadline, JobStatus::Audit { deadline, .. }) if now > *deadline => {
				Self::auditor_absent(job, record, now)
			},
			(Step::DisputeDeadline, JobStatus::Dispute { deadline, .. }) if now > *deadline => {
				Self::resolve_dispute(job, record, now)
			},
			_ => {},
		}
	}

	/// `Assigned` → `Open` (or `Refunded` after too many misses): part of the
	/// collateral goes to the client for the lost time.
	fn missed_deadline(job: JobId, mut record: JobOf<T>, now: BlockNumberFor<T>) {
		let JobStatus::Assigned { provider, collateral, .. } = record.status.clone() else {
			return;
		};
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
			record.status = JobStatus::Open { expires_at: now };
			Self::transition_refund(job, record, now);
			return;
		}
		record.status = JobStatus::Open { expires_at };
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::JobReopened { job, expires_at });
	}

	/// Randomness for `job` in block `now`: the hash of block `source` mixed
	/// with the job id and a domain tag (see the pallet docs on bias).
	fn randomness(tag: &[u8], job: JobId, source: BlockNumberFor<T>) -> [u8; 32] {
		let block_hash = frame_system::Pallet::<T>::block_hash(source);
		blake2_256(&(tag, job, block_hash).encode())
	}

	/// `Committed`: draws whether to audit, then assigns an auditor or
	/// schedules settlement.
	fn draw_sample(job: JobId, mut record: JobOf<T>, now: BlockNumberFor<T>) {
		let JobStatus::Committed {
			provider,
			price,
			collateral,
			commitment,
			output_uri,
			committed_at,
			audit_probability_ppm,
		} = record.status.clone()
		else {
			return;
		};
		let source = committed_at.saturating_add(1u32.into());
		let randomness = Self::randomness(b"hypha/sample", job, source);
		let audited = is_sampled(&randomness, audit_probability_ppm);
		Self::deposit_event(Event::SamplingDrawn {
			job,
			audited,
			probability_ppm: audit_probability_ppm,
		});
		let settle_at = committed_at.saturating_add(Params::<T>::get().challenge_window).max(now);
		let auditor = if audited {
			let excluded = [provider.clone(), record.client.clone()];
			Self::pick_verifiers(&randomness, &excluded, 1).into_iter().next()
		} else {
			None
		};
		let Some(auditor) = auditor else {
			// Not drawn, or nobody to audit: settle after the challenge window.
			if Self::schedule(job, Step::Settle, settle_at).is_err() {
				Self::transition_settle(job, record, &[], now);
			}
			return;
		};
		let deadline = now.saturating_add(Params::<T>::get().audit_window);
		let mut verifiers = VerifierSlots::<T::AccountId>::default();
		if verifiers.try_push(VerifierSlot { verifier: auditor.clone(), digest: None }).is_err()
			|| Self::schedule(job, Step::AuditDeadline, deadline.saturating_add(1u32.into()))
				.is_err()
		{
			Self::transition_settle(job, record, &[], now);
			return;
		}
		record.status = JobStatus::Audit {
			provider,
			price,
			collateral,
			commitment,
			output_uri,
			verifiers,
			deadline,
		};
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::AuditAssigned { job, verifier: auditor, deadline });
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

	/// Records a verdict; settles, escalates or resolves as the verdicts say.
	pub(crate) fn do_submit_verdict(
		job: JobId,
		mut record: JobOf<T>,
		verifier: T::AccountId,
		digest: Digest,
	) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		match &mut record.status {
			JobStatus::Audit { provider, commitment, verifiers, .. } => {
				// Only the current auditor (the last slot) may answer.
				let slot = verifiers.last_mut().ok_or(Error::<T>::NotAssignedVerifier)?;
				ensure!(slot.verifier == verifier, Error::<T>::NotAssignedVerifier);
				ensure!(slot.digest.is_none(), Error::<T>::VerdictAlreadySubmitted);
				slot.digest = Some(digest);
				let agrees = digest_commitment(job, &*provider, &digest) == *commitment;
				Self::deposit_event(Event::VerdictSubmitted {
					job,
					verifier: verifier.clone(),
					agrees,
				});
				if agrees {
					T::Reputation::record(&verifier, Outcome::Completed);
					Self::transition_settle(job, record, &[verifier], now);
					Ok(())
				} else {
					Self::open_dispute(job, record, now)
				}
			},
			JobStatus::Dispute { provider, commitment, verifiers, .. } => {
				let slot = verifiers
					.iter_mut()
					.find(|slot| slot.verifier == verifier)
					.ok_or(Error::<T>::NotAssignedVerifier)?;
				ensure!(slot.digest.is_none(), Error::<T>::VerdictAlreadySubmitted);
				slot.digest = Some(digest);
				let agrees = digest_commitment(job, &*provider, &digest) == *commitment;
				let all_in = verifiers.iter().all(|slot| slot.digest.is_some());
				Self::deposit_event(Event::VerdictSubmitted { job, verifier, agrees });
				if all_in {
					Self::resolve_dispute(job, record, now);
				} else {
					Jobs::<T>::insert(job, record);
				}
				Ok(())
			},
			_ => Err(Error::<T>::NotAssignedVerifier.into()),
		}
	}

	/// `Audit` → `Dispute`: a panel re-executes. Without a panel the job is
	/// refunded (nobody can break the tie), the auditor paid.
	fn open_dispute(job: JobId, mut record: JobOf<T>, now: BlockNumberFor<T>) -> DispatchResult {
		let JobStatus::Audit {
			provider, price, collateral, commitment, output_uri, verifiers, ..
		} = record.status.clone()
		else {
			return Err(Error::<T>::NotAssignedVerifier.into());
		};
		let params = Params::<T>::get();
		let mut excluded: Vec<T::AccountId> =
			verifiers.iter().map(|slot| slot.verifier.clone()).collect();
		excluded.push(provider.clone());
		excluded.push(record.client.clone());
		let randomness = Self::randomness(b"hypha/dispute", job, now.saturating_sub(1u32.into()));
		let panel = Self::pick_verifiers(&randomness, &excluded, params.dispute_verifiers);
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
		let deadline = now.saturating_add(params.audit_window);
		if panel.is_empty() {
			record.status = JobStatus::Dispute {
				provider,
				price,
				collateral,
				commitment,
				output_uri,
				verifiers: slots,
				deadline,
			};
			Self::resolve_dispute(job, record, now);
			return Ok(());
		}
		Self::schedule(job, Step::DisputeDeadline, deadline.saturating_add(1u32.into()))?;
		record.status = JobStatus::Dispute {
			provider,
			price,
			collateral,
			commitment,
			output_uri,
			verifiers: slots,
			deadline,
		};
		Jobs::<T>::insert(job, record);
		Self::deposit_event(Event::DisputeOpened { job, panel, deadline });
		Ok(())
	}

	/// `Audit`, deadline passed: the auditor is penalized and replaced; with
	/// nobody left to ask, the result settles unaudited.
	fn auditor_absent(job: JobId, mut record: JobOf<T>, now: BlockNumberFor<T>) {
		let JobStatus::Audit { provider, verifiers, .. } = &mut record.status else { return };
		let Some(absent) = verifiers.last().map(|slot| slot.verifier.clone()) else { return };
		let params = Params::<T>::get();
		Self::penalize_absent(job, &absent, &record.client, &params);
		let mut excluded: Vec<T::AccountId> =
			verifiers.iter().map(|slot| slot.verifier.clone()).collect();
		excluded.push(provider.clone());
		excluded.push(record.client.clone());
		let randomness = Self::randomness(b"hypha/replace", job, now.saturating_sub(1u32.into()));
		let replacement = Self::pick_verifiers(&randomness, &excluded, 1).into_iter().next();
		let deadline = now.saturating_add(params.audit_window);
		let replaced = match replacement {
			Some(verifier) => {
				verifiers
					.try_push(VerifierSlot { verifier: verifier.clone(), digest: None })
					.is_ok() && Self::schedule(
					job,
					Step::AuditDeadline,
					deadline.saturating_add(1u32.into()),
				)
				.is_ok() && {
					Self::deposit_event(Event::AuditAssigned { job, verifier, deadline });
					true
				}
			},
			None => false,
		};
		if replaced {
			if let JobStatus::Audit { deadline: current, .. } = &mut record.status {
				*current = deadline;
			}
			Jobs::<T>::insert(job, record);
		} else {
			Self::transition_settle(job, record, &[], now);
		}
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

	/// `Dispute` → `Settled`, `Slashed` or `Refunded` by majority of the
	/// verdicts in; absent verifiers are penalized and not counted.
	pub(crate) fn resolve_dispute(job: JobId, record: JobOf<T>, now: BlockNumberFor<T>) {
		let JobStatus::Dispute { provider, commitment, verifiers, .. } = record.status.clone()
		else {
			return;
		};
		let params = Params::<T>::get();
		let mut answers: Vec<(T::AccountId, Digest)> = Vec::new();
		for slot in verifiers.iter() {
			match slot.digest {
				Some(digest) => answers.push((slot.verifier.clone(), digest)),
				None => Self::penalize_absent(job, &slot.verifier, &record.client, &params),
			}
		}
		let backs_provider =
			|digest: &Digest| digest_commitment(job, &provider, digest) == commitment;
		let provider_votes = answers.iter().filter(|(_, digest)| backs_provider(digest)).count();
		// The most common digest other than the provider's, and its votes.
		let mut rival: Option<(Digest, usize)> = None;
		for (_, digest) in answers.iter().filter(|(_, digest)| !backs_provider(digest)) {
			let votes = answers.iter().filter(|(_, other)| other == digest).count();
			if rival.is_none_or(|(_, best)| votes > best) {
				rival = Some((*digest, votes));
			}
		}
		let rival_votes = rival.map_or(0, |(_, votes)| votes);

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

		// A digest wins with a strict majority of the verdicts in; a plurality
		// is not enough (two verifiers that disagree with each other prove
		// nothing about the provider).
		let majority = |votes: usize| votes.saturating_mul(2) > answers.len();
		if majority(provider_votes) {
			slash_losers(&|digest| backs_provider(digest), &provider);
			let winners: Vec<T::AccountId> = answers
				.iter()
				.filter(|(_, digest)| backs_provider(digest))
				.map(|(who, _)| who.clone())
				.collect();
			Self::transition_settle(job, record, &winners, now);
		} else if let Some((winner, _)) = rival.filter(|_| majority(rival_votes)) {
			slash_losers(&|digest| *digest == winner, &record.client);
			let winners: Vec<T::AccountId> = answers
				.iter()
				.filter(|(_, digest)| *digest == winner)
				.map(|(who, _)| who.clone())
				.collect();
			Self::transition_slash_provider(job, record, &winners, now);
		} else {
			// No majority: nobody is proven wrong. Verifiers that answered are
			// paid for their work, the rest of the budget goes back.
			let client = record.client.clone();
			let fee = params.verifier_fee;
			let mut fees = BalanceOf::<T>::zero();
			for (verifier, _) in &answers {
				fees = fees.saturating_add(Self::pay_from_budget(&client, verifier, fee));
			}
			let mut record = record;
			record.budget = record.budget.saturating_sub(fees);
			Self::transition_refund(job, record, now);
		}
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
