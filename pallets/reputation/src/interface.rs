//! What other pallets (`Jobs`) may ask of and tell `Reputation`.

use sp_runtime::Permill;

/// Something that happened to an account in the marketplace.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	scale_info::TypeInfo,
	codec::MaxEncodedLen,
)]
pub enum Outcome {
	/// A job (provider) or an audit (verifier) completed honestly.
	Completed,
	/// A result or verdict was proven wrong.
	Failed,
	/// A deadline passed without the promised result or verdict.
	TimedOut,
	/// Took part in a dispute and ended on the winning side.
	DisputeWon,
	/// Took part in a dispute and ended on the losing side.
	DisputeLost,
}

/// The reputation pallet as seen by the jobs pallet.
pub trait ReputationInterface<AccountId> {
	/// The current score of `who`, decay applied: 0 = worst, 100% = spotless.
	/// An account with no record has the neutral score (`Config::InitialScore`).
	fn score(who: &AccountId) -> Permill;

	/// Records `outcome` for `who`.
	fn record(who: &AccountId, outcome: Outcome);
}
