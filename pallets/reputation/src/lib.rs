//! # Reputation Pallet
//!
//! The track record of every provider and verifier of the Hypha marketplace
//! (runtime name `Reputation`), and the score other pallets read from it.
//!
//! ## Overview
//!
//! The jobs pallet tells this pallet what happened ([`ReputationInterface::record`]
//! with an [`Outcome`]) and asks how trustworthy an account is
//! ([`ReputationInterface::score`]): to decide whether a provider may claim a
//! job, and how often its results are audited. The pallet has no extrinsics;
//! nobody but the runtime writes a record.
//!
//! Each account has one [`Record`] in [`Records`], holding its lifetime counts
//! (completed, failed, timed out, disputes won and lost), two decayed weights
//! of good and bad outcomes, the block of the last update, and the score as of
//! that block. A daemon or a UI reads one key to learn an account's standing,
//! without scanning; to get the score at a later block it applies the same
//! decay (below) or calls [`Pallet::score`] through a runtime call.
//!
//! ## Design: the score
//!
//! The score is a Bayesian average with forgetting. With `G` and `B` the
//! decayed good and bad weights, `P` = [`PRIOR_WEIGHT`] (4 outcomes' worth of
//! belief in the prior: the larger, the more outcomes it takes to move a
//! score) and `s0 = Config::InitialScore`:
//!
//! ```text
//! score = (P * s0 + G) / (P + G + B)
//! ```
//!
//! Each outcome adds its severity to `G` or `B` (in whole outcomes):
//!
//! | outcome | adds to | weight |
//! | --- | --- | --- |
//! | `Completed` | G | 1 ([`COMPLETED_WEIGHT`]) |
//! | `DisputeWon` | G | 1 ([`DISPUTE_WON_WEIGHT`]) |
//! | `TimedOut` | B | 2 ([`TIMED_OUT_WEIGHT`]) |
//! | `Failed` | B | 5 ([`FAILED_WEIGHT`]) |
//! | `DisputeLost` | B | 5 ([`DISPUTE_LOST_WEIGHT`]) |
//!
//! so one proven wrong result outweighs five honest ones: cheating must cost
//! more track record than it can earn. A missed deadline weighs less than a
//! wrong result, since it may be an outage rather than a lie.
//!
//! Both weights decay with half-life `H = Config::HalfLife` blocks: after `d`
//! blocks without news, `G <- G * 2^(-d/H)` and likewise `B`. As they vanish
//! the score returns to `s0`, so old faults are forgiven and old merits
//! forgotten at the same rate; the lifetime counts never decay. An account
//! without a record has the score `s0`.
//!
//! Arithmetic is integer only, so every node computes the same bits: weights
//! are `u64` in millionths of an outcome ([`WEIGHT_UNIT`]); `2^(-d/H)` is
//! computed as a shift by the whole half-lives, times `2^(-f)` for the
//! fraction `f` to 16 binary digits, from a table of `2^(-2^-i)` in 18
//! decimals (always rounding down: the truncated fraction costs a relative
//! error below `1.1 * 10^-5`, and each of the at most 16 products loses less
//! than one unit, i.e. a millionth of an outcome). A half-life
//! of zero forgets everything after one block.
//!
//! ## Terms
//!
//! - *Good / bad weight*: decayed sum of the severities of good / bad outcomes.
//! - *Neutral prior*: `InitialScore`, the score of an unknown account.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod interface;
pub use interface::*;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;

/// One whole outcome in the units of [`Record::good_weight`] and
/// [`Record::bad_weight`].
pub const WEIGHT_UNIT: u64 = 1_000_000;
/// Weight of the neutral prior: 4 outcomes. A new account's first honest job
/// moves its score from 50% to 60%, its first proven fault to 22%.
pub const PRIOR_WEIGHT: u64 = 4 * WEIGHT_UNIT;
/// Good weight of an honest completion.
pub const COMPLETED_WEIGHT: u64 = WEIGHT_UNIT;
/// Good weight of ending on the winning side of a dispute.
pub const DISPUTE_WON_WEIGHT: u64 = WEIGHT_UNIT;
/// Bad weight of a missed deadline.
pub const TIMED_OUT_WEIGHT: u64 = 2 * WEIGHT_UNIT;
/// Bad weight of a result or verdict proven wrong.
pub const FAILED_WEIGHT: u64 = 5 * WEIGHT_UNIT;
/// Bad weight of ending on the losing side of a dispute.
pub const DISPUTE_LOST_WEIGHT: u64 = 5 * WEIGHT_UNIT;

/// `2^(-2^-i) * 10^18` for `i = 1..=16`: the factors of a fractional
/// half-life, one per binary digit of the fraction.
const FRACTION_FACTORS: [u128; 16] = [
	707_106_781_186_547_524,
	840_896_415_253_714_543,
	917_004_043_204_671_231,
	957_603_280_698_573_646,
	978_572_062_087_700_134,
	989_228_013_193_975_484,
	994_599_423_483_633_175,
	997_296_056_085_470_126,
	998_647_112_890_970_173,
	999_323_327_502_650_752,
	999_661_606_496_243_683,
	999_830_788_931_929_063,
	999_915_390_886_613_497,
	999_957_694_548_431_132,
	999_978_847_050_491_929,
	999_989_423_469_314_464,
];

/// The scale of [`FRACTION_FACTORS`].
const FACTOR_ONE: u128 = 1_000_000_000_000_000_000;

/// `weight * 2^(-elapsed / half_life)`, rounded down (see the crate docs).
pub fn decay(weight: u64, elapsed: u64, half_life: u64) -> u64 {
	if elapsed == 0 || weight == 0 {
		return weight;
	}
	// `None` only for a zero half-life, which forgets everything.
	let (Some(whole), Some(remainder)) =
		(elapsed.checked_div(half_life), elapsed.checked_rem(half_life))
	else {
		return 0;
	};
	let Some(mut decayed) =
		weight.checked_shr(u32::try_from(whole).unwrap_or(u32::MAX)).map(u128::from)
	else {
		// 64 half-lives or more: nothing is left of a `u64`.
		return 0;
	};
	// The fraction `remainder / half_life` to 16 binary digits; below 2^16
	// since the remainder is below `half_life`.
	let fraction =
		(u128::from(remainder) << 16).checked_div(u128::from(half_life)).unwrap_or_default();
	for (digit, factor) in FRACTION_FACTORS.iter().enumerate() {
		if fraction & (1u128 << (15usize.saturating_sub(digit))) != 0 {
			decayed = decayed.saturating_mul(*factor).checked_div(FACTOR_ONE).unwrap_or_default();
		}
	}
	u64::try_from(decayed).unwrap_or(u64::MAX)
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_runtime::{Permill, SaturatedConversion, Saturating};

	/// The track record of one account.
	#[derive(
		Clone,
		Debug,
		Default,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
	)]
	pub struct Record<BlockNumber> {
		/// Jobs or audits completed honestly (lifetime count).
		pub completed: u32,
		/// Results or verdicts proven wrong (lifetime count).
		pub failed: u32,
		/// Deadlines missed (lifetime count).
		pub timed_out: u32,
		/// Disputes ended on the winning side (lifetime count).
		pub disputes_won: u32,
		/// Disputes ended on the losing side (lifetime count).
		pub disputes_lost: u32,
		/// Decayed good weight as of `updated_at`, in [`WEIGHT_UNIT`]s.
		pub good_weight: u64,
		/// Decayed bad weight as of `updated_at`, in [`WEIGHT_UNIT`]s.
		pub bad_weight: u64,
		/// The block of the last update.
		pub updated_at: BlockNumber,
		/// The score as of `updated_at`.
		pub score: Permill,
	}

	/// [`Record`] with this runtime's block number.
	pub type RecordOf<T> = Record<BlockNumberFor<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The score of an account without a record, and the score every
		/// record decays toward (e.g. 50%).
		#[pallet::constant]
		type InitialScore: Get<Permill>;

		/// Blocks after which an outcome counts half as much.
		#[pallet::constant]
		type HalfLife: Get<BlockNumberFor<Self>>;
	}

	/// The track record of every account that has one.
	#[pallet::storage]
	pub type Records<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, RecordOf<T>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `outcome` was recorded for `who`, whose score is now `score`.
		OutcomeRecorded { who: T::AccountId, outcome: Outcome, score: Permill },
	}

	impl<T: Config> Pallet<T> {
		/// The current score of `who`, decay applied; `InitialScore` without a record.
		pub fn score(who: &T::AccountId) -> Permill {
			match Records::<T>::get(who) {
				Some(record) => {
					Self::decayed(record, frame_system::Pallet::<T>::block_number()).score
				},
				None => T::InitialScore::get(),
			}
		}

		/// `record` brought forward to block `now`: weights decayed, score
		/// recomputed, `updated_at = now`. A `now` before `updated_at` decays
		/// nothing.
		pub fn decayed(mut record: RecordOf<T>, now: BlockNumberFor<T>) -> RecordOf<T> {
			let elapsed: u64 = now.saturating_sub(record.updated_at).saturated_into();
			let half_life: u64 = T::HalfLife::get().saturated_into();
			record.good_weight = decay(record.good_weight, elapsed, half_life);
			record.bad_weight = decay(record.bad_weight, elapsed, half_life);
			record.updated_at = now.max(record.updated_at);
			record.score = Self::score_of(record.good_weight, record.bad_weight);
			record
		}

		/// `(P * s0 + G) / (P + G + B)` (see the crate docs).
		pub fn score_of(good_weight: u64, bad_weight: u64) -> Permill {
			let prior_score = T::InitialScore::get();
			let prior = u128::from(PRIOR_WEIGHT);
			let good = u128::from(good_weight);
			let total = prior.saturating_add(good).saturating_add(u128::from(bad_weight));
			if total == 0 {
				return prior_score;
			}
			let parts_per_million = prior
				.saturating_mul(u128::from(prior_score.deconstruct()))
				.saturating_add(good.saturating_mul(1_000_000))
				.checked_div(total)
				.unwrap_or_default();
			Permill::from_parts(u32::try_from(parts_per_million).unwrap_or(1_000_000))
		}

		/// Records `outcome` for `who` at the current block.
		pub fn record_outcome(who: &T::AccountId, outcome: Outcome) {
			let now = frame_system::Pallet::<T>::block_number();
			let mut record = match Records::<T>::get(who) {
				Some(record) => Self::decayed(record, now),
				None => RecordOf::<T> { updated_at: now, ..Default::default() },
			};
			match outcome {
				Outcome::Completed => {
					record.completed = record.completed.saturating_add(1);
					record.good_weight = record.good_weight.saturating_add(COMPLETED_WEIGHT);
				},
				Outcome::DisputeWon => {
					record.disputes_won = record.disputes_won.saturating_add(1);
					record.good_weight = record.good_weight.saturating_add(DISPUTE_WON_WEIGHT);
				},
				Outcome::TimedOut => {
					record.timed_out = record.timed_out.saturating_add(1);
					record.bad_weight = record.bad_weight.saturating_add(TIMED_OUT_WEIGHT);
				},
				Outcome::Failed => {
					record.failed = record.failed.saturating_add(1);
					record.bad_weight = record.bad_weight.saturating_add(FAILED_WEIGHT);
				},
				Outcome::DisputeLost => {
					record.disputes_lost = record.disputes_lost.saturating_add(1);
					record.bad_weight = record.bad_weight.saturating_add(DISPUTE_LOST_WEIGHT);
				},
			}
			record.score = Self::score_of(record.good_weight, record.bad_weight);
			let score = record.score;
			Records::<T>::insert(who, record);
			Self::deposit_event(Event::OutcomeRecorded { who: who.clone(), outcome, score });
		}
	}

	impl<T: Config> ReputationInterface<T::AccountId> for Pallet<T> {
		fn score(who: &T::AccountId) -> Permill {
			Pallet::<T>::score(who)
		}

		fn record(who: &T::AccountId, outcome: Outcome) {
			Self::record_outcome(who, outcome)
		}
	}
}
