//! Amounts of HYPHA as people write them, for every amount flag of every
//! binary (`hypha`, `hypha-worker`, `hypha-verifier`).
//!
//! A plain number is HYPHA: `2`, `0.5`, `2 HYPHA` and `2HYPHA` all mean two
//! (or half a) HYPHA, with at most 12 decimals. The smallest unit (10^-12
//! HYPHA) is reached only with an explicit suffix: `5 units` (or `5 unit`).
//! Every amount flag's `--help` says so.

use hypha_primitives::{Balance, HYPHA, TOKEN_DECIMALS};

/// Why a text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
	/// Not a decimal number (with an optional `HYPHA` or `units` suffix).
	#[error(
		"`{0}` is not an amount: write HYPHA as `2`, `0.5` or `2 HYPHA`, base units as `5 units`"
	)]
	Malformed(String),
	/// More than 12 decimals.
	#[error("`{0}` has more than {TOKEN_DECIMALS} decimals: 1 HYPHA is 10^12 units")]
	TooPrecise(String),
	/// Does not fit in a balance.
	#[error("`{0}` is too large an amount")]
	Overflow(String),
}

/// Parses an amount: HYPHA unless suffixed with `units`.
pub fn parse_amount(text: &str) -> Result<Balance, AmountError> {
	let trimmed = text.trim();
	let lower = trimmed.to_ascii_lowercase();
	for suffix in ["units", "unit"] {
		if let Some(number) = lower.strip_suffix(suffix) {
			let number = number.trim();
			if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
				return Err(AmountError::Malformed(text.to_string()));
			}
			return number.parse().map_err(|_| AmountError::Overflow(text.to_string()));
		}
	}
	let number = lower.strip_suffix("hypha").unwrap_or(&lower).trim();
	let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
	let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
	if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
		return Err(AmountError::Malformed(text.to_string()));
	}
	if fraction.len() > usize::from(TOKEN_DECIMALS) {
		return Err(AmountError::TooPrecise(text.to_string()));
	}
	let overflow = || AmountError::Overflow(text.to_string());
	let whole: Balance =
		if whole.is_empty() { 0 } else { whole.parse().map_err(|_| overflow())? };
	let fraction: Balance = if fraction.is_empty() {
		0
	} else {
		format!("{fraction:0<width$}", width = usize::from(TOKEN_DECIMALS))
			.parse()
			.map_err(|_| overflow())?
	};
	whole.checked_mul(HYPHA).and_then(|w| w.checked_add(fraction)).ok_or_else(overflow)
}

/// A `clap` value parser for amount flags.
pub fn amount_arg(text: &str) -> Result<Balance, String> {
	parse_amount(text).map_err(|e| e.to_string())
}

/// A serde deserializer for amounts in config files, written as strings like
/// the flags (`bond = "1000 HYPHA"`):
/// `#[serde(deserialize_with = "hypha_client::amount::deserialize")]`.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Balance, D::Error> {
	let text = <String as serde::Deserialize>::deserialize(deserializer)?;
	parse_amount(&text).map_err(serde::de::Error::custom)
}

/// Formats an amount in the smallest unit as HYPHA, without trailing zeros.
pub fn format_hypha(amount: Balance) -> String {
	let whole = amount / HYPHA;
	let fraction = amount % HYPHA;
	if fraction == 0 {
		format!("{whole} HYPHA")
	} else {
		let digits = format!("{fraction:012}");
		format!("{whole}.{} HYPHA", digits.trim_end_matches('0'))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn plain_numbers_are_hypha() {
		assert_eq!(parse_amount("2"), Ok(2 * HYPHA));
		assert_eq!(parse_amount("0.5"), Ok(HYPHA / 2));
		assert_eq!(parse_amount(".5"), Ok(HYPHA / 2));
		assert_eq!(parse_amount("2 HYPHA"), Ok(2 * HYPHA));
		assert_eq!(parse_amount("2HYPHA"), Ok(2 * HYPHA));
		assert_eq!(parse_amount(" 1.5 hypha "), Ok(1_500_000_000_000));
		assert_eq!(parse_amount("0.000000000001"), Ok(1));
	}

	#[test]
	fn base_units_need_their_suffix() {
		assert_eq!(parse_amount("5 units"), Ok(5));
		assert_eq!(parse_amount("1unit"), Ok(1));
		assert!(matches!(parse_amount("1.5 units"), Err(AmountError::Malformed(_))));
		assert!(matches!(parse_amount("units"), Err(AmountError::Malformed(_))));
	}

	#[test]
	fn malformed_amounts_are_refused_with_the_reason() {
		assert!(matches!(parse_amount("abc"), Err(AmountError::Malformed(_))));
		assert!(matches!(parse_amount(""), Err(AmountError::Malformed(_))));
		assert!(matches!(parse_amount("-1"), Err(AmountError::Malformed(_))));
		assert!(matches!(parse_amount("1.2.3"), Err(AmountError::Malformed(_))));
		assert!(matches!(parse_amount("1.0000000000001"), Err(AmountError::TooPrecise(_))));
		assert!(matches!(
			parse_amount("999999999999999999999999999999999"),
			Err(AmountError::Overflow(_))
		));
	}

	#[test]
	fn amounts_round_trip_through_text() {
		for amount in [0, 1, HYPHA / 2, 100 * HYPHA, 1_234_567_890_123_456] {
			assert_eq!(parse_amount(&format_hypha(amount)), Ok(amount));
		}
		assert_eq!(format_hypha(1_500_000_000_000), "1.5 HYPHA");
		assert_eq!(format_hypha(100 * HYPHA), "100 HYPHA");
	}
}
