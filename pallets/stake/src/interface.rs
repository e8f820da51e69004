//! What other pallets (`Jobs`) may ask of `Stake`. Implemented by
//! `Pallet<T>`; the jobs pallet's `Config::Stake` names it.

use frame_support::pallet_prelude::DispatchResult;
use hypha_primitives::WorkloadKind;
use sp_runtime::DispatchError;

/// Which of an account's two possible bonds.
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
pub enum Role {
	/// A provider's bond: backs the collateral of the jobs it claims.
	Provider,
	/// A verifier's bond: backs its verdicts.
	Verifier,
}

/// Where slashed funds go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlashDestination<AccountId> {
	/// To an account harmed by the fault (a client whose job was cheated).
	Compensate(AccountId),
	/// To an account that proved the fault (an honest verifier).
	Reward(AccountId),
	/// Destroyed: total issuance goes down by the amount.
	Burn,
}

/// A provider's standing offer, as the jobs pallet needs it when a provider
/// claims a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderOffer<Balance> {
	/// Price per declared compute unit.
	pub price_per_unit: Balance,
	/// Bonded stake not yet locked as collateral of claimed jobs.
	pub free_stake: Balance,
}

/// The stake pallet as seen by the jobs pallet.
pub trait StakeInterface<AccountId, Balance> {
	/// The offer of `who` for a job of `kind`: fails with the stake pallet's
	/// `NotProvider` if `who` is not a registered provider and
	/// `KindNotOffered` if it does not run `kind`.
	fn provider_offer(
		who: &AccountId,
		kind: WorkloadKind,
	) -> Result<ProviderOffer<Balance>, DispatchError>;

	/// Locks `amount` of `who`'s free provider stake as a job's collateral.
	/// Fails with `InsufficientStake` (and changes nothing) when the free
	/// stake is smaller. Locked stake cannot be unbonded.
	fn lock_collateral(who: &AccountId, amount: Balance) -> DispatchResult;

	/// Returns up to `amount` of locked collateral to `who`'s free stake.
	fn release_collateral(who: &AccountId, amount: Balance);

	/// Slashes up to `amount` of `who`'s locked collateral (the hold
	/// shrinks) and sends it to `destination`. Returns what was slashed.
	fn slash_collateral(
		who: &AccountId,
		amount: Balance,
		destination: SlashDestination<AccountId>,
	) -> Balance;

	/// Slashes up to `amount` of `who`'s verifier bond and sends it to
	/// `destination`. Returns what was slashed.
	fn slash_verifier(
		who: &AccountId,
		amount: Balance,
		destination: SlashDestination<AccountId>,
	) -> Balance;

	/// Registered verifiers and their bonded stake, in a fixed order (the
	/// order of registration), at most `MaxVerifiers` of them.
	fn verifiers() -> alloc::vec::Vec<(AccountId, Balance)>;

	/// Whether some registered verifier is neither `a` nor `b`: one read of
	/// the list, none of the bonds (the jobs pallet asks it on every claim).
	fn has_verifier_besides(a: &AccountId, b: &AccountId) -> bool;
}
