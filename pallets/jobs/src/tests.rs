//! Claims about the jobs pallet, one test each, against the real balances,
//! stake and reputation pallets. Every test ends with the conservation check.

use crate::{
	lifecycle::{Move, ILLEGAL_MOVE},
	mock::{Jobs, *},
	pallet::*,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use frame_support::{
	traits::{Get, Hooks},
	BoundedVec,
};
use hypha_primitives::{
	current_auditor_slot, digest_commitment, sampling::PPM, Digest, JobId, JobStatus, Uri,
	WorkloadKind, INPUTS_UNAVAILABLE,
};
use pallet_stake::StakeInterface;
use sp_runtime::DispatchError;

const OUTPUT: Digest = [42; 32];
const WRONG: Digest = [13; 32];
/// 10 compute units at 10 per unit.
const PRICE: Balance = 100;
/// 200% of the price.
const COLLATERAL: Balance = 200;
const BUDGET: Balance = 1_000;
const FEE: Balance = 5;

fn output_uri() -> Uri {
	Uri::truncate_from(b"http://127.0.0.1:8001/blob/out".to_vec())
}

fn escrow(who: u64) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Jobs(HoldReason::JobEscrow), &who)
}

fn free(who: u64) -> Balance {
	Balances::balance(&who)
}

/// A verifier's stake held by the stake pallet.
fn verifier_stake(who: u64) -> Balance {
	Balances::balance_on_hold(
		&RuntimeHoldReason::Stake(pallet_stake::HoldReason::VerifierStake),
		&who,
	)
}

/// A provider's stake held by the stake pallet, locked collateral included.
fn provider_stake(who: u64) -> Balance {
	Balances::balance_on_hold(
		&RuntimeHoldReason::Stake(pallet_stake::HoldReason::ProviderStake),
		&who,
	)
}

/// A provider's stake not locked as collateral.
fn free_stake(provider: u64) -> Balance {
	<Stake as StakeInterface<_, _>>::provider_offer(&provider, WorkloadKind::Inference)
		.map(|offer| offer.free_stake)
		.expect("a registered provider")
}

/// This pallet's events so far, oldest first.
fn jobs_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Jobs(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// This pallet's last `events.len()` events are `events`, in that order.
fn assert_last_jobs_events(events: &[Event<Test>]) {
	let all = jobs_events();
	assert!(all.len() >= events.len(), "only {} events: {all:?}", all.len());
	assert_eq!(&all[all.len() - events.len()..], events);
}

fn status(job: JobId) -> StatusOf<Test> {
	crate::pallet::Jobs::<Test>::get(job).map(|record| record.status).expect("job exists")
}

/// `Settled` for a provider that committed the right output.
fn settled(job: JobId, provider: u64, auditors: &[u64], at: u64) -> StatusOf<Test> {
	let commitment = digest_commitment(job, &provider, &OUTPUT);
	let auditors = BoundedVec::truncate_from(auditors.to_vec());
	JobStatus::Settled { provider, commitment, output_uri: output_uri(), auditors, at }
}

fn set_params(change: impl FnOnce(&mut ParamsOf<Test>)) {
	let mut params = test_params();
	change(&mut params);
	assert_ok!(Jobs::set_params(RuntimeOrigin::root(), params));
}

fn submit() -> JobId {
	let job = NextJobId::<Test>::get();
	assert_ok!(Jobs::submit_job(RuntimeOrigin::signed(CLIENT), spec(), BUDGET, 5));
	job
}

fn claim(job: JobId, provider: u64) {
	assert_ok!(Jobs::claim_job(RuntimeOrigin::signed(provider), job));
}

fn commit(job: JobId, provider: u64, digest: Digest) {
	let commitment = digest_commitment(job, &provider, &digest);
	assert_ok!(Jobs::submit_result(RuntimeOrigin::signed(provider), job, commitment, output_uri()));
}

/// The auditor a job in `Audit` waits for.
fn auditor(job: JobId) -> u64 {
	match status(job) {
		JobStatus::Audit { verifiers, .. } => {
			let slot = current_auditor_slot(&verifiers).expect("an auditor");
			verifiers[slot].verifier
		},
		other => panic!("job is not in audit: {other:?}"),
	}
}

/// The seats of a job in `Dispute` that have not committed a verdict.
fn pending_panel(job: JobId) -> Vec<u64> {
	match status(job) {
		JobStatus::Dispute { verifiers, .. } => verifiers
			.iter()
			.filter(|slot| slot.commitment.is_none())
			.map(|slot| slot.verifier)
			.collect(),
		other => panic!("job is not in dispute: {other:?}"),
	}
}

/// `who` commits `digest` as its verdict on `job`: an auditor's
/// disagreement, or a panel member's verdict in the commit phase.
fn commit_vote(job: JobId, who: u64, digest: Digest) {
	let commitment = digest_commitment(job, &who, &digest);
	assert_ok!(Jobs::commit_verdict(RuntimeOrigin::signed(who), job, commitment));
}

/// `who` reveals `digest`: an auditor's agreement, or a seat's reveal.
fn reveal(job: JobId, who: u64, digest: Digest) {
	assert_ok!(Jobs::submit_verdict(RuntimeOrigin::signed(who), job, digest));
}

/// Runs a dispute opened by `auditor`'s committed `disagreement` through
/// the panel's commitments (`votes`, in panel order; `None` stays away) and
/// every reveal, all in this block when every seat commits. Returns the panel.
fn dispute(job: JobId, auditor: u64, disagreement: Digest, votes: &[Option<Digest>]) -> Vec<u64> {
	commit_vote(job, auditor, disagreement);
	let panel = pending_panel(job);
	assert_eq!(panel.len(), votes.len(), "panel size");
	for (member, vote) in panel.iter().zip(votes) {
		if let Some(digest) = vote {
			commit_vote(job, *member, *digest);
		}
	}
	if votes.iter().any(Option::is_none) {
		// The commit window passes for the absent ones.
		let JobStatus::Dispute { deadline, .. } = status(job) else { return panel };
		run_to_block(deadline + 1);
	}
	reveal(job, auditor, disagreement);
	for (member, vote) in panel.iter().zip(votes) {
		if let (Some(digest), JobStatus::Dispute { .. }) = (vote, status(job)) {
			reveal(job, *member, *digest);
		}
	}
	panel
}

/// Tokens burned so far: missed-deadline penalties and no-show slashes,
/// the only burns the pallet makes.
fn burned() -> Balance {
	jobs_events()
		.iter()
		.map(|event| match event {
			Event::DeadlineMissed { slashed, .. } | Event::VerifierAbsent { slashed, .. } => {
				*slashed
			},
			_ => 0,
		})
		.sum()
}

/// No token was created, none destroyed but the documented burns, and no
/// escrow outlives its job.
fn assert_conserved(initial_issuance: Balance) {
	assert_eq!(issuance(), initial_issuance - burned(), "total issuance changed");
	let open_budgets: Balance = crate::pallet::Jobs::<Test>::iter_values()
		.filter(|record| !record.status.is_final())
		.map(|record| record.budget)
		.sum();
	let held: Balance = [CLIENT].iter().map(|who| escrow(*who)).sum();
	assert!(
		held <= open_budgets,
		"escrow {held} exceeds the budgets of unfinished jobs {open_budgets}"
	);
	if open_budgets == 0 {
		assert_eq!(held, 0, "an escrow outlived its job");
	}
}

#[test]
fn submit_job_holds_the_budget_and_opens_the_job() {
	new_test_ext().execute_with(|| {
		let job = submit();
		assert_eq!(escrow(CLIENT), BUDGET);
		assert_eq!(free(CLIENT), ENDOWMENT - BUDGET);
		assert_eq!(status(job), JobStatus::Open { expires_at: 51 });
		System::assert_last_event(
			Event::JobSubmitted { job, client: CLIENT, budget: BUDGET }.into(),
		);
	});
}

#[test]
fn submit_job_refuses_malformed_specs() {
	new_test_ext().execute_with(|| {
		let signed = || RuntimeOrigin::signed(CLIENT);
		let no_units = hypha_primitives::JobSpec { compute_units: 0, ..spec() };
		assert_noop!(
			Jobs::submit_job(signed(), no_units, BUDGET, 5),
			Error::<Test>::NoComputeUnits
		);
		let no_output = hypha_primitives::JobSpec { max_output_bytes: 0, ..spec() };
		assert_noop!(
			Jobs::submit_job(signed(), no_output, BUDGET, 5),
			Error::<Test>::OutputBoundOutOfRange
		);
		let no_uri = hypha_primitives::JobSpec { input_uri: Uri::default(), ..spec() };
		assert_noop!(Jobs::submit_job(signed(), no_uri, BUDGET, 5), Error::<Test>::EmptyUri);
		// A generate job's program is its model: it cannot name another one.
		let program = spec().program_digest;
		let mut other = [0x5a; 32];
		other[0] = !program[0];
		let wrong_model = hypha_primitives::JobSpec {
			kind: WorkloadKind::Generate,
			model: Some(other),
			..spec()
		};
		assert_noop!(
			Jobs::submit_job(signed(), wrong_model, BUDGET, 5),
			Error::<Test>::ModelIsNotTheProgram
		);
	});
}

#[test]
fn the_registry_reads_a_paid_result_only_once_the_job_settled() {
	use crate::JobResults;
	new_test_ext().execute_with(|| {
		let job = submit();
		assert_eq!(<Jobs as JobResults<u64>>::paid_result(job), None, "open");
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		assert_eq!(<Jobs as JobResults<u64>>::paid_result(job), None, "committed, not settled");
		run_to_block(6);
		let paid = <Jobs as JobResults<u64>>::paid_result(job).expect("settled");
		assert_eq!((paid.client, paid.provider, &paid.spec), (CLIENT, PROVIDER, &spec()));
		assert!(paid.output_is(job, &OUTPUT));
		assert!(!paid.output_is(job, &[0xee; 32]));
		assert!(!paid.output_is(job + 1, &OUTPUT), "the commitment binds the job id");
		assert_eq!(<Jobs as JobResults<u64>>::paid_result(job + 1), None, "no such job");
	});
}

#[test]
fn submit_job_refuses_result_window_out_of_bounds_and_zero_budget() {
	new_test_ext().execute_with(|| {
		let signed = || RuntimeOrigin::signed(CLIENT);
		assert_noop!(
			Jobs::submit_job(signed(), spec(), BUDGET, 1),
			Error::<Test>::ResultWindowOutOfRange
		);
		assert_noop!(
			Jobs::submit_job(signed(), spec(), BUDGET, 101),
			Error::<Test>::ResultWindowOutOfRange
		);
		assert_noop!(Jobs::submit_job(signed(), spec(), 0, 5), Error::<Test>::ZeroBudget);
	});
}

#[test]
fn submit_job_without_funds_fails_and_changes_nothing() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Jobs::submit_job(RuntimeOrigin::signed(NOBODY), spec(), BUDGET, 5),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Jobs::submit_job(RuntimeOrigin::signed(CLIENT), spec(), ENDOWMENT * 2, 5),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn cancel_job_refunds_an_open_job_to_its_client_only() {
	new_test_ext().execute_with(|| {
		let issuance = issuance();
		let job = submit();
		assert_noop!(
			Jobs::cancel_job(RuntimeOrigin::signed(PROVIDER), job),
			Error::<Test>::NotJobClient
		);
		assert_noop!(
			Jobs::cancel_job(RuntimeOrigin::signed(CLIENT), 7),
			Error::<Test>::JobNotFound
		);
		assert_ok!(Jobs::cancel_job(RuntimeOrigin::signed(CLIENT), job));
		assert_eq!(status(job), JobStatus::Refunded { at: 1 });
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_noop!(
			Jobs::cancel_job(RuntimeOrigin::signed(CLIENT), job),
			Error::<Test>::JobNotOpen
		);
		assert_conserved(issuance);
	});
}

#[test]
fn cancel_job_is_refused_once_claimed() {
	new_test_ext().execute_with(|| {
		let job = submit();
		claim(job, PROVIDER);
		assert_noop!(
			Jobs::cancel_job(RuntimeOrigin::signed(CLIENT), job),
			Error::<Test>::JobNotOpen
		);
	});
}

#[test]
fn claim_job_locks_collateral_and_one_provider_wins() {
	new_test_ext().execute_with(|| {
		let job = submit();
		claim(job, PROVIDER);
		assert_eq!(
			status(job),
			JobStatus::Assigned {
				provider: PROVIDER,
				price: PRICE,
				collateral: COLLATERAL,
				deadline: 6
			}
		);
		assert_noop!(
			Jobs::claim_job(RuntimeOrigin::signed(OTHER_PROVIDER), job),
			Error::<Test>::JobNotOpen
		);
	});
}

#[test]
fn claim_job_refuses_unregistered_providers_own_jobs_and_prices_above_budget() {
	new_test_ext().execute_with(|| {
		let job = submit();
		assert_noop!(
			Jobs::claim_job(RuntimeOrigin::signed(NOBODY), job),
			pallet_stake::Error::<Test>::NotProvider
		);
		assert_noop!(Jobs::claim_job(RuntimeOrigin::signed(CLIENT), job), Error::<Test>::OwnJob);
		assert_noop!(
			Jobs::claim_job(RuntimeOrigin::signed(PROVIDER), 9),
			Error::<Test>::JobNotFound
		);
		// 100 + 3 * 5 in fees > 110.
		assert_ok!(Jobs::submit_job(RuntimeOrigin::signed(CLIENT), spec(), 110, 5));
		assert_noop!(
			Jobs::claim_job(RuntimeOrigin::signed(PROVIDER), 1),
			Error::<Test>::PriceAboveBudget
		);
	});
}

#[test]
fn submit_result_is_only_for_the_assigned_provider_in_time() {
	new_test_ext().execute_with(|| {
		let job = submit();
		let commitment = digest_commitment(job, &PROVIDER, &OUTPUT);
		assert_noop!(
			Jobs::submit_result(RuntimeOrigin::signed(PROVIDER), job, commitment, output_uri()),
			Error::<Test>::JobNotAssigned
		);
		claim(job, PROVIDER);
		assert_noop!(
			Jobs::submit_result(
				RuntimeOrigin::signed(OTHER_PROVIDER),
				job,
				commitment,
				output_uri()
			),
			Error::<Test>::NotAssignedProvider
		);
		assert_noop!(
			Jobs::submit_result(RuntimeOrigin::signed(PROVIDER), job, commitment, Uri::default()),
			Error::<Test>::EmptyUri
		);
		commit(job, PROVIDER, OUTPUT);
		assert!(matches!(status(job), JobStatus::Committed { committed_at: 1, .. }));
	});
}

#[test]
fn unaudited_honest_job_settles_after_the_challenge_window_and_pays_exactly() {
	new_test_ext().execute_with(|| {
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		// The draw for job 0 committed at block 1 says no audit.
		run_to_block(5);
		assert!(matches!(status(job), JobStatus::Committed { .. }));
		run_to_block(6);
		assert_eq!(status(job), settled(job, PROVIDER, &[], 6));
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE);
		assert_eq!(escrow(CLIENT), 0);
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND + PRICE);
		System::assert_has_event(
			Event::JobSettled {
				job,
				provider: PROVIDER,
				paid: PRICE,
				verifier_fees: 0,
				refunded: BUDGET - PRICE,
			}
			.into(),
		);
		assert_conserved(issuance);
	});
}

#[test]
fn audited_honest_job_settles_when_the_auditor_agrees() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let verifier = auditor(job);
		assert_ok!(Jobs::submit_verdict(RuntimeOrigin::signed(verifier), job, OUTPUT));
		assert_eq!(status(job), settled(job, PROVIDER, &[verifier], 3));
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE - FEE);
		assert_eq!(free(verifier), ENDOWMENT - VERIFIER_BOND + FEE);
		assert_conserved(issuance);
	});
}

#[test]
fn cheat_caught_in_audit_is_slashed_and_the_client_made_whole() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		// The provider skips the work and commits a made-up digest.
		commit(job, PROVIDER, WRONG);
		run_to_block(3);
		let first = auditor(job);
		let panel = dispute(job, first, OUTPUT, &[Some(OUTPUT), Some(OUTPUT)]);
		assert_eq!(status(job), JobStatus::Slashed { provider: PROVIDER, at: 3 });
		// The client pays nothing and gets the collateral beyond the verifier fees.
		assert_eq!(escrow(CLIENT), 0);
		assert_eq!(free(CLIENT), ENDOWMENT + COLLATERAL - 3 * FEE);
		for verifier in [first].iter().chain(&panel) {
			assert_eq!(free(*verifier), ENDOWMENT - VERIFIER_BOND + FEE);
		}
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND);
		System::assert_has_event(
			Event::ProviderSlashed {
				job,
				provider: PROVIDER,
				slashed: COLLATERAL,
				refunded: BUDGET,
			}
			.into(),
		);
		assert_conserved(issuance);
	});
}

#[test]
fn a_lying_auditor_loses_the_dispute_and_is_slashed() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let liar = auditor(job);
		let panel = dispute(job, liar, WRONG, &[Some(OUTPUT), Some(OUTPUT)]);
		assert_eq!(status(job), settled(job, PROVIDER, &panel, 3));
		// The liar's slash goes to the provider; honest panel members get their fee.
		assert_eq!(free(liar), ENDOWMENT - VERIFIER_BOND);
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND + PRICE + 100);
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE - 2 * FEE);
		System::assert_has_event(
			Event::VerifierSlashed { job, verifier: liar, slashed: 100 }.into(),
		);
		assert_conserved(issuance);
	});
}

#[test]
fn a_tied_dispute_refunds_the_client_and_pays_no_verifier() {
	new_test_ext().execute_with(|| {
		register_verifiers(2);
		set_params(|p| {
			p.p_min_ppm = PPM;
			p.dispute_verifiers = 1;
		});
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let first = auditor(job);
		dispute(job, first, WRONG, &[Some([77; 32])]);
		// One vote for WRONG, one for [77; 32], none for the provider: no
		// majority, and no fee (at least one of the two lied).
		assert_eq!(status(job), JobStatus::Refunded { at: 3 });
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND);
		assert_conserved(issuance);
	});
}

#[test]
fn draining_verifiers_inputs_unavailable_confirmed_by_the_panel_refunds_and_costs_no_verifier() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		// Client and provider both withhold the inputs: the auditor and the
		// whole panel say so.
		let first = auditor(job);
		let unavailable = Some(INPUTS_UNAVAILABLE);
		let panel = dispute(job, first, INPUTS_UNAVAILABLE, &[unavailable, unavailable]);
		assert_eq!(status(job), JobStatus::Refunded { at: 3 });
		for verifier in core::iter::once(first).chain(panel) {
			assert_eq!(verifier_stake(verifier), VERIFIER_BOND, "verifier {verifier}");
			assert_eq!(free(verifier), ENDOWMENT - VERIFIER_BOND);
		}
		// Nobody is slashed: not the provider (the chain cannot tell who
		// withheld), and no penalty goes to the client.
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(provider_stake(PROVIDER), PROVIDER_BOND);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		assert!(!jobs_events().iter().any(|event| matches!(
			event,
			Event::VerifierSlashed { .. }
				| Event::VerifierAbsent { .. }
				| Event::ProviderSlashed { .. }
		)));
		assert_conserved(issuance);
	});
}

#[test]
fn draining_verifiers_a_false_inputs_unavailable_costs_the_no_show_slash_and_the_provider_is_paid()
{
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		// A lazy auditor claims the inputs were unavailable; the panel got
		// them and backs the provider.
		let lazy = auditor(job);
		let panel = dispute(job, lazy, INPUTS_UNAVAILABLE, &[Some(OUTPUT), Some(OUTPUT)]);
		assert_eq!(status(job), settled(job, PROVIDER, &panel, 3));
		// The claim counts as no answer: the no-show slash, burned (not a
		// lost vote's slash paid to the provider).
		assert_eq!(verifier_stake(lazy), VERIFIER_BOND - 50);
		System::assert_has_event(Event::VerifierAbsent { job, verifier: lazy, slashed: 50 }.into());
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND + PRICE);
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE - 2 * FEE);
		assert_conserved(issuance);
	});
}

#[test]
fn draining_verifiers_an_unavailable_claim_does_not_shield_a_cheat_the_panel_catches() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, WRONG);
		run_to_block(3);
		// An auditor colluding with the cheat claims the inputs were
		// unavailable; the panel computes the true output.
		let colluder = auditor(job);
		dispute(job, colluder, INPUTS_UNAVAILABLE, &[Some(OUTPUT), Some(OUTPUT)]);
		assert_eq!(status(job), JobStatus::Slashed { provider: PROVIDER, at: 3 });
		assert_eq!(verifier_stake(colluder), VERIFIER_BOND - 50);
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND);
		// The two panel members' fees come out of the collateral.
		assert_eq!(free(CLIENT), ENDOWMENT + COLLATERAL - 2 * FEE);
		assert_conserved(issuance);
	});
}

#[test]
fn draining_verifiers_a_provider_that_commits_inputs_unavailable_is_never_paid_for_it() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		// A cheat computes nothing and commits the "unavailable" digest,
		// hoping that auditors who cannot get the withheld inputs either
		// confirm it.
		commit(job, PROVIDER, INPUTS_UNAVAILABLE);
		run_to_block(3);
		let first = auditor(job);
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(first), job, INPUTS_UNAVAILABLE),
			Error::<Test>::DisagreementMustBeCommitted
		);
		let unavailable = Some(INPUTS_UNAVAILABLE);
		dispute(job, first, INPUTS_UNAVAILABLE, &[unavailable, unavailable]);
		// Refunded: the provider is not paid (nor slashed: nobody could
		// check its work), and no verifier loses anything.
		assert_eq!(status(job), JobStatus::Refunded { at: 3 });
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND);
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(verifier_stake(first), VERIFIER_BOND);
		assert_conserved(issuance);
	});
}

#[test]
fn verdicts_from_strangers_or_twice_are_refused() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let job = submit();
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(VERIFIERS[0]), job, OUTPUT),
			Error::<Test>::NotAssignedVerifier
		);
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let verifier = auditor(job);
		let stranger = VERIFIERS[..3].iter().copied().find(|v| *v != verifier).expect("another");
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(stranger), job, OUTPUT),
			Error::<Test>::NotAssignedVerifier
		);
		commit_vote(job, verifier, WRONG);
		let again = digest_commitment(job, &verifier, &OUTPUT);
		assert_noop!(
			Jobs::commit_verdict(RuntimeOrigin::signed(verifier), job, again),
			Error::<Test>::VerdictAlreadySubmitted
		);
		// Committed, it reveals only in the reveal phase.
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(verifier), job, WRONG),
			Error::<Test>::WrongVerdictPhase
		);
	});
}

#[test]
fn an_absent_auditor_is_penalized_and_replaced() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let absent = auditor(job);
		// Audit window 10: the deadline is block 13, the step runs at 14.
		run_to_block(14);
		let replacement = auditor(job);
		assert_ne!(replacement, absent);
		assert_eq!(free(absent), ENDOWMENT - VERIFIER_BOND);
		System::assert_has_event(
			Event::VerifierAbsent { job, verifier: absent, slashed: 50 }.into(),
		);
		assert_ok!(Jobs::submit_verdict(RuntimeOrigin::signed(replacement), job, OUTPUT));
		assert_eq!(status(job), settled(job, PROVIDER, &[replacement], 14));
		// The absent auditor's slash was burned, not paid to the client.
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE - FEE);
		assert_eq!(burned(), 50);
		assert_conserved(issuance);
	});
}

#[test]
fn a_missed_deadline_penalizes_the_provider_and_another_completes_the_job() {
	new_test_ext().execute_with(|| {
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		// Result window 5 from block 1: deadline 6, the step runs at 7.
		run_to_block(7);
		assert_eq!(status(job), JobStatus::Open { expires_at: 57 });
		System::assert_has_event(
			Event::DeadlineMissed { job, provider: PROVIDER, slashed: COLLATERAL / 10 }.into(),
		);
		claim(job, OTHER_PROVIDER);
		commit(job, OTHER_PROVIDER, OUTPUT);
		run_to_block(12);
		assert_eq!(status(job), settled(job, OTHER_PROVIDER, &[], 12));
		// The penalty was burned: the client pays the price and gains nothing.
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE);
		assert_eq!(burned(), COLLATERAL / 10);
		assert_eq!(free(OTHER_PROVIDER), ENDOWMENT - PROVIDER_BOND + PRICE);
		assert_conserved(issuance);
	});
}

/// Issue 11, attack 3: providers that miss the deadline of a job pay
/// nobody, least of all the client that wrote it.
#[test]
fn the_deadline_trap_missed_deadline_penalties_are_burned_never_paid_to_the_client() {
	new_test_ext().execute_with(|| {
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		run_to_block(7);
		claim(job, OTHER_PROVIDER);
		run_to_block(13);
		// Too many missed deadlines: refunded, and the client ends where it started.
		assert_eq!(status(job), JobStatus::Refunded { at: 13 });
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(burned(), 2 * (COLLATERAL / 10));
		assert_eq!(crate::mock::issuance(), issuance - 2 * (COLLATERAL / 10));
		assert_conserved(issuance);
	});
}

#[test]
fn an_unclaimed_job_expires_and_is_refunded() {
	new_test_ext().execute_with(|| {
		let job = submit();
		run_to_block(50);
		assert!(matches!(status(job), JobStatus::Open { .. }));
		run_to_block(51);
		assert_eq!(status(job), JobStatus::Refunded { at: 51 });
		assert_eq!(free(CLIENT), ENDOWMENT);
	});
}

#[test]
fn set_params_needs_governance_and_consistent_values() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Jobs::set_params(RuntimeOrigin::signed(CLIENT), test_params()),
			DispatchError::BadOrigin
		);
		let mut bad = test_params();
		bad.challenge_window = 1;
		assert_noop!(Jobs::set_params(RuntimeOrigin::root(), bad), Error::<Test>::InvalidParams);
		let mut bad = test_params();
		bad.dispute_verifiers = 5;
		assert_noop!(Jobs::set_params(RuntimeOrigin::root(), bad), Error::<Test>::InvalidParams);
		let mut good = test_params();
		good.verifier_fee = 7;
		assert_ok!(Jobs::set_params(RuntimeOrigin::root(), good.clone()));
		assert_eq!(Params::<Test>::get(), good);
	});
}

#[test]
fn set_params_refuses_parameters_that_break_the_rules() {
	// Issue 11, attack 8: each of these is refused, and nothing changes.
	type Edit = fn(&mut crate::ParamsOf<Test>);
	let breaks: [(&str, Edit); 12] = [
		("safety below 1.0", |p| p.safety_permille = 999),
		("no audit floor", |p| p.p_min_ppm = 0),
		("audit floor above 1", |p| p.p_min_ppm = PPM + 1),
		("no collateral", |p| p.collateral_percent = 0),
		("open timeout for ever", |p| p.open_timeout = u64::MAX),
		("result window for ever", |p| p.max_result_window = u64::MAX),
		("audit window for ever", |p| p.audit_window = u64::MAX),
		("audit window of zero", |p| p.audit_window = 0),
		("challenge window for ever", |p| p.challenge_window = u64::MAX),
		("challenge window of one", |p| p.challenge_window = 1),
		("deadline slash above 100 %", |p| p.deadline_slash_percent = 101),
		("endless missed deadlines", |p| p.max_missed_deadlines = u32::MAX),
	];
	new_test_ext().execute_with(|| {
		for (why, edit) in breaks {
			let mut bad = test_params();
			edit(&mut bad);
			assert!(!Jobs::params_are_valid(&bad), "{why} passed params_are_valid");
			assert_noop!(
				Jobs::set_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
		}
		// The longest windows need the longest unbonding period (a verifier
		// stays liable for three of them).
		let stake = pallet_stake::StakeParams {
			unbonding_period: pallet_stake::MAX_UNBONDING_BLOCKS.into(),
			..pallet_stake::Params::<Test>::get()
		};
		assert_ok!(Stake::set_params(RuntimeOrigin::root(), stake));
		let mut edge = test_params();
		edge.safety_permille = 1_000;
		edge.p_min_ppm = 1;
		edge.collateral_percent = 1;
		edge.audit_window = crate::MAX_WINDOW_BLOCKS.into();
		assert_ok!(Jobs::set_params(RuntimeOrigin::root(), edge));
	});
}

#[test]
fn parameters_that_break_the_rules_the_windows_cannot_outlast_the_verifiers_unbonding() {
	new_test_ext().execute_with(|| {
		// The mock's unbonding period is 400 blocks; at `test_params` a
		// verifier is liable for 3 × (100 + 1 + 16) = 351.
		let params = Params::<Test>::get();
		assert_eq!(Jobs::verifier_liability(&params), 351);
		// A longest result window of 117 makes it 402: refused, since the
		// verifier could withdraw its stake before a dispute's slash.
		let too_long = ParamsOf::<Test> { max_result_window: 117, ..params.clone() };
		assert_noop!(
			Jobs::set_params(RuntimeOrigin::root(), too_long),
			Error::<Test>::InvalidParams
		);
		let audit_too_long = ParamsOf::<Test> { audit_window: 117, ..params.clone() };
		assert_noop!(
			Jobs::set_params(RuntimeOrigin::root(), audit_too_long),
			Error::<Test>::InvalidParams
		);
		// 116 gives 399: accepted.
		let longest = ParamsOf::<Test> { max_result_window: 116, ..params };
		assert_ok!(Jobs::set_params(RuntimeOrigin::root(), longest));
		// And the other way round: the Stake pallet refuses to shorten the
		// unbonding period below what the new windows need.
		let stake = pallet_stake::Params::<Test>::get();
		assert_noop!(
			Stake::set_params(
				RuntimeOrigin::root(),
				pallet_stake::StakeParams { unbonding_period: 399, ..stake.clone() }
			),
			pallet_stake::Error::<Test>::InvalidParams
		);
		assert_ok!(Stake::set_params(
			RuntimeOrigin::root(),
			pallet_stake::StakeParams { unbonding_period: 400, ..stake }
		));
		// With the windows back to 100, it can shorten to 352.
		assert_ok!(Jobs::set_params(RuntimeOrigin::root(), test_params()));
		let stake = pallet_stake::Params::<Test>::get();
		assert_ok!(Stake::set_params(
			RuntimeOrigin::root(),
			pallet_stake::StakeParams { unbonding_period: 352, ..stake }
		));
	});
}

#[test]
#[should_panic(expected = "genesis Jobs parameters break")]
fn genesis_refuses_parameters_that_break_the_rules() {
	let mut bad = test_params();
	bad.p_min_ppm = 0;
	use sp_runtime::BuildStorage;
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	crate::GenesisConfig::<Test> { params: Some(bad) }.assimilate_storage(&mut storage).unwrap();
}

#[test]
fn a_job_submitted_after_a_parameter_change_uses_the_new_value() {
	new_test_ext().execute_with(|| {
		set_params(|p| p.collateral_percent = 300);
		let job = submit();
		claim(job, PROVIDER);
		assert!(matches!(status(job), JobStatus::Assigned { collateral: 300, .. }));
	});
}

#[test]
fn claims_need_free_stake_for_the_collateral() {
	new_test_ext().execute_with(|| {
		// The largest collateral the parameters allow: 100 times the price,
		// 10_000 per job; ten jobs lock the whole bond of 100_000.
		set_params(|p| p.collateral_percent = 10_000);
		for _ in 0..10 {
			let job = submit();
			claim(job, PROVIDER);
		}
		let job = submit();
		assert_noop!(
			Jobs::claim_job(RuntimeOrigin::signed(PROVIDER), job),
			pallet_stake::Error::<Test>::InsufficientStake
		);
	});
}

#[test]
fn a_result_not_drawn_for_audit_settles_after_the_challenge_window() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		// Price 100 against collateral 200 and a reputation of one half: the
		// job is audited with probability 500_001 ppm, and this draw says no.
		System::assert_last_event(
			Event::SamplingDrawn { job, audited: false, probability_ppm: 500_001 }.into(),
		);
		assert!(matches!(status(job), JobStatus::Committed { .. }));
		run_to_block(6);
		assert_eq!(status(job), settled(job, PROVIDER, &[], 6));
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE);
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND + PRICE);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		for verifier in &VERIFIERS[..3] {
			assert_eq!(free(*verifier), ENDOWMENT - VERIFIER_BOND);
		}
		assert_conserved(issuance);
	});
}

#[test]
fn a_result_drawn_for_audit_is_never_paid_unaudited_when_no_verifier_is_left() {
	new_test_ext().execute_with(|| {
		// Issue 11, attack 7: the draw said audit, the only verifier left
		// after the claim; the result is not paid without an audit.
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		assert_ok!(Stake::deregister(
			RuntimeOrigin::signed(VERIFIERS[0]),
			pallet_stake::Role::Verifier
		));
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		assert_last_jobs_events(&[
			Event::SamplingDrawn { job, audited: true, probability_ppm: PPM },
			Event::JobRefunded { job, refunded: BUDGET },
		]);
		assert_eq!(status(job), JobStatus::Refunded { at: 3 });
		assert!(!jobs_events().iter().any(|event| matches!(event, Event::JobSettled { .. })));
		// Nobody paid, nobody slashed: the client keeps its budget, the
		// provider its whole stake.
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		assert_conserved(issuance);
	});
}

#[test]
fn an_audit_with_no_auditor_left_is_refunded_never_paid_unaudited() {
	new_test_ext().execute_with(|| {
		// One verifier: once it is absent, nobody is left to replace it.
		register_verifiers(1);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let absent = auditor(job);
		assert_eq!(absent, VERIFIERS[0]);
		// Audit window 10: the deadline is block 13, the step runs at 14.
		run_to_block(13);
		assert!(matches!(status(job), JobStatus::Audit { .. }));
		run_to_block(14);
		assert_eq!(status(job), JobStatus::Refunded { at: 14 });
		assert_last_jobs_events(&[
			Event::VerifierAbsent { job, verifier: absent, slashed: 50 },
			Event::JobRefunded { job, refunded: BUDGET },
		]);
		// The no-show slash was burned; nobody was paid.
		assert_eq!(verifier_stake(absent), VERIFIER_BOND - 50);
		assert_eq!(free(absent), ENDOWMENT - VERIFIER_BOND);
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(escrow(CLIENT), 0);
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND);
		assert_eq!(provider_stake(PROVIDER), PROVIDER_BOND);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		assert_conserved(issuance);
	});
}

#[test]
fn a_lone_auditor_does_not_slash_a_cheat_without_a_panel_the_job_is_refunded() {
	new_test_ext().execute_with(|| {
		// One verifier: when it disagrees, no panel can be drawn.
		register_verifiers(1);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, WRONG);
		run_to_block(3);
		let only = auditor(job);
		commit_vote(job, only, OUTPUT);
		// One verdict is no strict majority of the three seats (auditor and a
		// panel of two): decided at once, without `DisputeOpened`, as a
		// refund. The cheat is not paid; nobody is slashed or paid a fee.
		assert_eq!(status(job), JobStatus::Refunded { at: 3 });
		assert_last_jobs_events(&[
			Event::VerdictCommitted { job, verifier: only, auditor: true },
			Event::JobRefunded { job, refunded: BUDGET },
		]);
		assert!(!jobs_events().iter().any(|event| matches!(event, Event::DisputeOpened { .. })));
		assert_eq!(escrow(CLIENT), 0);
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(free(only), ENDOWMENT - VERIFIER_BOND);
		assert_eq!(verifier_stake(only), VERIFIER_BOND);
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND);
		assert_eq!(provider_stake(PROVIDER), PROVIDER_BOND);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		assert_conserved(issuance);
	});
}

#[test]
fn a_lone_auditor_cannot_slash_an_honest_provider() {
	new_test_ext().execute_with(|| {
		// Issue 11, attack 1: a client and an auditor who collude must not
		// take an honest provider's collateral when no panel can be drawn.
		register_verifiers(1);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let liar = auditor(job);
		commit_vote(job, liar, WRONG);
		assert_eq!(status(job), JobStatus::Refunded { at: 3 });
		// The client gets its budget back and nothing more; the liar earns
		// nothing; the provider keeps its whole stake.
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(free(liar), ENDOWMENT - VERIFIER_BOND);
		assert_eq!(provider_stake(PROVIDER), PROVIDER_BOND);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		assert_conserved(issuance);
	});
}

#[test]
fn a_lone_auditor_cannot_slash_when_every_panel_member_stays_away() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let liar = auditor(job);
		commit_vote(job, liar, WRONG);
		let panel = pending_panel(job);
		assert_eq!(panel.len(), 2);
		// The commit window passes; the liar reveals alone.
		run_to_block(14);
		reveal(job, liar, WRONG);
		// The absent members are penalized; one verdict of three seats
		// decides nothing.
		assert_eq!(status(job), JobStatus::Refunded { at: 14 });
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(free(liar), ENDOWMENT - VERIFIER_BOND);
		for absent in panel {
			assert_eq!(verifier_stake(absent), VERIFIER_BOND - 50);
		}
		assert_eq!(provider_stake(PROVIDER), PROVIDER_BOND);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		assert_conserved(issuance);
	});
}

#[test]
fn dispute_deadline_penalizes_absent_members_and_decides_on_the_verdicts_in() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, WRONG);
		run_to_block(3);
		let first = auditor(job);
		commit_vote(job, first, OUTPUT);
		let panel = pending_panel(job);
		assert_eq!(panel.len(), 2);
		let (present, absent) = (panel[0], panel[1]);
		commit_vote(job, present, OUTPUT);
		// Verdict window 10 from block 3: the commit deadline is 13, the
		// step runs at 14 and opens the reveal.
		run_to_block(13);
		assert_eq!(pending_panel(job), vec![absent]);
		run_to_block(14);
		System::assert_last_event(Event::RevealOpened { job, deadline: 24 }.into());
		reveal(job, first, OUTPUT);
		reveal(job, present, OUTPUT);
		// Two verdicts in, both against the provider: a strict majority.
		assert_eq!(status(job), JobStatus::Slashed { provider: PROVIDER, at: 14 });
		assert_last_jobs_events(&[
			Event::VerifierAbsent { job, verifier: absent, slashed: 50 },
			Event::ProviderSlashed {
				job,
				provider: PROVIDER,
				slashed: COLLATERAL,
				refunded: BUDGET,
			},
		]);
		assert_eq!(escrow(CLIENT), 0);
		assert_eq!(free(CLIENT), ENDOWMENT + COLLATERAL - 2 * FEE);
		for winner in [first, present] {
			assert_eq!(free(winner), ENDOWMENT - VERIFIER_BOND + FEE);
			assert_eq!(verifier_stake(winner), VERIFIER_BOND);
		}
		assert_eq!(free(absent), ENDOWMENT - VERIFIER_BOND);
		assert_eq!(verifier_stake(absent), VERIFIER_BOND - 50);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND - COLLATERAL);
		assert_conserved(issuance);
	});
}

#[test]
fn a_tie_refunds_and_pays_no_verifier_so_the_liar_earns_nothing() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let liar = auditor(job);
		let panel = dispute(job, liar, WRONG, &[Some(OUTPUT), None]);
		let (present, absent) = (panel[0], panel[1]);
		// One verdict for the provider, one against, one absent: no majority
		// of the three seats, and a fee would pay the liar.
		assert_eq!(status(job), JobStatus::Refunded { at: 14 });
		assert_last_jobs_events(&[
			Event::VerifierAbsent { job, verifier: absent, slashed: 50 },
			Event::JobRefunded { job, refunded: BUDGET },
		]);
		assert_eq!(escrow(CLIENT), 0);
		assert_eq!(free(CLIENT), ENDOWMENT);
		for answered in [liar, present] {
			assert_eq!(free(answered), ENDOWMENT - VERIFIER_BOND);
			assert_eq!(verifier_stake(answered), VERIFIER_BOND);
		}
		assert_eq!(verifier_stake(absent), VERIFIER_BOND - 50);
		assert_eq!(free(PROVIDER), ENDOWMENT - PROVIDER_BOND);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		assert_conserved(issuance);
	});
}

#[test]
fn an_expiry_scheduled_before_a_reopening_does_nothing() {
	new_test_ext().execute_with(|| {
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		// Missed at 7: open again until 57. The first expiry, at 51, is stale.
		run_to_block(51);
		assert_eq!(status(job), JobStatus::Open { expires_at: 57 });
		run_to_block(57);
		assert_eq!(status(job), JobStatus::Refunded { at: 57 });
		System::assert_last_event(Event::JobRefunded { job, refunded: BUDGET }.into());
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_conserved(issuance);
	});
}

/// One job in each status at block 3, named by [`JobStatus::name`]: three
/// verifiers, every result audited.
struct EveryStatus {
	open: JobId,
	assigned: JobId,
	committed: JobId,
	audit: JobId,
	dispute: JobId,
	settled: JobId,
	refunded: JobId,
	slashed: JobId,
}

impl EveryStatus {
	fn new() -> Self {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let [settled, audit, dispute, slashed] = [OUTPUT, OUTPUT, OUTPUT, WRONG].map(|digest| {
			let job = submit();
			claim(job, PROVIDER);
			commit(job, PROVIDER, digest);
			job
		});
		let refunded = submit();
		assert_ok!(Jobs::cancel_job(RuntimeOrigin::signed(CLIENT), refunded));
		run_to_block(3);
		let verdict = |job, who, digest| {
			assert_ok!(Jobs::submit_verdict(RuntimeOrigin::signed(who), job, digest));
		};
		verdict(settled, auditor(settled), OUTPUT);
		commit_vote(dispute, auditor(dispute), WRONG);
		crate::tests::dispute(slashed, auditor(slashed), OUTPUT, &[Some(OUTPUT), Some(OUTPUT)]);
		let committed = submit();
		claim(committed, PROVIDER);
		commit(committed, PROVIDER, OUTPUT);
		let assigned = submit();
		claim(assigned, PROVIDER);
		let open = submit();
		let jobs =
			EveryStatus { open, assigned, committed, audit, dispute, settled, refunded, slashed };
		for (name, job) in jobs.all() {
			assert_eq!(status(job).name(), name);
		}
		jobs
	}

	fn all(&self) -> [(&'static str, JobId); 8] {
		[
			("open", self.open),
			("assigned", self.assigned),
			("committed", self.committed),
			("audit", self.audit),
			("dispute", self.dispute),
			("settled", self.settled),
			("refunded", self.refunded),
			("slashed", self.slashed),
		]
	}

	/// Every job but those in `allowed`.
	fn except(&self, allowed: &[&str]) -> Vec<(&'static str, JobId)> {
		self.all().into_iter().filter(|(name, _)| !allowed.contains(name)).collect()
	}
}

#[test]
fn claim_job_is_refused_unless_the_job_is_open() {
	new_test_ext().execute_with(|| {
		let jobs = EveryStatus::new();
		for (_, job) in jobs.except(&["open"]) {
			assert_noop!(
				Jobs::claim_job(RuntimeOrigin::signed(OTHER_PROVIDER), job),
				Error::<Test>::JobNotOpen
			);
		}
		claim(jobs.open, OTHER_PROVIDER);
	});
}

#[test]
fn cancel_job_is_refused_unless_the_job_is_open() {
	new_test_ext().execute_with(|| {
		let jobs = EveryStatus::new();
		for (_, job) in jobs.except(&["open"]) {
			assert_noop!(
				Jobs::cancel_job(RuntimeOrigin::signed(CLIENT), job),
				Error::<Test>::JobNotOpen
			);
		}
		assert_ok!(Jobs::cancel_job(RuntimeOrigin::signed(CLIENT), jobs.open));
	});
}

#[test]
fn submit_result_is_refused_unless_the_job_is_assigned() {
	new_test_ext().execute_with(|| {
		let jobs = EveryStatus::new();
		for (_, job) in jobs.except(&["assigned"]) {
			let commitment = digest_commitment(job, &PROVIDER, &OUTPUT);
			assert_noop!(
				Jobs::submit_result(RuntimeOrigin::signed(PROVIDER), job, commitment, output_uri()),
				Error::<Test>::JobNotAssigned
			);
		}
		commit(jobs.assigned, PROVIDER, OUTPUT);
	});
}

#[test]
fn submit_verdict_is_refused_unless_the_job_awaits_the_callers_verdict() {
	new_test_ext().execute_with(|| {
		let jobs = EveryStatus::new();
		for (_, job) in jobs.except(&["audit", "dispute"]) {
			for verifier in &VERIFIERS[..3] {
				assert_noop!(
					Jobs::submit_verdict(RuntimeOrigin::signed(*verifier), job, OUTPUT),
					Error::<Test>::NotAssignedVerifier
				);
			}
		}
		// In audit, only the current auditor may answer.
		let current = auditor(jobs.audit);
		for verifier in VERIFIERS[..3].iter().copied().filter(|v| *v != current) {
			assert_noop!(
				Jobs::submit_verdict(RuntimeOrigin::signed(verifier), jobs.audit, OUTPUT),
				Error::<Test>::NotAssignedVerifier
			);
		}
		// In dispute, only the panel; the auditor has answered already.
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(NOBODY), jobs.dispute, OUTPUT),
			Error::<Test>::NotAssignedVerifier
		);
		let JobStatus::Dispute { verifiers, .. } = status(jobs.dispute) else {
			panic!("job is in dispute")
		};
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(verifiers[0].verifier), jobs.dispute, WRONG),
			Error::<Test>::WrongVerdictPhase
		);
	});
}

#[test]
fn a_panel_member_may_answer_only_once() {
	new_test_ext().execute_with(|| {
		let jobs = EveryStatus::new();
		let panel = pending_panel(jobs.dispute);
		commit_vote(jobs.dispute, panel[0], OUTPUT);
		assert_eq!(pending_panel(jobs.dispute), vec![panel[1]]);
		let again = digest_commitment(jobs.dispute, &panel[0], &WRONG);
		assert_noop!(
			Jobs::commit_verdict(RuntimeOrigin::signed(panel[0]), jobs.dispute, again),
			Error::<Test>::VerdictAlreadySubmitted
		);
	});
}

#[test]
fn a_replaced_auditor_may_no_longer_answer() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let absent = auditor(job);
		run_to_block(14);
		let replacement = auditor(job);
		assert_ne!(replacement, absent);
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(absent), job, OUTPUT),
			Error::<Test>::NotAssignedVerifier
		);
		assert_ok!(Jobs::submit_verdict(RuntimeOrigin::signed(replacement), job, OUTPUT));
	});
}

/// Issue 11, attack 2: a panel member who has not computed has nothing to copy.
#[test]
fn panels_cannot_copy_the_auditor_verdicts_are_committed_before_they_are_revealed() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let liar = auditor(job);
		// An auditor cannot reveal a disagreement: it would be copyable.
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(liar), job, WRONG),
			Error::<Test>::DisagreementMustBeCommitted
		);
		commit_vote(job, liar, WRONG);
		// The chain holds the auditor's commitment, never its digest.
		let JobStatus::Dispute { verifiers, revealing: false, .. } = status(job) else {
			panic!("a dispute in its commit phase")
		};
		assert!(verifiers.iter().all(|slot| slot.digest.is_none()));
		let panel = pending_panel(job);
		// A lazy member copies the auditor's commitment: it binds the
		// auditor's account, so the copy reveals to nothing.
		let copied = verifiers[0].commitment.expect("the auditor committed");
		assert_ok!(Jobs::commit_verdict(RuntimeOrigin::signed(panel[0]), job, copied));
		// Nobody may reveal before every seat has committed.
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(liar), job, WRONG),
			Error::<Test>::WrongVerdictPhase
		);
		commit_vote(job, panel[1], OUTPUT);
		System::assert_last_event(Event::RevealOpened { job, deadline: 13 }.into());
		assert_noop!(
			Jobs::submit_verdict(RuntimeOrigin::signed(panel[0]), job, WRONG),
			Error::<Test>::RevealDoesNotMatch
		);
		reveal(job, liar, WRONG);
		reveal(job, panel[1], OUTPUT);
		// The copier cannot reveal; at the reveal deadline it counts as
		// absent: one vote each way of three seats, no majority.
		run_to_block(14);
		assert_eq!(status(job), JobStatus::Refunded { at: 14 });
		System::assert_has_event(
			Event::VerifierAbsent { job, verifier: panel[0], slashed: 50 }.into(),
		);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		assert_conserved(issuance);
	});
}

/// Issue 11, attack 1: the panel comes from randomness fixed by the draw.
#[test]
fn the_panel_is_drawn_from_the_seed_of_the_draw_not_the_block_of_the_verdict() {
	let panel_when_disputed_at = |block: u64| {
		new_test_ext().execute_with(|| {
			register_verifiers(5);
			set_params(|p| {
				p.p_min_ppm = PPM;
				p.audit_window = 20;
			});
			let job = submit();
			claim(job, PROVIDER);
			commit(job, PROVIDER, OUTPUT);
			run_to_block(3);
			let liar = auditor(job);
			run_to_block(block);
			commit_vote(job, liar, WRONG);
			(liar, pending_panel(job))
		})
	};
	let first = panel_when_disputed_at(3);
	for block in 4..12 {
		assert_eq!(panel_when_disputed_at(block), first, "disputed at block {block}");
	}
}

/// The outcome of one job's audit draw (the auditor, or none) when the
/// author of the block after the commitment "grinds" its hash to `grind`,
/// with BABE-like VRF outputs from `vrf_seed` (or none, as on the old code,
/// where the draw came from that block's hash).
fn draw_when_the_next_block_hash_is(grind: u64, vrf_seed: Option<u64>) -> Option<u64> {
	new_test_ext().execute_with(|| {
		register_verifiers(5);
		set_vrf_seed(vrf_seed);
		set_params(|p| p.p_min_ppm = PPM / 2);
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		// Block 2 is the one after the commitment: its author picks its
		// contents, so its hash, at will.
		System::set_block_number(2);
		frame_system::BlockHash::<Test>::insert(1, sp_core::H256::repeat_byte(1));
		Jobs::on_initialize(2);
		System::set_block_number(3);
		frame_system::BlockHash::<Test>::insert(2, sp_core::H256::from_low_u64_be(grind));
		Jobs::on_initialize(3);
		set_vrf_seed(None);
		match status(job) {
			JobStatus::Audit { .. } => Some(auditor(job)),
			JobStatus::Committed { .. } => None,
			other => panic!("job {job} neither drawn nor skipped: {other:?}"),
		}
	})
}

/// Issue 11, attack 6: the author of the block after a commitment cannot
/// steer the draw by grinding that block's contents: the draw comes from VRF
/// outputs, which its key, its slot and the epoch fix. On the old code (the
/// block's hash, as here without VRF outputs) grinding chose the outcome.
#[test]
fn the_draw_can_be_steered_no_more_grinding_the_next_block_changes_nothing() {
	let grinds = 0..24u64;
	let with_vrf: Vec<_> =
		grinds.clone().map(|g| draw_when_the_next_block_hash_is(g, Some(7))).collect();
	assert!(
		with_vrf.iter().all(|outcome| *outcome == with_vrf[0]),
		"grinding the block hash changed a VRF-based draw: {with_vrf:?}"
	);
	// Without VRF outputs the same grinding finds both outcomes: the attack
	// the beacon closes.
	let from_hashes: Vec<_> = grinds.map(|g| draw_when_the_next_block_hash_is(g, None)).collect();
	assert!(from_hashes.iter().any(Option::is_some) && from_hashes.iter().any(Option::is_none));
}

/// Issue 11, attack 6: the draw does follow the VRF outputs of the blocks
/// after the commitment (different outputs, different outcomes), so it is a
/// draw at all, with about the audit probability.
#[test]
fn the_draw_can_be_steered_no_more_it_follows_the_vrf_outputs_after_the_commitment() {
	let outcomes: Vec<_> =
		(0..40u64).map(|seed| draw_when_the_next_block_hash_is(0, Some(seed))).collect();
	let audited = outcomes.iter().filter(|outcome| outcome.is_some()).count();
	// p = 1/2: 40 draws give between 8 and 32 audits except with
	// probability below 1e-4, and the seeds are fixed, so this never flakes.
	assert!((8..=32).contains(&audited), "{audited} of 40 drawn at p = 1/2");
	let auditors: std::collections::BTreeSet<_> = outcomes.iter().flatten().collect();
	assert!(auditors.len() > 1, "every draw picked the same auditor: {auditors:?}");
}

/// Issue 11, attack 6: the draw waits for `DrawBlocks` blocks after the
/// commitment, and the beacon moves every block.
#[test]
fn the_beacon_folds_every_block_and_the_draw_waits_for_the_blocks_after_the_commitment() {
	new_test_ext().execute_with(|| {
		set_vrf_seed(Some(3));
		let before = Beacon::<Test>::get();
		run_to_block(2);
		let after = Beacon::<Test>::get();
		assert_ne!(before, after);
		set_params(|p| p.p_min_ppm = PPM);
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		let draw_blocks: u32 = <Test as crate::Config>::DrawBlocks::get();
		let due = 2 + 1 + u64::from(draw_blocks);
		assert!(Agenda::<Test>::get(due).contains(&(job, Step::Sample)));
		run_to_block(due - 1);
		assert!(matches!(status(job), JobStatus::Committed { .. }));
		run_to_block(due);
		assert!(matches!(status(job), JobStatus::Audit { .. }));
		set_vrf_seed(None);
	});
}

/// A VRF seed under which the first draw of a result committed in block 1,
/// at p = 1/2 with five verifiers, skips the audit (call outside
/// externalities: it tries seeds in its own).
fn skipping_seed() -> u64 {
	(0..64u64)
		.find(|seed| draw_when_the_next_block_hash_is(0, Some(*seed)).is_none())
		.expect("some draw skips the audit at p = 1/2")
}

/// Issue 11, attack 10: a client whose provider withholds the output
/// reports it before settlement; the result is audited although its draw
/// said no, and the provider is paid only once an auditor (who leaves its
/// own copy of the output in the client's store, off chain) confirmed it.
/// Settlement names that auditor, so the client knows whose copy to read.
#[test]
fn withholding_a_reported_output_is_audited_before_the_provider_is_paid() {
	// A seed whose draw skips the audit (about one in two at this price).
	let seed = skipping_seed();
	new_test_ext().execute_with(|| {
		register_verifiers(5);
		set_vrf_seed(Some(seed));
		set_params(|p| {
			p.p_min_ppm = PPM / 2;
			p.challenge_window = 12;
		});
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		assert!(jobs_events()
			.iter()
			.any(|event| matches!(event, Event::SamplingDrawn { audited: false, .. })));
		assert!(matches!(status(job), JobStatus::Committed { .. }));
		// The provider does not hand the output over; the client reports it.
		assert_ok!(Jobs::report_undelivered(RuntimeOrigin::signed(CLIENT), job));
		System::assert_last_event(Event::DeliveryReported { job, draw_at: 5 }.into());
		run_to_block(5);
		System::assert_has_event(
			Event::SamplingDrawn { job, audited: true, probability_ppm: PPM }.into(),
		);
		let verifier = auditor(job);
		reveal(job, verifier, OUTPUT);
		assert_eq!(status(job), settled(job, PROVIDER, &[verifier], 5));
		// An honest provider is paid its price as usual; the client paid the
		// auditor's fee for the check it asked for.
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE - FEE);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		// The settlement step of the skipped draw finds the job ended.
		run_to_block(14);
		assert_eq!(status(job), settled(job, PROVIDER, &[verifier], 5));
		set_vrf_seed(None);
		assert_conserved(issuance);
	});
}

/// Issue 11, attack 10: a report in the last block before settlement still
/// comes first: the settlement step finds a reported result and leaves it
/// to its audit draw, so the provider is not paid before the audit.
#[test]
fn withholding_reported_just_before_settlement_delays_settlement_until_the_audit() {
	let seed = skipping_seed();
	new_test_ext().execute_with(|| {
		register_verifiers(5);
		set_vrf_seed(Some(seed));
		set_params(|p| p.p_min_ppm = PPM / 2);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		// Committed in block 1, challenge window 5: settlement in block 6.
		run_to_block(5);
		assert!(matches!(status(job), JobStatus::Committed { .. }));
		assert_ok!(Jobs::report_undelivered(RuntimeOrigin::signed(CLIENT), job));
		run_to_block(6);
		assert!(matches!(status(job), JobStatus::Committed { .. }), "paid before its audit");
		run_to_block(7);
		let verifier = auditor(job);
		reveal(job, verifier, OUTPUT);
		assert_eq!(status(job), settled(job, PROVIDER, &[verifier], 7));
		set_vrf_seed(None);
		assert_conserved(issuance);
	});
}

/// Issue 11, attack 10: a report before the first draw makes that draw an
/// audit; the second draw then finds the job in audit and does nothing.
#[test]
fn withholding_reported_before_the_draw_makes_the_draw_an_audit() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = 1);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		assert_ok!(Jobs::report_undelivered(RuntimeOrigin::signed(CLIENT), job));
		run_to_block(3);
		let verifier = auditor(job);
		run_to_block(4);
		assert_eq!(auditor(job), verifier);
		reveal(job, verifier, OUTPUT);
		assert_eq!(status(job), settled(job, PROVIDER, &[verifier], 4));
		assert_conserved(issuance);
	});
}

/// Issue 11, attack 10: only the client reports, once, while the result
/// waits for settlement; a refused report changes nothing.
#[test]
fn withholding_reports_are_refused_from_strangers_twice_or_without_a_result() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = 1);
		let job = submit();
		assert_noop!(
			Jobs::report_undelivered(RuntimeOrigin::signed(CLIENT), job),
			Error::<Test>::NotCommitted
		);
		claim(job, PROVIDER);
		assert_noop!(
			Jobs::report_undelivered(RuntimeOrigin::signed(CLIENT), job),
			Error::<Test>::NotCommitted
		);
		commit(job, PROVIDER, OUTPUT);
		for stranger in [PROVIDER, VERIFIERS[0], 999] {
			assert_noop!(
				Jobs::report_undelivered(RuntimeOrigin::signed(stranger), job),
				Error::<Test>::NotJobClient
			);
		}
		assert_noop!(
			Jobs::report_undelivered(RuntimeOrigin::signed(CLIENT), 77),
			Error::<Test>::JobNotFound
		);
		assert_ok!(Jobs::report_undelivered(RuntimeOrigin::signed(CLIENT), job));
		assert_noop!(
			Jobs::report_undelivered(RuntimeOrigin::signed(CLIENT), job),
			Error::<Test>::AuditPending
		);
		// After settlement there is nothing left to report.
		run_to_block(20);
		assert!(!matches!(status(job), JobStatus::Committed { .. }));
		assert_noop!(
			Jobs::report_undelivered(RuntimeOrigin::signed(CLIENT), job),
			Error::<Test>::NotCommitted
		);
	});
}

/// Issue 11, attack 9: a job keeps the terms of its claim.
#[test]
fn terms_change_under_a_running_job_the_job_keeps_the_terms_of_its_claim() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		// Governance raises the fee to take the whole rest of the budget,
		// and the no-show slash; the running job pays the terms of its claim.
		set_params(|p| {
			p.p_min_ppm = PPM;
			p.verifier_fee = 300;
			p.no_show_slash = 5_000;
			p.dispute_verifiers = 1;
		});
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let absent = auditor(job);
		run_to_block(14);
		let replacement = auditor(job);
		reveal(job, replacement, OUTPUT);
		assert_eq!(status(job), settled(job, PROVIDER, &[replacement], 14));
		assert_eq!(free(replacement), ENDOWMENT - VERIFIER_BOND + FEE);
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE - FEE);
		assert_eq!(verifier_stake(absent), VERIFIER_BOND - 50);
		let record = crate::pallet::Jobs::<Test>::get(job).expect("job");
		assert_eq!(record.terms, Jobs::terms(&test_params(), 5));
		assert_conserved(issuance);
	});
}

/// Issue 11, attack 4: a client that withholds its inputs earns nothing
/// from the auditors it exhausts, and a large job gives them more time.
#[test]
fn draining_verifiers_no_show_slashes_are_burned_and_the_window_grows_with_the_job() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = NextJobId::<Test>::get();
		// A result window of 40: the auditors get 40 blocks, not 10.
		assert_ok!(Jobs::submit_job(RuntimeOrigin::signed(CLIENT), spec(), BUDGET, 40));
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(3);
		let JobStatus::Audit { deadline, .. } = status(job) else { panic!("in audit") };
		assert_eq!(deadline, 3 + 40);
		// Every auditor stays away (the inputs vanished).
		run_to_block(44 + 41 + 41);
		assert_eq!(status(job), JobStatus::Refunded { at: 44 + 41 + 41 });
		assert_eq!(burned(), 3 * 50);
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_conserved(issuance);
	});
}

/// Issue 11, attack 7: nobody could audit it, so nobody may claim it.
#[test]
fn posp_holds_on_chain_a_job_cannot_be_claimed_while_no_verifier_could_audit_it() {
	new_test_ext().execute_with(|| {
		let job = submit();
		assert_ok!(Stake::deregister(
			RuntimeOrigin::signed(VERIFIERS[0]),
			pallet_stake::Role::Verifier
		));
		assert_noop!(
			Jobs::claim_job(RuntimeOrigin::signed(PROVIDER), job),
			Error::<Test>::NoVerifier
		);
		// The provider's own verifier bond does not count: it cannot audit itself.
		assert_ok!(Stake::register_verifier(RuntimeOrigin::signed(PROVIDER), VERIFIER_BOND));
		assert_noop!(
			Jobs::claim_job(RuntimeOrigin::signed(PROVIDER), job),
			Error::<Test>::NoVerifier
		);
		// Nor the client's.
		assert_ok!(Stake::register_verifier(RuntimeOrigin::signed(CLIENT), VERIFIER_BOND));
		assert_noop!(
			Jobs::claim_job(RuntimeOrigin::signed(PROVIDER), job),
			Error::<Test>::NoVerifier
		);
		register_verifiers(2);
		claim(job, OTHER_PROVIDER);
	});
}

/// Fills the agenda from block `from` over the blocks a step searches.
fn fill_agenda(from: u64) {
	for block in from..from + u64::from(crate::AGENDA_SEARCH) {
		let full = vec![(999, Step::Expire); 8];
		Agenda::<Test>::insert(block, BoundedVec::truncate_from(full));
	}
}

/// Issue 11, attack 5: a full agenda delays a step, never skips it.
#[test]
fn filling_the_agenda_delays_an_audit_never_skips_it() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		// The sampling step (due at 3) and the audit deadline find no room.
		fill_agenda(3);
		commit(job, PROVIDER, OUTPUT);
		System::assert_has_event(Event::StepOverflowed { job, step: Step::Sample, due: 3 }.into());
		run_to_block(3);
		// It ran from the overflow queue, on time: the result is audited.
		assert!(matches!(status(job), JobStatus::Audit { .. }));
		let verifier = auditor(job);
		reveal(job, verifier, OUTPUT);
		assert_eq!(status(job), settled(job, PROVIDER, &[verifier], 3));
		assert!(Overflow::<Test>::get().is_empty());
		assert_conserved(issuance);
	});
}

#[test]
fn extrinsics_leave_half_the_overflow_queue_to_the_steps_of_running_jobs() {
	new_test_ext().execute_with(|| {
		fill_agenda(51);
		// Open timeout 50: each submission's expiry overflows; the mock's
		// queue holds 16, submissions may take 8.
		for _ in 0..8 {
			submit();
		}
		assert_noop!(
			Jobs::submit_job(RuntimeOrigin::signed(CLIENT), spec(), BUDGET, 5),
			Error::<Test>::AgendaFull
		);
		assert_eq!(Overflow::<Test>::get().len(), 8);
	});
}

#[test]
fn a_drawn_result_whose_audit_cannot_be_scheduled_is_refunded_never_paid_unaudited() {
	new_test_ext().execute_with(|| {
		register_verifiers(3);
		set_params(|p| p.p_min_ppm = PPM);
		let issuance = issuance();
		let job = submit();
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		// The audit deadline (due at 14) finds no room, and the queue is full.
		fill_agenda(14);
		Overflow::<Test>::put(BoundedVec::truncate_from(vec![(1_000, 999, Step::Expire); 16]));
		run_to_block(3);
		assert_eq!(status(job), JobStatus::Refunded { at: 3 });
		assert_eq!(free(CLIENT), ENDOWMENT);
		assert_eq!(free_stake(PROVIDER), PROVIDER_BOND);
		assert_conserved(issuance);
	});
}

#[test]
fn the_job_deposit_is_held_with_the_budget_and_returned_whatever_the_outcome() {
	new_test_ext().execute_with(|| {
		set_params(|p| p.job_deposit = 30);
		let issuance = issuance();
		let job = submit();
		assert_eq!(escrow(CLIENT), BUDGET + 30);
		let cancelled = submit();
		assert_ok!(Jobs::cancel_job(RuntimeOrigin::signed(CLIENT), cancelled));
		assert_eq!(escrow(CLIENT), BUDGET + 30);
		claim(job, PROVIDER);
		commit(job, PROVIDER, OUTPUT);
		run_to_block(6);
		assert_eq!(status(job), settled(job, PROVIDER, &[], 6));
		assert_eq!(escrow(CLIENT), 0);
		assert_eq!(free(CLIENT), ENDOWMENT - PRICE);
		assert_conserved(issuance);
	});
}

#[test]
fn transition_refuses_a_move_the_status_does_not_allow_and_changes_nothing() {
	new_test_ext().execute_with(|| {
		let jobs = EveryStatus::new();
		let now = System::block_number();
		let current = auditor(jobs.audit);
		let panel = pending_panel(jobs.dispute);
		// Every move, with arguments that are right for the status it starts from.
		let terms = Jobs::terms(&test_params(), 5);
		let moves = |job: JobId| -> Vec<Move<u64, Balance, u64>> {
			vec![
				Move::Cancel,
				Move::Expire,
				Move::Claim {
					provider: OTHER_PROVIDER,
					price: PRICE,
					collateral: COLLATERAL,
					terms: terms.clone(),
				},
				Move::Commit {
					commitment: digest_commitment(job, &PROVIDER, &OUTPUT),
					output_uri: output_uri(),
				},
				Move::MissDeadline,
				Move::Audit { auditor: VERIFIERS[0], seed: [0; 32] },
				Move::SkipAudit,
				Move::Unauditable,
				Move::Settle,
				Move::Confirm { verifier: current, digest: OUTPUT },
				Move::Escalate {
					verifier: current,
					commitment: digest_commitment(job, &current, &WRONG),
					panel: vec![],
				},
				Move::ReplaceAuditor { replacement: VERIFIERS[0] },
				Move::AbandonAudit,
				Move::CommitVerdict {
					verifier: panel[0],
					commitment: digest_commitment(job, &panel[0], &OUTPUT),
				},
				Move::Reveal { verifier: panel[0], digest: OUTPUT },
				Move::CloseDispute,
			]
		};
		// The moves each status allows at block 3; the timed ones are all early.
		type Allows = fn(&Move<u64, Balance, u64>) -> bool;
		let allowed: &[(&str, Allows)] = &[
			("open", |mv| matches!(mv, Move::Cancel | Move::Claim { .. })),
			("assigned", |mv| matches!(mv, Move::Commit { .. })),
			("committed", |mv| {
				matches!(
					mv,
					Move::Audit { .. } | Move::SkipAudit | Move::Unauditable | Move::Settle
				)
			}),
			("audit", |mv| matches!(mv, Move::Confirm { .. } | Move::Escalate { .. })),
			// In its commit phase.
			("dispute", |mv| matches!(mv, Move::CommitVerdict { .. })),
		];
		let mut refused = 0;
		for (name, job) in jobs.all() {
			for mv in moves(job) {
				if allowed.iter().any(|(status, allows)| *status == name && allows(&mv)) {
					continue;
				}
				let error: DispatchError = match &mv {
					Move::Cancel | Move::Claim { .. } => Error::<Test>::JobNotOpen.into(),
					Move::Commit { .. } => Error::<Test>::JobNotAssigned.into(),
					Move::Confirm { .. }
					| Move::Escalate { .. }
					| Move::CommitVerdict { .. }
					| Move::Reveal { .. } => Error::<Test>::NotAssignedVerifier.into(),
					_ => ILLEGAL_MOVE,
				};
				assert_noop!(Jobs::transition(job, mv, now), error);
				refused += 1;
			}
		}
		// 8 statuses times 16 moves, less the 10 allowed.
		assert_eq!(refused, 8 * 16 - 10);
	});
}

#[test]
fn transition_refuses_a_verdict_that_contradicts_its_move() {
	new_test_ext().execute_with(|| {
		let jobs = EveryStatus::new();
		let now = System::block_number();
		let current = auditor(jobs.audit);
		// `Confirm` needs a digest that matches the commitment.
		assert_noop!(
			Jobs::transition(jobs.audit, Move::Confirm { verifier: current, digest: WRONG }, now),
			Error::<Test>::NotAssignedVerifier
		);
		// A reveal needs the reveal phase of a dispute.
		assert_noop!(
			Jobs::transition(jobs.audit, Move::Reveal { verifier: current, digest: OUTPUT }, now),
			Error::<Test>::NotAssignedVerifier
		);
		// A job that does not exist has no status to move.
		assert_noop!(Jobs::transition(99, Move::Cancel, now), Error::<Test>::JobNotFound);
	});
}

mod conservation {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Action {
		Submit,
		Cancel(u8),
		Claim(u8, bool),
		Commit(u8, bool),
		Verdict(u8, u8, bool, bool),
		Advance(u8),
	}

	fn action() -> impl Strategy<Value = Action> {
		prop_oneof![
			Just(Action::Submit),
			any::<u8>().prop_map(Action::Cancel),
			(any::<u8>(), any::<bool>()).prop_map(|(j, p)| Action::Claim(j, p)),
			(any::<u8>(), any::<bool>()).prop_map(|(j, h)| Action::Commit(j, h)),
			(any::<u8>(), any::<u8>(), any::<bool>(), any::<bool>())
				.prop_map(|(j, v, h, c)| Action::Verdict(j, v, h, c)),
			(1u8..20).prop_map(Action::Advance),
		]
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

		/// Whatever calls are made in whatever order, no token is created or
		/// lost, and once every job is over no escrow and no collateral remains.
		#[test]
		fn no_token_is_created_or_lost_and_no_hold_outlives_its_job(
			actions in proptest::collection::vec(action(), 1..40),
		) {
			new_test_ext().execute_with(|| {
				register_verifiers(5);
				set_params(|p| p.p_min_ppm = 500_000);
				let issuance = issuance();
				let providers = [PROVIDER, OTHER_PROVIDER];
				for action in actions {
					let jobs = NextJobId::<Test>::get().max(1);
					match action {
						Action::Submit => { let _ = Jobs::submit_job(RuntimeOrigin::signed(CLIENT), spec(), BUDGET, 3); },
						Action::Cancel(j) => { let _ = Jobs::cancel_job(RuntimeOrigin::signed(CLIENT), u64::from(j) % jobs); },
						Action::Claim(j, p) => { let _ = Jobs::claim_job(RuntimeOrigin::signed(providers[p as usize]), u64::from(j) % jobs); },
						Action::Commit(j, honest) => {
							let job = u64::from(j) % jobs;
							if let Some(JobStatus::Assigned { provider, .. }) = crate::pallet::Jobs::<Test>::get(job).map(|r| r.status) {
								let digest = if honest { OUTPUT } else { WRONG };
								let commitment = digest_commitment(job, &provider, &digest);
								let _ = Jobs::submit_result(RuntimeOrigin::signed(provider), job, commitment, output_uri());
							}
						},
						Action::Verdict(j, v, honest, committed) => {
							let verifier = VERIFIERS[usize::from(v) % VERIFIERS.len()];
							let digest = if honest { OUTPUT } else { WRONG };
							let job = u64::from(j) % jobs;
							let _ = if committed {
								let commitment = digest_commitment(job, &verifier, &digest);
								Jobs::commit_verdict(RuntimeOrigin::signed(verifier), job, commitment)
							} else {
								Jobs::submit_verdict(RuntimeOrigin::signed(verifier), job, digest)
							};
						},
						Action::Advance(blocks) => run_to_block(System::block_number() + u64::from(blocks)),
					}
					prop_assert_eq!(crate::mock::issuance(), issuance - burned());
				}
				// Let every job run out its clocks.
				run_to_block(System::block_number() + 500);
				for record in crate::pallet::Jobs::<Test>::iter_values() {
					prop_assert!(record.status.is_final(), "job not final: {:?}", record.status);
				}
				prop_assert_eq!(escrow(CLIENT), 0);
				for provider in providers {
					prop_assert_eq!(
						<pallet_stake::Pallet<Test> as pallet_stake::StakeInterface<_, _>>::provider_offer(&provider, hypha_primitives::WorkloadKind::Inference)
							.map(|offer| offer.free_stake)
							.unwrap_or_default(),
						Balances::balance_on_hold(&RuntimeHoldReason::Stake(pallet_stake::HoldReason::ProviderStake), &provider),
						"collateral still locked"
					);
				}
				prop_assert_eq!(crate::mock::issuance(), issuance - burned());
				Ok(())
			})?;
		}
	}
}
