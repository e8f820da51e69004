//! Tests of the stake pallet, named as the claims they check.
//!
//! Every test ends with [`assert_books_balance`]: the storage bookkeeping of
//! every account equals its holds, and free + held balances add up to total
//! issuance.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use hypha_primitives::{JobKinds, ProviderCapabilities, Uri, WorkloadKind};
use sp_runtime::DispatchError;

type Pallet = crate::Pallet<Test>;
type StakeError = crate::Error<Test>;
type StakeEvent = crate::Event<Test>;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn held(who: u64, role: Role) -> Balance {
	Balances::balance_on_hold(&Pallet::hold_reason(role), &who)
}

fn free(who: u64) -> Balance {
	Balances::balance(&who)
}

fn provider(who: u64) -> ProviderInfoOf<Test> {
	Providers::<Test>::get(who).expect("registered provider")
}

fn last_event() -> StakeEvent {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Stake(event) => Some(event),
			_ => None,
		})
		.expect("a stake event")
}

/// Every account 1..=8 and 99: hold per reason == active bond + chunks, and
/// the sum of all balances == total issuance.
fn assert_books_balance() {
	let mut sum = 0u128;
	for who in (1..=8).chain([NOBODY]) {
		let provider_bond = Providers::<Test>::get(who).map(|p| p.bonded).unwrap_or_default();
		let verifier_bond = VerifierBonds::<Test>::get(who).unwrap_or_default();
		assert_eq!(
			held(who, Role::Provider),
			provider_bond + Pallet::unbonding(&who, Role::Provider),
			"provider hold of {who}"
		);
		assert_eq!(
			held(who, Role::Verifier),
			verifier_bond + Pallet::unbonding(&who, Role::Verifier),
			"verifier hold of {who}"
		);
		if let Some(info) = Providers::<Test>::get(who) {
			assert!(info.locked <= info.bonded, "locked above bonded for {who}");
		}
		sum += Balances::total_balance(&who);
	}
	assert_eq!(sum, Balances::total_issuance());
	assert_eq!(Pallet::do_try_state(), Ok(()));
}

fn register_provider(who: u64, bond: Balance) {
	assert_ok!(Stake::register_provider(signed(who), capabilities(), bond));
}

fn register_verifier(who: u64, bond: Balance) {
	assert_ok!(Stake::register_verifier(signed(who), bond));
}

// ---- genesis and parameters ----

#[test]
fn genesis_sets_the_params() {
	new_test_ext().execute_with(|| {
		assert_eq!(Params::<Test>::get(), test_params());
	});
}

#[test]
fn params_default_when_genesis_sets_none() {
	sp_io::TestExternalities::default().execute_with(|| {
		let params = Params::<Test>::get();
		assert_eq!(params.min_provider_stake, 100 * hypha_primitives::HYPHA);
		assert_eq!(params.min_verifier_stake, 100 * hypha_primitives::HYPHA);
		assert_eq!(params.unbonding_period, 600);
	});
}

#[test]
fn set_params_by_governance_changes_params() {
	new_test_ext().execute_with(|| {
		let params =
			StakeParams { min_provider_stake: 7, min_verifier_stake: 8, unbonding_period: 900 };
		assert_ok!(Stake::set_params(RuntimeOrigin::root(), params.clone()));
		assert_eq!(Params::<Test>::get(), params);
		assert_eq!(last_event(), StakeEvent::ParamsSet { params });
	});
}

#[test]
fn set_params_fails_for_non_governance_origin() {
	new_test_ext().execute_with(|| {
		assert_noop!(Stake::set_params(signed(ALICE), test_params()), DispatchError::BadOrigin);
	});
}

#[test]
fn set_params_fails_with_zero_minimum_stake() {
	new_test_ext().execute_with(|| {
		let zero_provider = StakeParams { min_provider_stake: 0, ..test_params() };
		assert_noop!(
			Stake::set_params(RuntimeOrigin::root(), zero_provider),
			StakeError::ZeroMinimumStake
		);
		let zero_verifier = StakeParams { min_verifier_stake: 0, ..test_params() };
		assert_noop!(
			Stake::set_params(RuntimeOrigin::root(), zero_verifier),
			StakeError::ZeroMinimumStake
		);
	});
}

#[test]
fn set_params_refuses_an_unbonding_period_that_lets_a_verifier_leave_before_its_slash() {
	new_test_ext().execute_with(|| {
		let shortest = MIN_UNBONDING_BLOCKS as u64;
		for too_short in [0, 1, shortest - 1] {
			assert_noop!(
				Stake::set_params(
					RuntimeOrigin::root(),
					StakeParams { unbonding_period: too_short, ..test_params() }
				),
				StakeError::InvalidParams
			);
		}
		let params = StakeParams { unbonding_period: shortest, ..test_params() };
		assert_ok!(Stake::set_params(RuntimeOrigin::root(), params.clone()));
		assert_eq!(Params::<Test>::get(), params);
	});
}

#[test]
fn set_params_refuses_an_unbonding_period_no_longer_than_a_verifiers_liability() {
	new_test_ext().execute_with(|| {
		// The Jobs pallet says a verifier stays liable for 500 blocks: an
		// unbonding period of 500 or less would let it withdraw first.
		crate::mock::UnbondingFloor::set(500);
		for too_short in [MIN_UNBONDING_BLOCKS as u64, 499, 500] {
			assert_noop!(
				Stake::set_params(
					RuntimeOrigin::root(),
					StakeParams { unbonding_period: too_short, ..test_params() }
				),
				StakeError::InvalidParams
			);
		}
		let params = StakeParams { unbonding_period: 501, ..test_params() };
		assert_ok!(Stake::set_params(RuntimeOrigin::root(), params.clone()));
		assert_eq!(Params::<Test>::get(), params);
		crate::mock::UnbondingFloor::set(0);
	});
}

#[test]
fn set_params_refuses_an_unbonding_period_longer_than_four_weeks() {
	new_test_ext().execute_with(|| {
		let longest = MAX_UNBONDING_BLOCKS as u64;
		assert_eq!(longest, 28 * 24 * 3_600);
		assert_noop!(
			Stake::set_params(
				RuntimeOrigin::root(),
				StakeParams { unbonding_period: longest + 1, ..test_params() }
			),
			StakeError::InvalidParams
		);
		let params = StakeParams { unbonding_period: longest, ..test_params() };
		assert_ok!(Stake::set_params(RuntimeOrigin::root(), params.clone()));
		assert_eq!(Params::<Test>::get(), params);
	});
}

#[test]
fn params_are_valid_refuses_a_zero_minimum_stake() {
	assert!(Pallet::params_are_valid(&test_params()));
	assert!(!Pallet::params_are_valid(&StakeParams { min_provider_stake: 0, ..test_params() }));
	assert!(!Pallet::params_are_valid(&StakeParams { min_verifier_stake: 0, ..test_params() }));
}

#[test]
fn the_default_params_keep_the_rules() {
	sp_io::TestExternalities::default().execute_with(|| {
		assert!(Pallet::params_are_valid(&Params::<Test>::get()));
	});
}

/// Builds the stake genesis with `params` (and nothing else).
fn build_genesis(params: StakeParamsOf<Test>) {
	use sp_runtime::BuildStorage;
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().unwrap_or_default();
	crate::GenesisConfig::<Test> { params: Some(params) }
		.assimilate_storage(&mut storage)
		.expect("stake genesis builds");
}

#[test]
fn genesis_accepts_stake_parameters_that_keep_the_rules() {
	build_genesis(test_params());
	build_genesis(StakeParams { unbonding_period: MAX_UNBONDING_BLOCKS as u64, ..test_params() });
}

#[test]
#[should_panic(expected = "the genesis Stake parameters break the protocol's bounds")]
fn genesis_refuses_stake_parameters_that_break_the_rules() {
	build_genesis(StakeParams { unbonding_period: 0, ..test_params() });
}

#[test]
#[should_panic(expected = "the genesis Stake parameters break the protocol's bounds")]
fn genesis_refuses_a_zero_minimum_stake() {
	build_genesis(StakeParams { min_verifier_stake: 0, ..test_params() });
}

#[test]
#[should_panic(expected = "the genesis Stake parameters break the protocol's bounds")]
fn genesis_refuses_an_unbonding_period_longer_than_four_weeks() {
	build_genesis(StakeParams {
		unbonding_period: MAX_UNBONDING_BLOCKS as u64 + 1,
		..test_params()
	});
}

// ---- register_provider ----

#[test]
fn register_provider_holds_the_bond_and_stores_the_offer() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_eq!(held(ALICE, Role::Provider), 150);
		assert_eq!(free(ALICE), ENDOWMENT - 150);
		assert_eq!(
			provider(ALICE),
			ProviderInfo { capabilities: capabilities(), bonded: 150, locked: 0 }
		);
		assert_eq!(last_event(), StakeEvent::ProviderRegistered { who: ALICE, bond: 150 });
		assert_books_balance();
	});
}

#[test]
fn register_provider_fails_when_already_registered() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_noop!(
			Stake::register_provider(signed(ALICE), capabilities(), 150),
			StakeError::AlreadyRegistered
		);
	});
}

#[test]
fn register_provider_fails_below_minimum_stake() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Stake::register_provider(signed(ALICE), capabilities(), MIN_PROVIDER - 1),
			StakeError::BelowMinimumStake
		);
	});
}

#[test]
fn register_provider_fails_without_the_balance() {
	new_test_ext().execute_with(|| {
		// The whole endowment would leave nothing for the existential deposit.
		assert_noop!(
			Stake::register_provider(signed(ALICE), capabilities(), ENDOWMENT),
			StakeError::InsufficientBalance
		);
		assert_noop!(
			Stake::register_provider(signed(NOBODY), capabilities(), MIN_PROVIDER),
			StakeError::InsufficientBalance
		);
	});
}

#[test]
fn register_provider_fails_with_invalid_capabilities() {
	new_test_ext().execute_with(|| {
		let cases = [
			(
				ProviderCapabilities { job_kinds: JobKinds(0), ..capabilities() },
				StakeError::NoJobKinds,
			),
			(
				ProviderCapabilities { endpoint: Uri::default(), ..capabilities() },
				StakeError::EmptyEndpoint,
			),
			(ProviderCapabilities { price_per_unit: 0, ..capabilities() }, StakeError::ZeroPrice),
			(ProviderCapabilities { memory_mib: 0, ..capabilities() }, StakeError::ZeroMemory),
			(
				ProviderCapabilities { receipt_key: [0; 32], ..capabilities() },
				StakeError::MissingReceiptKey,
			),
		];
		for (bad, error) in cases {
			let error: DispatchError = error.into();
			assert_noop!(Stake::register_provider(signed(ALICE), bad.clone(), 150), error);
			register_provider(BOB, 150);
			assert_noop!(Stake::update_provider(signed(BOB), bad), error);
			assert_ok!(Stake::deregister(signed(BOB), Role::Provider));
		}
	});
}

// ---- register_verifier ----

#[test]
fn register_verifier_holds_the_bond_and_joins_the_list_in_order() {
	new_test_ext().execute_with(|| {
		register_verifier(CHARLIE, 60);
		register_verifier(ALICE, 70);
		assert_eq!(held(ALICE, Role::Verifier), 70);
		assert_eq!(Verifiers::<Test>::get().into_inner(), vec![CHARLIE, ALICE]);
		assert_eq!(Pallet::verifiers(), vec![(CHARLIE, 60), (ALICE, 70)]);
		assert_eq!(last_event(), StakeEvent::VerifierRegistered { who: ALICE, bond: 70 });
		assert_books_balance();
	});
}

#[test]
fn register_verifier_fails_when_already_registered() {
	new_test_ext().execute_with(|| {
		register_verifier(ALICE, 60);
		assert_noop!(Stake::register_verifier(signed(ALICE), 60), StakeError::AlreadyRegistered);
	});
}

#[test]
fn register_verifier_fails_below_minimum_stake() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Stake::register_verifier(signed(ALICE), MIN_VERIFIER - 1),
			StakeError::BelowMinimumStake
		);
	});
}

#[test]
fn register_verifier_fails_when_the_list_is_full() {
	new_test_ext().execute_with(|| {
		for who in 1..=MAX_VERIFIERS as u64 {
			register_verifier(who, 60);
		}
		let late = MAX_VERIFIERS as u64 + 1;
		assert_noop!(Stake::register_verifier(signed(late), 60), StakeError::TooManyVerifiers);
	});
}

/// Fills the verifier list: account `n` (1-based) with `bonds[n - 1]`.
fn fill_verifiers(bonds: [Balance; MAX_VERIFIERS as usize]) {
	for (index, bond) in bonds.into_iter().enumerate() {
		register_verifier(index as u64 + 1, bond);
	}
}

/// The first account that is not in a list filled by [`fill_verifiers`].
const NEWCOMER: u64 = MAX_VERIFIERS as u64 + 1;

#[test]
fn a_larger_bond_displaces_the_smallest_verifier_when_the_set_is_full() {
	new_test_ext().execute_with(|| {
		// Two share the smallest bond: the earlier registered (BOB) goes first.
		fill_verifiers([70, 60, 80, 60]);
		assert_ok!(Stake::register_verifier(signed(NEWCOMER), 61));
		assert_eq!(Verifiers::<Test>::get().into_inner(), vec![ALICE, CHARLIE, 4, NEWCOMER]);
		assert_eq!(Pallet::verifiers(), vec![(ALICE, 70), (CHARLIE, 80), (4, 60), (NEWCOMER, 61)]);
		// BOB left as if it had deregistered: its whole bond is unbonding.
		assert!(VerifierBonds::<Test>::get(BOB).is_none());
		assert_eq!(
			Unbonding::<Test>::get(BOB, Role::Verifier).into_inner(),
			vec![UnbondingChunk { amount: 60, unlock_at: 1 + UNBONDING }]
		);
		assert_eq!(held(BOB, Role::Verifier), 60);
		assert_eq!(held(NEWCOMER, Role::Verifier), 61);
		let events: Vec<_> = System::events()
			.into_iter()
			.filter_map(|record| match record.event {
				RuntimeEvent::Stake(event) => Some(event),
				_ => None,
			})
			.rev()
			.take(2)
			.collect();
		assert_eq!(
			events,
			vec![
				StakeEvent::VerifierRegistered { who: NEWCOMER, bond: 61 },
				StakeEvent::VerifierDisplaced {
					who: BOB,
					by: NEWCOMER,
					unbonding: 60,
					unlock_at: 1 + UNBONDING
				},
			]
		);
		assert_books_balance();
		// The next smallest is 4's 60, then the newcomer's own 61.
		assert_ok!(Stake::register_verifier(signed(NEWCOMER + 1), 65));
		assert_eq!(
			Verifiers::<Test>::get().into_inner(),
			vec![ALICE, CHARLIE, NEWCOMER, NEWCOMER + 1]
		);
		assert!(VerifierBonds::<Test>::get(4).is_none());
		assert_books_balance();
		// A displaced verifier may come back, on the same terms as anyone.
		assert_ok!(Stake::register_verifier(signed(BOB), 62));
		assert_eq!(Verifiers::<Test>::get().into_inner(), vec![ALICE, CHARLIE, NEWCOMER + 1, BOB]);
		assert_eq!(held(BOB, Role::Verifier), 60 + 62);
		assert_books_balance();
	});
}

#[test]
fn a_bond_no_larger_than_the_smallest_cannot_displace() {
	new_test_ext().execute_with(|| {
		fill_verifiers([70, 60, 80, 90]);
		assert_noop!(Stake::register_verifier(signed(NEWCOMER), 60), StakeError::TooManyVerifiers);
		assert_noop!(
			Stake::register_verifier(signed(NEWCOMER), MIN_VERIFIER),
			StakeError::TooManyVerifiers
		);
		assert_eq!(Verifiers::<Test>::get().into_inner(), vec![ALICE, BOB, CHARLIE, 4]);
		assert_books_balance();
	});
}

#[test]
fn the_smallest_is_the_active_bond_after_slashes_and_bond_extra() {
	new_test_ext().execute_with(|| {
		fill_verifiers([200, 60, 80, 90]);
		// ALICE was slashed below everyone: it is the one at risk now.
		Pallet::slash_verifier(&ALICE, 150, SlashDestination::Burn);
		assert_ok!(Stake::register_verifier(signed(NEWCOMER), 51));
		assert!(VerifierBonds::<Test>::get(ALICE).is_none());
		assert_books_balance();
		// BOB bonds more, so the newcomer's 51 is now the smallest.
		assert_ok!(Stake::bond_extra(signed(BOB), Role::Verifier, 40));
		assert_ok!(Stake::register_verifier(signed(NEWCOMER + 1), 52));
		assert_eq!(
			Pallet::verifiers(),
			vec![(BOB, 100), (CHARLIE, 80), (4, 90), (NEWCOMER + 1, 52)]
		);
		assert_books_balance();
	});
}

#[test]
fn a_displaced_verifier_stays_slashable_until_it_withdraws() {
	new_test_ext().execute_with(|| {
		fill_verifiers([60, 70, 80, 90]);
		assert_ok!(Stake::register_verifier(signed(NEWCOMER), 100));
		// A verdict of ALICE's is found wrong after it was displaced.
		assert_eq!(Pallet::slash_verifier(&ALICE, 25, SlashDestination::Compensate(BOB)), 25);
		assert_eq!(free(BOB), ENDOWMENT - 70 + 25);
		assert_eq!(Pallet::unbonding(&ALICE, Role::Verifier), 35);
		assert_books_balance();
		run_to_block(UNBONDING);
		assert_noop!(
			Stake::withdraw_unbonded(signed(ALICE), Role::Verifier),
			StakeError::NothingToWithdraw
		);
		assert_eq!(Pallet::slash_verifier(&ALICE, 5, SlashDestination::Burn), 5);
		run_to_block(1 + UNBONDING);
		assert_ok!(Stake::withdraw_unbonded(signed(ALICE), Role::Verifier));
		assert_eq!(free(ALICE), ENDOWMENT - 30);
		// Withdrawn: nothing is left to slash.
		assert_eq!(Pallet::slash_verifier(&ALICE, 5, SlashDestination::Burn), 0);
		assert_books_balance();
	});
}

#[test]
fn a_displaced_verifier_with_no_bond_left_leaves_no_chunk() {
	new_test_ext().execute_with(|| {
		fill_verifiers([60, 70, 80, 90]);
		Pallet::slash_verifier(&ALICE, 60, SlashDestination::Burn);
		assert_ok!(Stake::register_verifier(signed(NEWCOMER), MIN_VERIFIER));
		assert!(VerifierBonds::<Test>::get(ALICE).is_none());
		assert!(Unbonding::<Test>::get(ALICE, Role::Verifier).is_empty());
		assert_eq!(
			System::events()
				.into_iter()
				.filter_map(|record| match record.event {
					RuntimeEvent::Stake(StakeEvent::VerifierDisplaced {
						who,
						by,
						unbonding,
						..
					}) => Some((who, by, unbonding)),
					_ => None,
				})
				.collect::<Vec<_>>(),
			vec![(ALICE, NEWCOMER, 0)]
		);
		assert_books_balance();
	});
}

#[test]
fn a_displacement_whose_bond_cannot_unbond_changes_nothing() {
	new_test_ext().execute_with(|| {
		fill_verifiers([500, 600, 600, 600]);
		// ALICE fills its chunk list, one unbond per block.
		for block in 1..=MAX_CHUNKS as u64 {
			run_to_block(block);
			assert_ok!(Stake::unbond(signed(ALICE), Role::Verifier, 1));
		}
		run_to_block(MAX_CHUNKS as u64 + 1);
		assert_noop!(
			Stake::register_verifier(signed(NEWCOMER), 501),
			StakeError::TooManyUnbondingChunks
		);
		assert_eq!(held(NEWCOMER, Role::Verifier), 0);
		assert_eq!(VerifierBonds::<Test>::get(ALICE), Some(500 - MAX_CHUNKS as Balance));
		assert_books_balance();
	});
}

#[test]
fn a_refused_newcomer_keeps_its_balance_and_displaces_nobody() {
	new_test_ext().execute_with(|| {
		fill_verifiers([60, 70, 80, 90]);
		assert_noop!(
			Stake::register_verifier(signed(NOBODY), 100),
			StakeError::InsufficientBalance
		);
		assert_eq!(Verifiers::<Test>::get().into_inner(), vec![ALICE, BOB, CHARLIE, 4]);
	});
}

#[test]
fn register_verifier_fails_without_the_balance() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Stake::register_verifier(signed(NOBODY), MIN_VERIFIER),
			StakeError::InsufficientBalance
		);
	});
}

#[test]
fn one_account_may_be_provider_and_verifier_with_separate_holds() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		register_verifier(ALICE, 60);
		assert_eq!(held(ALICE, Role::Provider), 150);
		assert_eq!(held(ALICE, Role::Verifier), 60);
		assert_books_balance();
	});
}

// ---- bond_extra ----

#[test]
fn bond_extra_adds_to_the_active_bond_of_either_role() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		register_verifier(BOB, 60);
		assert_ok!(Stake::bond_extra(signed(ALICE), Role::Provider, 50));
		assert_ok!(Stake::bond_extra(signed(BOB), Role::Verifier, 40));
		assert_eq!(provider(ALICE).bonded, 200);
		assert_eq!(VerifierBonds::<Test>::get(BOB), Some(100));
		assert_eq!(last_event(), StakeEvent::Bonded { who: BOB, role: Role::Verifier, amount: 40 });
		assert_books_balance();
	});
}

#[test]
fn bond_extra_fails_when_not_registered() {
	new_test_ext().execute_with(|| {
		assert_noop!(Stake::bond_extra(signed(ALICE), Role::Provider, 5), StakeError::NotProvider);
		assert_noop!(Stake::bond_extra(signed(ALICE), Role::Verifier, 5), StakeError::NotVerifier);
	});
}

#[test]
fn bond_extra_fails_with_zero_amount() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_noop!(Stake::bond_extra(signed(ALICE), Role::Provider, 0), StakeError::ZeroAmount);
	});
}

#[test]
fn bond_extra_fails_without_the_balance() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_noop!(
			Stake::bond_extra(signed(ALICE), Role::Provider, ENDOWMENT),
			StakeError::InsufficientBalance
		);
	});
}

// ---- unbond and withdraw_unbonded ----

#[test]
fn unbond_moves_stake_to_a_chunk_that_withdraws_after_the_period() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 300);
		assert_ok!(Stake::unbond(signed(ALICE), Role::Provider, 120));
		assert_eq!(
			last_event(),
			StakeEvent::Unbonded {
				who: ALICE,
				role: Role::Provider,
				amount: 120,
				unlock_at: 1 + UNBONDING
			}
		);
		assert_eq!(provider(ALICE).bonded, 180);
		// Still on hold while unbonding.
		assert_eq!(held(ALICE, Role::Provider), 300);
		assert_books_balance();

		run_to_block(UNBONDING);
		assert_noop!(
			Stake::withdraw_unbonded(signed(ALICE), Role::Provider),
			StakeError::NothingToWithdraw
		);
		run_to_block(1 + UNBONDING);
		assert_ok!(Stake::withdraw_unbonded(signed(ALICE), Role::Provider));
		assert_eq!(held(ALICE, Role::Provider), 180);
		assert_eq!(free(ALICE), ENDOWMENT - 180);
		assert!(Unbonding::<Test>::get(ALICE, Role::Provider).is_empty());
		assert_eq!(
			last_event(),
			StakeEvent::Withdrawn { who: ALICE, role: Role::Provider, amount: 120 }
		);
		assert_books_balance();
	});
}

#[test]
fn withdraw_releases_only_the_chunks_that_are_due() {
	new_test_ext().execute_with(|| {
		register_verifier(ALICE, 200);
		assert_ok!(Stake::unbond(signed(ALICE), Role::Verifier, 10));
		// Same block: merged into one chunk.
		assert_ok!(Stake::unbond(signed(ALICE), Role::Verifier, 5));
		assert_eq!(Unbonding::<Test>::get(ALICE, Role::Verifier).len(), 1);
		run_to_block(4);
		assert_ok!(Stake::unbond(signed(ALICE), Role::Verifier, 20));
		run_to_block(1 + UNBONDING);
		assert_ok!(Stake::withdraw_unbonded(signed(ALICE), Role::Verifier));
		assert_eq!(held(ALICE, Role::Verifier), 200 - 15);
		assert_eq!(
			Unbonding::<Test>::get(ALICE, Role::Verifier).into_inner(),
			vec![UnbondingChunk { amount: 20, unlock_at: 4 + UNBONDING }]
		);
		assert_books_balance();
	});
}

#[test]
fn unbond_fails_when_not_registered() {
	new_test_ext().execute_with(|| {
		assert_noop!(Stake::unbond(signed(ALICE), Role::Provider, 5), StakeError::NotProvider);
		assert_noop!(Stake::unbond(signed(ALICE), Role::Verifier, 5), StakeError::NotVerifier);
	});
}

#[test]
fn unbond_fails_with_zero_amount() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_noop!(Stake::unbond(signed(ALICE), Role::Provider, 0), StakeError::ZeroAmount);
	});
}

#[test]
fn unbond_fails_for_more_than_the_active_bond() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_noop!(
			Stake::unbond(signed(ALICE), Role::Provider, 151),
			StakeError::InsufficientStake
		);
	});
}

#[test]
fn unbond_fails_when_it_would_touch_locked_collateral() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 300);
		assert_ok!(Pallet::lock_collateral(&ALICE, 250));
		assert_noop!(
			Stake::unbond(signed(ALICE), Role::Provider, 51),
			StakeError::StakeLockedInJobs
		);
	});
}

#[test]
fn unbond_fails_when_the_rest_is_below_minimum() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_noop!(
			Stake::unbond(signed(ALICE), Role::Provider, 51),
			StakeError::BelowMinimumStake
		);
		assert_ok!(Stake::unbond(signed(ALICE), Role::Provider, 50));
	});
}

#[test]
fn unbond_fails_with_too_many_chunks() {
	new_test_ext().execute_with(|| {
		register_verifier(ALICE, 500);
		for block in 1..=MAX_CHUNKS as u64 {
			run_to_block(block);
			assert_ok!(Stake::unbond(signed(ALICE), Role::Verifier, 1));
		}
		run_to_block(MAX_CHUNKS as u64 + 1);
		assert_noop!(
			Stake::unbond(signed(ALICE), Role::Verifier, 1),
			StakeError::TooManyUnbondingChunks
		);
	});
}

#[test]
fn withdraw_unbonded_fails_with_nothing_unbonding() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Stake::withdraw_unbonded(signed(ALICE), Role::Provider),
			StakeError::NothingToWithdraw
		);
	});
}

// ---- update_provider ----

#[test]
fn update_provider_replaces_the_capabilities() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		let new = ProviderCapabilities {
			job_kinds: JobKinds::from_kinds(&[WorkloadKind::Training]),
			price_per_unit: 9,
			..capabilities()
		};
		assert_ok!(Stake::update_provider(signed(ALICE), new.clone()));
		assert_eq!(provider(ALICE).capabilities, new);
		assert_eq!(last_event(), StakeEvent::ProviderUpdated { who: ALICE });
	});
}

#[test]
fn update_provider_fails_when_not_a_provider() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Stake::update_provider(signed(ALICE), capabilities()),
			StakeError::NotProvider
		);
	});
}

// ---- deregister ----

#[test]
fn deregister_provider_unbonds_everything_and_forgets_the_offer() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_ok!(Stake::deregister(signed(ALICE), Role::Provider));
		assert!(Providers::<Test>::get(ALICE).is_none());
		assert_eq!(
			last_event(),
			StakeEvent::Deregistered {
				who: ALICE,
				role: Role::Provider,
				unbonding: 150,
				unlock_at: 1 + UNBONDING
			}
		);
		assert_books_balance();
		run_to_block(1 + UNBONDING);
		assert_ok!(Stake::withdraw_unbonded(signed(ALICE), Role::Provider));
		assert_eq!(free(ALICE), ENDOWMENT);
		assert_books_balance();
	});
}

#[test]
fn deregister_verifier_leaves_the_list() {
	new_test_ext().execute_with(|| {
		register_verifier(ALICE, 60);
		register_verifier(BOB, 60);
		register_verifier(CHARLIE, 60);
		assert_ok!(Stake::deregister(signed(BOB), Role::Verifier));
		assert_eq!(Verifiers::<Test>::get().into_inner(), vec![ALICE, CHARLIE]);
		assert!(VerifierBonds::<Test>::get(BOB).is_none());
		assert_eq!(held(BOB, Role::Verifier), 60);
		assert_books_balance();
		// And may come back.
		register_verifier(BOB, 60);
		assert_eq!(Verifiers::<Test>::get().into_inner(), vec![ALICE, CHARLIE, BOB]);
		assert_books_balance();
	});
}

#[test]
fn deregister_fails_when_not_registered() {
	new_test_ext().execute_with(|| {
		assert_noop!(Stake::deregister(signed(ALICE), Role::Provider), StakeError::NotProvider);
		assert_noop!(Stake::deregister(signed(ALICE), Role::Verifier), StakeError::NotVerifier);
	});
}

#[test]
fn deregister_fails_while_collateral_is_locked() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_ok!(Pallet::lock_collateral(&ALICE, 1));
		assert_noop!(
			Stake::deregister(signed(ALICE), Role::Provider),
			StakeError::StakeLockedInJobs
		);
		Pallet::release_collateral(&ALICE, 1);
		assert_ok!(Stake::deregister(signed(ALICE), Role::Provider));
	});
}

#[test]
fn deregister_fails_with_too_many_chunks() {
	new_test_ext().execute_with(|| {
		register_verifier(ALICE, 500);
		for block in 1..=MAX_CHUNKS as u64 {
			run_to_block(block);
			assert_ok!(Stake::unbond(signed(ALICE), Role::Verifier, 1));
		}
		run_to_block(MAX_CHUNKS as u64 + 1);
		assert_noop!(
			Stake::deregister(signed(ALICE), Role::Verifier),
			StakeError::TooManyUnbondingChunks
		);
	});
}

// ---- the interface: offers and collateral ----

#[test]
fn provider_offer_reports_price_and_free_stake() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 300);
		assert_ok!(Pallet::lock_collateral(&ALICE, 100));
		assert_eq!(
			Pallet::provider_offer(&ALICE, WorkloadKind::Inference),
			Ok(ProviderOffer { price_per_unit: 3, free_stake: 200 })
		);
	});
}

#[test]
fn provider_offer_fails_for_unknown_provider_or_kind() {
	new_test_ext().execute_with(|| {
		assert_eq!(
			Pallet::provider_offer(&ALICE, WorkloadKind::Inference),
			Err(StakeError::NotProvider.into())
		);
		let inference_only = ProviderCapabilities {
			job_kinds: JobKinds::from_kinds(&[WorkloadKind::Inference]),
			..capabilities()
		};
		assert_ok!(Stake::register_provider(signed(ALICE), inference_only, 150));
		assert_eq!(
			Pallet::provider_offer(&ALICE, WorkloadKind::Training),
			Err(StakeError::KindNotOffered.into())
		);
	});
}

#[test]
fn lock_collateral_fails_beyond_free_stake_and_changes_nothing() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_ok!(Pallet::lock_collateral(&ALICE, 100));
		assert_noop!(Pallet::lock_collateral(&ALICE, 51), StakeError::InsufficientStake);
		assert_noop!(Pallet::lock_collateral(&BOB, 1), StakeError::NotProvider);
		assert_eq!(provider(ALICE).locked, 100);
		assert_eq!(last_event(), StakeEvent::CollateralLocked { who: ALICE, amount: 100 });
	});
}

#[test]
fn release_collateral_returns_at_most_what_is_locked() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_ok!(Pallet::lock_collateral(&ALICE, 100));
		Pallet::release_collateral(&ALICE, 30);
		assert_eq!(provider(ALICE).locked, 70);
		Pallet::release_collateral(&ALICE, 1_000);
		assert_eq!(provider(ALICE).locked, 0);
		assert_eq!(last_event(), StakeEvent::CollateralReleased { who: ALICE, amount: 70 });
		// Unknown accounts are ignored.
		Pallet::release_collateral(&BOB, 1);
		assert_books_balance();
	});
}

// ---- slashing ----

#[test]
fn slash_collateral_compensates_from_the_hold_without_changing_issuance() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 300);
		assert_ok!(Pallet::lock_collateral(&ALICE, 100));
		let issuance = Balances::total_issuance();
		let slashed = Pallet::slash_collateral(&ALICE, 40, SlashDestination::Compensate(BOB));
		assert_eq!(slashed, 40);
		assert_eq!(free(BOB), ENDOWMENT + 40);
		assert_eq!(held(ALICE, Role::Provider), 260);
		assert_eq!(
			provider(ALICE),
			ProviderInfo { capabilities: capabilities(), bonded: 260, locked: 60 }
		);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_eq!(
			last_event(),
			StakeEvent::StakeSlashed {
				who: ALICE,
				role: Role::Provider,
				amount: 40,
				destination: SlashedTo::Account(BOB)
			}
		);
		assert_books_balance();
	});
}

#[test]
fn slash_collateral_takes_at_most_the_locked_collateral() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 300);
		assert_ok!(Pallet::lock_collateral(&ALICE, 100));
		let slashed = Pallet::slash_collateral(&ALICE, 500, SlashDestination::Reward(CHARLIE));
		assert_eq!(slashed, 100);
		assert_eq!(free(CHARLIE), ENDOWMENT + 100);
		assert_eq!(provider(ALICE).bonded, 200);
		assert_eq!(provider(ALICE).locked, 0);
		assert_eq!(Pallet::slash_collateral(&ALICE, 5, SlashDestination::Burn), 0);
		assert_eq!(Pallet::slash_collateral(&BOB, 5, SlashDestination::Burn), 0);
		assert_books_balance();
	});
}

#[test]
fn slash_collateral_burn_lowers_total_issuance() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 300);
		assert_ok!(Pallet::lock_collateral(&ALICE, 100));
		let issuance = Balances::total_issuance();
		assert_eq!(Pallet::slash_collateral(&ALICE, 30, SlashDestination::Burn), 30);
		assert_eq!(Balances::total_issuance(), issuance - 30);
		assert_eq!(
			last_event(),
			StakeEvent::StakeSlashed {
				who: ALICE,
				role: Role::Provider,
				amount: 30,
				destination: SlashedTo::Burned
			}
		);
		assert_books_balance();
	});
}

#[test]
fn slash_to_an_account_that_cannot_receive_it_burns_instead() {
	new_test_ext().execute_with(|| {
		// NOBODY does not exist and the amount is below the existential
		// deposit, so the transfer cannot create it.
		register_provider(ALICE, 300);
		assert_ok!(Pallet::lock_collateral(&ALICE, 100));
		let issuance = Balances::total_issuance();
		let amount = EXISTENTIAL_DEPOSIT - 1;
		let slashed =
			Pallet::slash_collateral(&ALICE, amount, SlashDestination::Compensate(NOBODY));
		assert_eq!(slashed, amount);
		assert_eq!(free(NOBODY), 0);
		assert_eq!(Balances::total_issuance(), issuance - amount);
		assert_eq!(
			last_event(),
			StakeEvent::StakeSlashed {
				who: ALICE,
				role: Role::Provider,
				amount,
				destination: SlashedTo::Burned
			}
		);
		assert_books_balance();
	});
}

#[test]
fn slash_verifier_takes_the_active_bond_then_the_latest_chunks() {
	new_test_ext().execute_with(|| {
		register_verifier(ALICE, 200);
		assert_ok!(Stake::unbond(signed(ALICE), Role::Verifier, 30));
		run_to_block(2);
		assert_ok!(Stake::unbond(signed(ALICE), Role::Verifier, 40));
		// Active 130, chunks [30 @ 11, 40 @ 12].
		assert_eq!(Pallet::slash_verifier(&ALICE, 100, SlashDestination::Reward(BOB)), 100);
		assert_eq!(VerifierBonds::<Test>::get(ALICE), Some(30));
		assert_eq!(Pallet::slash_verifier(&ALICE, 60, SlashDestination::Burn), 60);
		assert_eq!(VerifierBonds::<Test>::get(ALICE), Some(0));
		assert_eq!(
			Unbonding::<Test>::get(ALICE, Role::Verifier).into_inner(),
			vec![
				UnbondingChunk { amount: 30, unlock_at: 1 + UNBONDING },
				UnbondingChunk { amount: 10, unlock_at: 2 + UNBONDING }
			]
		);
		assert_books_balance();
		// Everything left, and no more.
		assert_eq!(Pallet::slash_verifier(&ALICE, 1_000, SlashDestination::Burn), 40);
		assert!(Unbonding::<Test>::get(ALICE, Role::Verifier).is_empty());
		assert_eq!(held(ALICE, Role::Verifier), 0);
		assert_eq!(Pallet::slash_verifier(&ALICE, 1, SlashDestination::Burn), 0);
		assert_books_balance();
	});
}

#[test]
fn deregistered_verifier_stays_slashable_while_unbonding() {
	new_test_ext().execute_with(|| {
		register_verifier(ALICE, 60);
		assert_ok!(Stake::deregister(signed(ALICE), Role::Verifier));
		assert_eq!(Pallet::slash_verifier(&ALICE, 25, SlashDestination::Compensate(BOB)), 25);
		assert_eq!(free(BOB), ENDOWMENT + 25);
		assert!(VerifierBonds::<Test>::get(ALICE).is_none());
		run_to_block(1 + UNBONDING);
		assert_ok!(Stake::withdraw_unbonded(signed(ALICE), Role::Verifier));
		assert_eq!(free(ALICE), ENDOWMENT - 25);
		assert_books_balance();
	});
}

#[test]
fn slashed_verifier_keeps_its_place_with_a_smaller_weight() {
	new_test_ext().execute_with(|| {
		register_verifier(ALICE, 60);
		register_verifier(BOB, 60);
		Pallet::slash_verifier(&ALICE, 50, SlashDestination::Burn);
		assert_eq!(Pallet::verifiers(), vec![(ALICE, 10), (BOB, 60)]);
		assert_ok!(Stake::bond_extra(signed(ALICE), Role::Verifier, 50));
		assert_eq!(Pallet::verifiers(), vec![(ALICE, 60), (BOB, 60)]);
	});
}

#[test]
fn holds_of_a_slashed_provider_cannot_be_double_spent() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_ok!(Pallet::lock_collateral(&ALICE, 150));
		Pallet::slash_collateral(&ALICE, 150, SlashDestination::Burn);
		assert_eq!(provider(ALICE).bonded, 0);
		// Nothing left to unbond; deregistering leaves no chunk.
		assert_noop!(
			Stake::unbond(signed(ALICE), Role::Provider, 1),
			StakeError::InsufficientStake
		);
		assert_ok!(Stake::deregister(signed(ALICE), Role::Provider));
		assert!(Unbonding::<Test>::get(ALICE, Role::Provider).is_empty());
		assert_eq!(Balances::total_balance(&ALICE), ENDOWMENT - 150);
		assert_books_balance();
	});
}

// ---- property: random sequences keep the books ----

mod property {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		RegisterProvider(u64, Balance),
		RegisterVerifier(u64, Balance),
		BondExtra(u64, bool, Balance),
		Unbond(u64, bool, Balance),
		Withdraw(u64, bool),
		Deregister(u64, bool),
		Lock(u64, Balance),
		Release(u64, Balance),
		SlashCollateral(u64, Balance, u8, u64),
		SlashVerifier(u64, Balance, u8, u64),
		Advance(u64),
	}

	fn account() -> impl Strategy<Value = u64> {
		prop_oneof![1..=5u64, Just(NOBODY)]
	}

	fn amount() -> impl Strategy<Value = Balance> {
		prop_oneof![0..=400u128, Just(ENDOWMENT)]
	}

	fn op() -> impl Strategy<Value = Op> {
		prop_oneof![
			(account(), 50..=500u128).prop_map(|(a, b)| Op::RegisterProvider(a, b)),
			(account(), 40..=500u128).prop_map(|(a, b)| Op::RegisterVerifier(a, b)),
			(account(), any::<bool>(), amount()).prop_map(|(a, p, b)| Op::BondExtra(a, p, b)),
			(account(), any::<bool>(), amount()).prop_map(|(a, p, b)| Op::Unbond(a, p, b)),
			(account(), any::<bool>()).prop_map(|(a, p)| Op::Withdraw(a, p)),
			(account(), any::<bool>()).prop_map(|(a, p)| Op::Deregister(a, p)),
			(account(), amount()).prop_map(|(a, b)| Op::Lock(a, b)),
			(account(), amount()).prop_map(|(a, b)| Op::Release(a, b)),
			(account(), amount(), 0..3u8, account())
				.prop_map(|(a, b, d, to)| Op::SlashCollateral(a, b, d, to)),
			(account(), amount(), 0..3u8, account())
				.prop_map(|(a, b, d, to)| Op::SlashVerifier(a, b, d, to)),
			prop_oneof![1..=6u64, Just(UNBONDING)].prop_map(Op::Advance),
		]
	}

	fn role(provider: bool) -> Role {
		if provider {
			Role::Provider
		} else {
			Role::Verifier
		}
	}

	fn destination(kind: u8, to: u64) -> SlashDestination<u64> {
		match kind {
			0 => SlashDestination::Compensate(to),
			1 => SlashDestination::Reward(to),
			_ => SlashDestination::Burn,
		}
	}

	fn burned(event: &StakeEvent) -> Balance {
		match event {
			StakeEvent::StakeSlashed { amount, destination: SlashedTo::Burned, .. } => *amount,
			_ => 0,
		}
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

		#[test]
		fn random_call_sequences_conserve_tokens_and_keep_holds_in_step(
			ops in proptest::collection::vec(op(), 1..40)
		) {
			new_test_ext().execute_with(|| {
				let initial_issuance = Balances::total_issuance();
				let mut burned_total = 0u128;
				for op in ops {
					System::reset_events();
					match op {
						Op::RegisterProvider(a, b) => {
							let _ = Stake::register_provider(signed(a), capabilities(), b);
						},
						Op::RegisterVerifier(a, b) => {
							let _ = Stake::register_verifier(signed(a), b);
						},
						Op::BondExtra(a, p, b) => {
							let _ = Stake::bond_extra(signed(a), role(p), b);
						},
						Op::Unbond(a, p, b) => {
							let _ = Stake::unbond(signed(a), role(p), b);
						},
						Op::Withdraw(a, p) => {
							let _ = Stake::withdraw_unbonded(signed(a), role(p));
						},
						Op::Deregister(a, p) => {
							let _ = Stake::deregister(signed(a), role(p));
						},
						Op::Lock(a, b) => {
							let before = Providers::<Test>::get(a);
							if Pallet::lock_collateral(&a, b).is_err() {
								assert_eq!(Providers::<Test>::get(a), before);
							}
						},
						Op::Release(a, b) => Pallet::release_collateral(&a, b),
						Op::SlashCollateral(a, b, d, to) => {
							let locked = Providers::<Test>::get(a).map(|p| p.locked).unwrap_or_default();
							let slashed = Pallet::slash_collateral(&a, b, destination(d, to));
							assert!(slashed <= b.min(locked));
						},
						Op::SlashVerifier(a, b, d, to) => {
							let bond = held(a, Role::Verifier);
							let slashed = Pallet::slash_verifier(&a, b, destination(d, to));
							assert!(slashed <= b.min(bond));
						},
						Op::Advance(n) => run_to_block(System::block_number() + n),
					}
					burned_total += System::events()
						.iter()
						.map(|record| match &record.event {
							RuntimeEvent::Stake(event) => burned(event),
							_ => 0,
						})
						.sum::<Balance>();
					assert_books_balance();
					assert_eq!(Balances::total_issuance() + burned_total, initial_issuance);
					for who in (1..=8).chain([NOBODY]) {
						assert!(Unbonding::<Test>::get(who, Role::Provider).iter().all(|c| c.amount > 0));
						assert!(Unbonding::<Test>::get(who, Role::Verifier).iter().all(|c| c.amount > 0));
					}
					let verifiers = Verifiers::<Test>::get();
					assert_eq!(verifiers.len() as u32, VerifierBonds::<Test>::iter().count() as u32);
				}
			});
		}
	}
}

#[test]
fn try_state_catches_bookkeeping_that_differs_from_the_hold() {
	new_test_ext().execute_with(|| {
		register_provider(ALICE, 150);
		assert_eq!(Pallet::do_try_state(), Ok(()));
		Providers::<Test>::mutate(ALICE, |info| {
			if let Some(info) = info {
				info.bonded += 1;
			}
		});
		assert!(Pallet::do_try_state().is_err());
	});
}
