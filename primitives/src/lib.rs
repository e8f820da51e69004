//! # Hypha primitives
//!
//! Types shared by the runtime and by the off-chain code (client, worker,
//! verifier, CLI), so that both sides agree by construction. `no_std`.
//!
//! What is here today: the account, balance and block-number types of the chain
//! and the token's denomination. The marketplace types (`JobSpec`, `JobId`,
//! digests, the sampling rule) arrive with the marketplace pallets.
#![cfg_attr(not(feature = "std"), no_std)]

/// A block number.
pub type BlockNumber = u32;

/// A balance in the chain's smallest unit (planck-like: 10^-12 HYPHA).
pub type Balance = u128;

/// An account's transaction counter.
pub type Nonce = u32;

/// The token's ticker.
pub const TOKEN_SYMBOL: &str = "HYPHA";

/// Decimal places of the token: 1 HYPHA = 10^12 units.
pub const TOKEN_DECIMALS: u8 = 12;

/// One whole HYPHA in the smallest unit.
pub const HYPHA: Balance = 1_000_000_000_000;

/// One thousandth of a HYPHA.
pub const MILLI_HYPHA: Balance = HYPHA / 1_000;

/// Target block time of every Hypha chain, in milliseconds.
///
/// One second keeps the marketplace responsive (a job's life spans a handful of
/// blocks) and is well within what Aura and GRANDPA handle on a local network.
pub const MILLISECS_PER_BLOCK: u64 = 1_000;

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn one_hypha_has_twelve_decimals() {
		assert_eq!(HYPHA, 10u128.pow(TOKEN_DECIMALS as u32));
		assert_eq!(MILLI_HYPHA * 1_000, HYPHA);
	}
}
