//! Tests of the reputation pallet, named as the claims they check. The mock
//! has a neutral score of 50%, a prior worth 4 outcomes and a half-life of
//! 100 blocks, so after one outcome the score is `(2 + G) / (4 + G + B)`.

use crate::{mock::*, *};
use sp_runtime::Permill;

type Pallet = crate::Pallet<Test>;

const ALICE: u64 = 1;
const BOB: u64 = 2;

fn ppm(score: Permill) -> u32 {
	score.deconstruct()
}

fn last_event() -> crate::Event<Test> {
	System::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::Reputation(event) => Some(event),
			_ => None,
		})
		.expect("a reputation event")
}

#[test]
fn unknown_account_has_the_neutral_score() {
	new_test_ext().execute_with(|| {
		assert_eq!(<Pallet as ReputationInterface<u64>>::score(&ALICE), Permill::from_percent(50));
		assert!(Records::<Test>::get(ALICE).is_none());
	});
}

#[test]
fn each_outcome_moves_the_score_by_its_severity() {
	new_test_ext().execute_with(|| {
		let cases = [
			(Outcome::Completed, 600_000), // 3 / 5
			(Outcome::DisputeWon, 600_000),
			(Outcome::TimedOut, 333_333), // 2 / 6
			(Outcome::Failed, 222_222),   // 2 / 9
			(Outcome::DisputeLost, 222_222),
		];
		for (who, (outcome, expected)) in cases.into_iter().enumerate() {
			let who = who as u64 + 10;
			<Pallet as ReputationInterface<u64>>::record(&who, outcome);
			assert_eq!(ppm(Pallet::score(&who)), expected, "{outcome:?}");
			assert_eq!(
				last_event(),
				crate::Event::OutcomeRecorded {
					who,
					outcome,
					score: Permill::from_parts(expected)
				}
			);
		}
	});
}

#[test]
fn record_counts_every_outcome_and_stores_the_score() {
	new_test_ext().execute_with(|| {
		for outcome in [
			Outcome::Completed,
			Outcome::Completed,
			Outcome::Failed,
			Outcome::TimedOut,
			Outcome::DisputeWon,
			Outcome::DisputeLost,
		] {
			Pallet::record_outcome(&ALICE, outcome);
		}
		let record = Records::<Test>::get(ALICE).expect("a record");
		assert_eq!(
			(
				record.completed,
				record.failed,
				record.timed_out,
				record.disputes_won,
				record.disputes_lost
			),
			(2, 1, 1, 1, 1)
		);
		assert_eq!(record.good_weight, 3 * WEIGHT_UNIT);
		assert_eq!(record.bad_weight, 12 * WEIGHT_UNIT);
		assert_eq!(record.updated_at, 1);
		// (2 + 3) / (4 + 3 + 12)
		assert_eq!(ppm(record.score), 263_157);
		assert_eq!(record.score, Pallet::score(&ALICE));
	});
}

#[test]
fn one_failure_outweighs_several_completions() {
	new_test_ext().execute_with(|| {
		for _ in 0..4 {
			Pallet::record_outcome(&ALICE, Outcome::Completed);
		}
		Pallet::record_outcome(&ALICE, Outcome::Failed);
		// (2 + 4) / (4 + 4 + 5) = 46%: below neutral.
		assert!(Pallet::score(&ALICE) < Permill::from_percent(50));
	});
}

#[test]
fn weights_halve_after_one_half_life() {
	new_test_ext().execute_with(|| {
		Pallet::record_outcome(&ALICE, Outcome::Completed);
		run_to_block(1 + HALF_LIFE);
		// (2 + 0.5) / (4 + 0.5)
		assert_eq!(ppm(Pallet::score(&ALICE)), 555_555);
		// Reading does not write: the stored score is as of the last update.
		assert_eq!(ppm(Records::<Test>::get(ALICE).expect("a record").score), 600_000);
		Pallet::record_outcome(&ALICE, Outcome::Completed);
		let record = Records::<Test>::get(ALICE).expect("a record");
		assert_eq!(record.good_weight, WEIGHT_UNIT + WEIGHT_UNIT / 2);
		assert_eq!(record.updated_at, 1 + HALF_LIFE);
	});
}

#[test]
fn scores_return_to_neutral_over_time_from_both_sides() {
	new_test_ext().execute_with(|| {
		for _ in 0..20 {
			Pallet::record_outcome(&ALICE, Outcome::Completed);
			Pallet::record_outcome(&BOB, Outcome::Failed);
		}
		let (good, bad) = (Pallet::score(&ALICE), Pallet::score(&BOB));
		assert!(good > Permill::from_percent(90));
		assert!(bad < Permill::from_percent(10));
		run_to_block(1 + 3 * HALF_LIFE);
		assert!(Pallet::score(&ALICE) < good && Pallet::score(&ALICE) > Permill::from_percent(50));
		assert!(Pallet::score(&BOB) > bad && Pallet::score(&BOB) < Permill::from_percent(50));
		run_to_block(1 + 64 * HALF_LIFE);
		assert_eq!(Pallet::score(&ALICE), Permill::from_percent(50));
		assert_eq!(Pallet::score(&BOB), Permill::from_percent(50));
		// The lifetime counts do not decay.
		assert_eq!(Records::<Test>::get(BOB).expect("a record").failed, 20);
	});
}

#[test]
fn decay_by_whole_and_fractional_half_lives() {
	assert_eq!(decay(1_000_000, 0, 100), 1_000_000);
	assert_eq!(decay(1_000_000, 100, 100), 500_000);
	assert_eq!(decay(1_000_000, 300, 100), 125_000);
	// 2^(-1/2) = 0.70710678...
	assert!((707_100..=707_107).contains(&decay(1_000_000, 50, 100)));
	// 2^(-1/4) = 0.84089641...
	assert!((840_890..=840_897).contains(&decay(1_000_000, 25, 100)));
	assert_eq!(decay(u64::MAX, 64 * 100, 100), 0);
	assert_eq!(decay(1_000_000, 1, 0), 0);
	assert_eq!(decay(1_000_000, 0, 0), 1_000_000);
}

mod property {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#[test]
		fn decay_never_grows_and_is_monotone_in_time(
			weight in any::<u64>(),
			elapsed in 0..10_000u64,
			extra in 0..10_000u64,
			half_life in 1..5_000u64,
		) {
			let once = decay(weight, elapsed, half_life);
			prop_assert!(once <= weight);
			prop_assert!(decay(weight, elapsed + extra, half_life) <= once);
		}

		#[test]
		fn decay_in_two_steps_matches_one_step(
			weight in 0..(1u64 << 40),
			first in 0..5_000u64,
			second in 0..5_000u64,
			half_life in 1..5_000u64,
		) {
			let one_step = decay(weight, first + second, half_life);
			let two_steps = decay(decay(weight, first, half_life), second, half_life);
			// Rounding differs by at most a relative 10^-4 plus a few units.
			let tolerance = one_step / 10_000 + 40;
			prop_assert!(one_step.abs_diff(two_steps) <= tolerance,
				"{} vs {}", one_step, two_steps);
		}

		#[test]
		fn scores_stay_in_range_and_good_outcomes_never_lower_them(
			outcomes in proptest::collection::vec((0..5u8, 0..300u64), 1..40)
		) {
			new_test_ext().execute_with(|| {
				for (kind, wait) in outcomes {
					run_to_block(System::block_number() + wait);
					let before = Pallet::score(&ALICE);
					let outcome = match kind {
						0 => Outcome::Completed,
						1 => Outcome::DisputeWon,
						2 => Outcome::TimedOut,
						3 => Outcome::Failed,
						_ => Outcome::DisputeLost,
					};
					Pallet::record_outcome(&ALICE, outcome);
					let after = Pallet::score(&ALICE);
					assert!(after <= Permill::one());
					match outcome {
						Outcome::Completed | Outcome::DisputeWon => assert!(after >= before),
						_ => assert!(after <= before),
					}
				}
			});
		}
	}
}
