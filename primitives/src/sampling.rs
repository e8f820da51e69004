//! # Proof of Sampling: how often a committed result is audited
//!
//! A provider that skips the work saves at most the job's `price` and, when
//! audited, loses its `collateral`. Auditing with probability `p` makes
//! cheating a losing bet when
//!
//! ```text
//! p * (price + collateral) >= price          (PoSP, arXiv 2405.00295)
//! ```
//!
//! so the chain audits with
//!
//! ```text
//! p = clamp(safety * price / (price + collateral), p_min, 1)
//! ```
//!
//! and raises `p` further for providers with a poor track record. With
//! `safety >= 1` the inequality holds for every price and collateral (the
//! property tests below check it); `safety > 1` leaves a margin for the
//! provider's other gains from cheating (time, electricity).
//!
//! Probabilities are integers in parts per million ([`PPM`]); `safety` is in
//! parts per thousand (1000 = 1.0). Every division rounds *up*, so rounding
//! never weakens the inequality.

/// One, in parts per million.
pub const PPM: u32 = 1_000_000;

/// One, in parts per thousand (the unit of `safety`).
pub const PERMILLE: u32 = 1_000;

/// The audit probability of a job, in parts per million.
///
/// - `price`, `collateral`: what the provider earns and what it loses if caught.
/// - `safety_permille`: the safety factor, 1000 = 1.0.
/// - `p_min_ppm`: the floor, so that cheap jobs are still audited sometimes.
/// - `reputation_ppm`: the provider's score, [`PPM`] = spotless. A score `s`
///   raises `p` to `p + (1 - p) * (1 - s) / 2`: a spotless provider is audited
///   at `p`, one with a score of zero about half the rest of the time too.
///
/// Arithmetic overflow (absurd prices) yields [`PPM`]: audit always.
pub fn audit_probability_ppm(
	price: u128,
	collateral: u128,
	safety_permille: u32,
	p_min_ppm: u32,
	reputation_ppm: u32,
) -> u32 {
	let base = base_probability_ppm(price, collateral, safety_permille).unwrap_or(PPM);
	let clamped = base.max(p_min_ppm.min(PPM)).min(PPM);
	let deficit = PPM.saturating_sub(reputation_ppm.min(PPM));
	// (PPM - p) * deficit / (2 * PPM), rounded up; fits u64 easily.
	let raise = div_ceil_u64(u64::from(PPM - clamped) * u64::from(deficit), 2 * u64::from(PPM));
	clamped.saturating_add(raise as u32).min(PPM)
}

/// `ceil(safety * price / (price + collateral))` in ppm, `None` on overflow.
fn base_probability_ppm(price: u128, collateral: u128, safety_permille: u32) -> Option<u32> {
	let total = price.checked_add(collateral)?;
	if total == 0 {
		// Nothing at stake and nothing to earn: audit, it costs the chain nothing to be sure.
		return Some(PPM);
	}
	// safety_permille / 1000 * price / total * 1e6 = safety_permille * 1000 * price / total
	let numerator = u128::from(safety_permille).checked_mul(1_000)?.checked_mul(price)?;
	let ppm = numerator.div_ceil(total);
	Some(u32::try_from(ppm.min(u128::from(PPM))).unwrap_or(PPM))
}

fn div_ceil_u64(numerator: u64, denominator: u64) -> u64 {
	if denominator == 0 {
		return 0;
	}
	numerator.div_ceil(denominator)
}

/// Whether a job whose audit probability is `p_ppm` is audited, given 32
/// bytes of randomness the provider could not know when it committed.
///
/// Takes 8 bytes as a little-endian integer modulo [`PPM`]: the modulo bias is
/// below 10^-13.
pub fn is_sampled(randomness: &[u8; 32], p_ppm: u32) -> bool {
	let mut word = [0u8; 8];
	word.copy_from_slice(&randomness[..8]);
	let draw = u64::from_le_bytes(word) % u64::from(PPM);
	draw < u64::from(p_ppm)
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn equal_price_and_collateral_with_safety_one_audits_half() {
		assert_eq!(audit_probability_ppm(100, 100, 1_000, 0, PPM), 500_000);
	}

	#[test]
	fn floor_applies_to_cheap_jobs() {
		assert_eq!(audit_probability_ppm(1, 1_000_000, 1_000, 50_000, PPM), 50_000);
	}

	#[test]
	fn zero_reputation_raises_the_rate_halfway_to_one() {
		assert_eq!(audit_probability_ppm(100, 100, 1_000, 0, 0), 750_000);
	}

	#[test]
	fn overflow_means_always_audit() {
		assert_eq!(audit_probability_ppm(u128::MAX, 1, 1_000, 0, PPM), PPM);
	}

	#[test]
	fn sampling_follows_the_probability_at_the_edges() {
		assert!(!is_sampled(&[0xff; 32], 0));
		assert!(is_sampled(&[0xff; 32], PPM));
		assert!(is_sampled(&[0; 32], 1));
	}

	proptest! {
		/// The PoSP inequality `p * (price + collateral) >= price` holds for every
		/// parameter value when `safety >= 1`.
		#[test]
		fn posp_inequality_holds_whenever_safety_is_at_least_one(
			price in 0u128..=u128::from(u64::MAX),
			collateral in 0u128..=u128::from(u64::MAX),
			safety_permille in PERMILLE..=100 * PERMILLE,
			p_min_ppm in 0u32..=PPM,
			reputation_ppm in 0u32..=PPM,
		) {
			let p = audit_probability_ppm(price, collateral, safety_permille, p_min_ppm, reputation_ppm);
			prop_assert!(p <= PPM);
			prop_assert!(p >= p_min_ppm.min(PPM));
			prop_assert!(u128::from(p) * (price + collateral) >= price * u128::from(PPM));
		}

		/// A worse reputation never lowers the audit rate.
		#[test]
		fn lower_reputation_never_lowers_the_rate(
			price in 0u128..=u128::from(u64::MAX),
			collateral in 0u128..=u128::from(u64::MAX),
			safety_permille in 0u32..=100 * PERMILLE,
			p_min_ppm in 0u32..=PPM,
			better in 0u32..=PPM,
			worse in 0u32..=PPM,
		) {
			let (better, worse) = (better.max(worse), better.min(worse));
			let p_better = audit_probability_ppm(price, collateral, safety_permille, p_min_ppm, better);
			let p_worse = audit_probability_ppm(price, collateral, safety_permille, p_min_ppm, worse);
			prop_assert!(p_worse >= p_better);
		}
	}
}
