//! # Stake Pallet
//!
//! Provider and verifier bonds of the Hypha marketplace (runtime name `Stake`):
//! registration, bonding, unbonding, withdrawal, and the slashing that other
//! pallets (`Jobs`) call through [`StakeInterface`].
//!
//! ## Overview
//!
//! An account puts tokens at risk to take part in the marketplace:
//!
//! - A **provider** registers its [`ProviderCapabilities`] (backend, memory,
//!   job kinds, price per compute unit, HTTP endpoint, ed25519 receipt key)
//!   with a bond of at least [`StakeParams::min_provider_stake`]. When it
//!   claims a job, the jobs pallet *locks* part of that bond as the job's
//!   collateral ([`StakeInterface::lock_collateral`]); the collateral is
//!   released when the job settles, or slashed when the provider is proven
//!   wrong or misses its deadline.
//! - A **verifier** registers with a bond of at least
//!   [`StakeParams::min_verifier_stake`] and joins [`Verifiers`], the list the
//!   jobs pallet draws auditors from with stake weight. The list holds at most
//!   `MaxVerifiers`; once it is full, a newcomer gets in only by bonding more
//!   than the smallest verifier, which it then displaces. A verifier that lies
//!   or does not answer is slashed ([`StakeInterface::slash_verifier`]).
//!
//! One account may hold both roles; the two bonds are independent.
//!
//! ## Design
//!
//! **Stake is a hold.** Every bonded token stays in its owner's account, on
//! hold with [`HoldReason::ProviderStake`] or [`HoldReason::VerifierStake`]
//! (`fungible::MutateHold`). For every account and role:
//!
//! ```text
//! balance on hold (role's reason) == active bond + sum of unbonding chunks
//! ```
//!
//! where a provider's active bond ([`ProviderInfo::bonded`]) includes its
//! locked collateral ([`ProviderInfo::locked`]). Collateral is bookkeeping
//! inside the provider hold, not a hold of its own, so locking and releasing
//! it moves no tokens.
//!
//! **Unbonding.** [`Pallet::unbond`] moves part of the active bond into an
//! unbonding chunk that [`Pallet::withdraw_unbonded`] releases after
//! [`StakeParams::unbonding_period`]. Until then the chunk stays on hold and
//! stays slashable for a verifier (a verifier cannot escape a pending slash by
//! unbonding). `unbond` never touches locked collateral, and the remaining
//! active bond must stay at or above the role's minimum: to leave entirely, an
//! account calls [`Pallet::deregister`], which unbonds everything at once and
//! is refused while any collateral is locked. Chunks with the same release
//! block are merged; at most `MaxUnbondingChunks` are pending per role.
//!
//! **The verifier set cannot be squatted.** [`Verifiers`] is bounded, so
//! `MaxVerifiers` accounts at the minimum bond could otherwise keep every
//! other verifier out for as long as they liked. When the list is full,
//! [`Pallet::register_verifier`] with a bond strictly larger than the smallest
//! active bond in the list displaces that verifier (of several with the same
//! bond, the one registered first): it leaves exactly as if it had called
//! `deregister`, so its whole active bond goes into an unbonding chunk and
//! stays slashable until withdrawn ([`Event::VerifierDisplaced`]). A newcomer
//! whose bond is not larger is refused with `TooManyVerifiers`. Keeping a seat
//! therefore costs as much as the best bond that wants it, and a squatter
//! gets out no sooner than a verifier that left on its own.
//!
//! **Slashing** shrinks the hold and moves the slashed tokens according to a
//! [`SlashDestination`]:
//!
//! | destination | currency operation | total issuance |
//! | --- | --- | --- |
//! | `Compensate(who)`, `Reward(who)` | `transfer_on_hold` to `who`'s free balance (`Restriction::Free`, `Precision::BestEffort`, `Fortitude::Force`) | unchanged |
//! | `Burn` | `burn_held` (`Precision::BestEffort`, `Fortitude::Force`) | down by the amount |
//!
//! If a transfer cannot be made (the destination cannot receive the amount,
//! e.g. it does not exist and the amount is below the existential deposit),
//! the slashed amount is burned instead, so a slash is never silently
//! skipped; [`Event::StakeSlashed`] says where the tokens actually went. The
//! storage bookkeeping is reduced by exactly what the currency moved, so the
//! identity above always holds. A provider's slash comes out of its locked
//! collateral only; a verifier's out of its active bond first, then out of its
//! unbonding chunks (latest release first).
//!
//! **Parameters** ([`StakeParams`]) live in storage ([`Params`]), are set at
//! genesis and changed only by `GovernanceOrigin` through
//! [`Pallet::set_params`]; both refuse parameters that break the rules of
//! [`Pallet::params_are_valid`] (zero minimums, an unbonding period outside
//! [`MIN_UNBONDING_BLOCKS`]`..=`[`MAX_UNBONDING_BLOCKS`]), genesis by a panic.
//! A change of a minimum does not affect bonds already made, except that
//! later `unbond`s must respect the new minimum.
//!
//! ## Terms
//!
//! - *Active bond*: bonded stake that is not unbonding.
//! - *Locked collateral*: the part of a provider's active bond that backs jobs
//!   it has claimed; it cannot be unbonded.
//! - *Free stake*: active bond minus locked collateral; what a provider may
//!   still lock for new jobs ([`ProviderOffer::free_stake`]).
//! - *Unbonding chunk*: stake on its way out, released at a block.
//!
//! ## Failure modes
//!
//! Every refusal is a named [`Error`]; the [`StakeInterface`] functions that
//! cannot fail (`release_collateral`, the slashes) do as much as they can and
//! report what they did through their return value and events.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod interface;
pub use interface::*;

pub mod weights;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Restriction},
		},
	};
	use frame_system::pallet_prelude::*;
	use hypha_primitives::{ProviderCapabilities, WorkloadKind};
	use sp_runtime::{
		traits::{CheckedAdd, CheckedSub, Saturating, Zero},
		SaturatedConversion,
	};

	/// The balance type of [`Config::Currency`].
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// [`StakeParams`] with this runtime's types.
	pub type StakeParamsOf<T> = StakeParams<BalanceOf<T>, BlockNumberFor<T>>;

	/// [`ProviderInfo`] with this runtime's types.
	pub type ProviderInfoOf<T> = ProviderInfo<BalanceOf<T>>;

	/// The unbonding chunks of one account and role.
	pub type UnbondingChunksOf<T> = BoundedVec<
		UnbondingChunk<BalanceOf<T>, BlockNumberFor<T>>,
		<T as Config>::MaxUnbondingChunks,
	>;

	/// The marketplace's staking parameters, changed only by governance.
	#[derive(
		Clone,
		Debug,
		PartialEq,
		Eq,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		MaxEncodedLen,
		serde::Serialize,
		serde::Deserialize,
	)]
	#[serde(rename_all = "camelCase", deny_unknown_fields)]
	pub struct StakeParams<Balance, BlockNumber> {
		/// Smallest bond a provider registers with and keeps while unbonding.
		pub min_provider_stake: Balance,
		/// Smallest bond a verifier registers with and keeps while unbonding.
		pub min_verifier_stake: Balance,
		/// Blocks between an `unbond` (or `deregister`) and the release of the
		/// tokens by `withdraw_unbonded`.
		pub unbonding_period: BlockNumber,
	}

	/// A registered provider: what it offers and what it has at stake.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct ProviderInfo<Balance> {
		/// Its offer, as registered or last updated.
		pub capabilities: ProviderCapabilities<Balance>,
		/// Active bond, locked collateral included.
		pub bonded: Balance,
		/// The part of `bonded` that backs claimed jobs.
		pub locked: Balance,
	}

	/// Stake on its way out: `amount` is released at block `unlock_at`.
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub struct UnbondingChunk<Balance, BlockNumber> {
		/// Tokens still on hold.
		pub amount: Balance,
		/// First block at which `withdraw_unbonded` releases them.
		pub unlock_at: BlockNumber,
	}

	/// Where slashed tokens went, as reported by [`Event::StakeSlashed`].
	#[derive(
		Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
	)]
	pub enum SlashedTo<AccountId> {
		/// To this account's free balance (a compensation or a reward).
		Account(AccountId),
		/// Destroyed; total issuance went down by the amount.
		Burned,
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's bond, its locked collateral and its unbonding chunks.
		ProviderStake,
		/// A verifier's bond and its unbonding chunks.
		VerifierStake,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The token that bonds are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons, which include this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// Who may change [`Params`]: root today, a referendum track later.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The longest a verifier stays liable for a job it audits (the Jobs
		/// pallet's `verifier_liability` at its current parameters):
		/// [`Pallet::set_params`] refuses an unbonding period that is not
		/// longer, since an unbonded stake can be withdrawn before its slash.
		type UnbondingFloor: Get<BlockNumberFor<Self>>;

		/// Most verifiers registered at once (the length bound of [`Verifiers`]).
		#[pallet::constant]
		type MaxVerifiers: Get<u32>;

		/// Most unbonding chunks pending per account and role.
		#[pallet::constant]
		type MaxUnbondingChunks: Get<u32>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;
	}

	/// The parameters used when none were set at genesis: 100 HYPHA for
	/// either role (in the smallest unit, `10^14`), and an unbonding period of
	/// 600 blocks (ten minutes at one block a second: long enough to cover a
	/// job's challenge and audit windows on a dev chain; production chain
	/// specs set days).
	#[pallet::type_value]
	pub fn DefaultParams<T: Config>() -> StakeParamsOf<T> {
		StakeParams {
			min_provider_stake: 100u128.saturating_mul(hypha_primitives::HYPHA).saturated_into(),
			min_verifier_stake: 100u128.saturating_mul(hypha_primitives::HYPHA).saturated_into(),
			unbonding_period: 600u32.into(),
		}
	}

	/// The shortest [`StakeParams::unbonding_period`] allowed, in blocks.
	///
	/// Unbonded stake stays slashable only until it is withdrawn, so the
	/// period must outlast the longest a job keeps a verifier liable. An
	/// auditor can be slashed up to two audit windows after its assignment
	/// (its own deadline, then the panel's if it answered and was disputed),
	/// and each deadline may slip up to 15 blocks when the jobs agenda is
	/// full: with the `Jobs` defaults (a 30-block audit window) at most 90
	/// blocks. (A provider is not the concern here: `deregister` is refused
	/// while it has collateral locked.) A chain whose `Jobs` windows are
	/// longer must set a longer period itself; this floor rules out the
	/// periods (0, a few blocks) that no configuration makes safe.
	pub const MIN_UNBONDING_BLOCKS: u32 = 100;

	/// The longest [`StakeParams::unbonding_period`] allowed, in blocks: four
	/// weeks of one-second blocks. Longer would hold a leaving account's
	/// tokens for months.
	pub const MAX_UNBONDING_BLOCKS: u32 = 28 * 24 * 3_600;

	/// The staking parameters.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, StakeParamsOf<T>, ValueQuery, DefaultParams<T>>;

	/// Registered providers: capabilities, active bond and locked collateral.
	#[pallet::storage]
	pub type Providers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ProviderInfoOf<T>, OptionQuery>;

	/// Registered verifiers in registration order, so that a stake-weighted
	/// draw needs no map scan. Bounded by `MaxVerifiers`.
	#[pallet::storage]
	pub type Verifiers<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxVerifiers>, ValueQuery>;

	/// Active bond of each registered verifier.
	#[pallet::storage]
	pub type VerifierBonds<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, OptionQuery>;

	/// Pending unbonding chunks per account and role, oldest first.
	#[pallet::storage]
	pub type Unbonding<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		Role,
		UnbondingChunksOf<T>,
		ValueQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The initial parameters; [`DefaultParams`] if not given.
		pub params: Option<StakeParamsOf<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(params) = &self.params {
				// A chain spec that breaks the rules is refused at genesis,
				// as `set_params` refuses it later.
				assert!(
					Pallet::<T>::params_are_valid(params),
					"the genesis Stake parameters break the protocol's bounds (see params_are_valid)"
				);
				Params::<T>::put(params);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` registered as a provider with a bond of `bond`.
		ProviderRegistered { who: T::AccountId, bond: BalanceOf<T> },
		/// `who` replaced its provider capabilities.
		ProviderUpdated { who: T::AccountId },
		/// `who` registered as a verifier with a bond of `bond`.
		VerifierRegistered { who: T::AccountId, bond: BalanceOf<T> },
		/// `who` added `amount` to its active bond as `role`.
		Bonded { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// `who` started unbonding `amount` as `role`; it can be withdrawn at
		/// block `unlock_at`.
		Unbonded {
			who: T::AccountId,
			role: Role,
			amount: BalanceOf<T>,
			unlock_at: BlockNumberFor<T>,
		},
		/// `who` withdrew `amount` of unbonded `role` stake to its free balance.
		Withdrawn { who: T::AccountId, role: Role, amount: BalanceOf<T> },
		/// `who` left `role`; its whole active bond `unbonding` is released at
		/// block `unlock_at`.
		Deregistered {
			who: T::AccountId,
			role: Role,
			unbonding: BalanceOf<T>,
			unlock_at: BlockNumberFor<T>,
		},
		/// `amount` of provider `who`'s free stake was locked as a job's collateral.
		CollateralLocked { who: T::AccountId, amount: BalanceOf<T> },
		/// `amount` of provider `who`'s collateral was returned to its free stake.
		CollateralReleased { who: T::AccountId, amount: BalanceOf<T> },
		/// `amount` of `who`'s `role` stake was slashed and went to `destination`.
		StakeSlashed {
			who: T::AccountId,
			role: Role,
			amount: BalanceOf<T>,
			destination: SlashedTo<T::AccountId>,
		},
		/// Governance set new staking parameters.
		ParamsSet { params: StakeParamsOf<T> },
		/// Verifier `who` lost its place in a full [`Verifiers`] list to `by`,
		/// which bonded more; as if it had deregistered, its whole active bond
		/// `unbonding` is released at block `unlock_at` and stays slashable
		/// until then.
		VerifierDisplaced {
			who: T::AccountId,
			by: T::AccountId,
			unbonding: BalanceOf<T>,
			unlock_at: BlockNumberFor<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is not a registered provider.
		NotProvider,
		/// The account is not a registered verifier.
		NotVerifier,
		/// The account is already registered in this role.
		AlreadyRegistered,
		/// The amount is larger than the stake it is taken from (the active
		/// bond, or for collateral the free stake).
		InsufficientStake,
		/// The bond would be (or stay) below the role's minimum stake.
		BelowMinimumStake,
		/// The amount would touch collateral locked for claimed jobs.
		StakeLockedInJobs,
		/// The account's free balance cannot cover the hold.
		InsufficientBalance,
		/// The amount is zero.
		ZeroAmount,
		/// The account already has `MaxUnbondingChunks` chunks pending for this role.
		TooManyUnbondingChunks,
		/// No unbonding chunk of this role has reached its release block.
		NothingToWithdraw,
		/// `MaxVerifiers` verifiers are already registered and the bond offered
		/// does not exceed the smallest of theirs (a larger bond would displace
		/// that verifier).
		TooManyVerifiers,
		/// The provider does not run this workload kind.
		KindNotOffered,
		/// The capabilities list no job kind.
		NoJobKinds,
		/// The capabilities' endpoint is empty.
		EmptyEndpoint,
		/// The capabilities' price per unit is zero.
		ZeroPrice,
		/// The capabilities declare no memory.
		ZeroMemory,
		/// The capabilities' receipt key is all zeros.
		MissingReceiptKey,
		/// A minimum stake in the new parameters is zero.
		ZeroMinimumStake,
		/// A balance computation overflowed.
		Overflow,
		/// The new parameters break a rule of [`Pallet::params_are_valid`]
		/// other than a zero minimum: the unbonding period is outside
		/// [`MIN_UNBONDING_BLOCKS`]`..=`[`MAX_UNBONDING_BLOCKS`].
		InvalidParams,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as a provider offering `capabilities`, and holds
		/// `bond` of its balance as its provider stake.
		///
		/// Origin: signed. Errors: `AlreadyRegistered`, `NoJobKinds`,
		/// `EmptyEndpoint`, `ZeroPrice`, `ZeroMemory`, `MissingReceiptKey`,
		/// `BelowMinimumStake` (bond under `min_provider_stake`),
		/// `InsufficientBalance`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_provider())]
		pub fn register_provider(
			origin: OriginFor<T>,
			capabilities: ProviderCapabilities<BalanceOf<T>>,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
			Self::validate_capabilities(&capabilities)?;
			ensure!(bond >= Params::<T>::get().min_provider_stake, Error::<T>::BelowMinimumStake);
			Self::hold(&who, Role::Provider, bond)?;
			Providers::<T>::insert(
				&who,
				ProviderInfo { capabilities, bonded: bond, locked: Zero::zero() },
			);
			Self::deposit_event(Event::ProviderRegistered { who, bond });
			Ok(())
		}

		/// Registers the caller as a verifier, appends it to [`Verifiers`] and
		/// holds `bond` of its balance as its verifier stake.
		///
		/// If `MaxVerifiers` verifiers are registered already, a `bond` strictly
		/// larger than the smallest active bond among them displaces that
		/// verifier (the one registered first, of several with that bond): it
		/// leaves as `deregister` would have it leave, its whole active bond
		/// unbonding and still slashable ([`Event::VerifierDisplaced`]). If its
		/// bond cannot move to an unbonding chunk, nothing changes and the
		/// registration fails with that error.
		///
		/// Origin: signed. Errors: `AlreadyRegistered`, `BelowMinimumStake`
		/// (bond under `min_verifier_stake`), `TooManyVerifiers` (the list is
		/// full and `bond` does not exceed its smallest bond),
		/// `InsufficientBalance`, and from the displacement
		/// `TooManyUnbondingChunks`, `Overflow`.
		///
		/// Weight: the worst case, a full list scanned for its smallest bond
		/// and a displacement.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::register_verifier())]
		pub fn register_verifier(origin: OriginFor<T>, bond: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!VerifierBonds::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
			ensure!(bond >= Params::<T>::get().min_verifier_stake, Error::<T>::BelowMinimumStake);
			let verifiers = Verifiers::<T>::get();
			let displaced = if (verifiers.len() as u64) < u64::from(T::MaxVerifiers::get()) {
				None
			} else {
				let (smallest, smallest_bond) =
					Self::smallest_verifier(&verifiers).ok_or(Error::<T>::TooManyVerifiers)?;
				ensure!(bond > smallest_bond, Error::<T>::TooManyVerifiers);
				Some(smallest)
			};
			// The displacement can fail after the hold (the displaced
			// verifier's chunk list is full); the call's storage layer then
			// undoes the hold too, so nothing changes.
			Self::hold(&who, Role::Verifier, bond)?;
			let displaced = match displaced {
				Some(out) => {
					let (unbonding, unlock_at) = Self::leave(&out, Role::Verifier)?;
					Some(Event::VerifierDisplaced {
						who: out,
						by: who.clone(),
						unbonding,
						unlock_at,
					})
				},
				None => None,
			};
			Verifiers::<T>::try_mutate(|verifiers| verifiers.try_push(who.clone()))
				.map_err(|_| Error::<T>::TooManyVerifiers)?;
			VerifierBonds::<T>::insert(&who, bond);
			if let Some(event) = displaced {
				Self::deposit_event(event);
			}
			Self::deposit_event(Event::VerifierRegistered { who, bond });
			Ok(())
		}

		/// Adds `amount` of the caller's balance to its active bond as `role`.
		///
		/// Origin: signed. Errors: `ZeroAmount`, `NotProvider` / `NotVerifier`,
		/// `InsufficientBalance`, `Overflow`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(
			origin: OriginFor<T>,
			role: Role,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let bonded = Self::active_bond(&who, role)?;
			let new_bond = bonded.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			Self::hold(&who, role, amount)?;
			Self::set_active_bond(&who, role, new_bond);
			Self::deposit_event(Event::Bonded { who, role, amount });
			Ok(())
		}

		/// Moves `amount` of the caller's active `role` bond into an unbonding
		/// chunk, withdrawable `unbonding_period` blocks from now. The active
		/// bond left must stay at or above the role's minimum (use `deregister`
		/// to leave entirely), and a provider's locked collateral cannot be
		/// unbonded.
		///
		/// Origin: signed. Errors: `ZeroAmount`, `NotProvider` / `NotVerifier`,
		/// `InsufficientStake` (more than the active bond), `StakeLockedInJobs`,
		/// `BelowMinimumStake`, `TooManyUnbondingChunks`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(origin: OriginFor<T>, role: Role, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let bonded = Self::active_bond(&who, role)?;
			let remaining = bonded.checked_sub(&amount).ok_or(Error::<T>::InsufficientStake)?;
			if role == Role::Provider {
				let locked = Providers::<T>::get(&who).map(|p| p.locked).unwrap_or_default();
				ensure!(remaining >= locked, Error::<T>::StakeLockedInJobs);
			}
			ensure!(remaining >= Self::minimum(role), Error::<T>::BelowMinimumStake);
			let unlock_at = Self::add_chunk(&who, role, amount)?;
			Self::set_active_bond(&who, role, remaining);
			Self::deposit_event(Event::Unbonded { who, role, amount, unlock_at });
			Ok(())
		}

		/// Releases every unbonding `role` chunk of the caller whose release
		/// block has come to its free balance.
		///
		/// Origin: signed. Errors: `NothingToWithdraw`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>, role: Role) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let now = frame_system::Pallet::<T>::block_number();
			let chunks = Unbonding::<T>::get(&who, role);
			let (due, pending): (Vec<_>, Vec<_>) =
				chunks.into_iter().partition(|chunk| chunk.unlock_at <= now);
			ensure!(!due.is_empty(), Error::<T>::NothingToWithdraw);
			let amount =
				due.iter().fold(BalanceOf::<T>::zero(), |sum, c| sum.saturating_add(c.amount));
			let released = T::Currency::release(
				&Self::hold_reason(role),
				&who,
				amount,
				Precision::BestEffort,
			)?;
			if released != amount {
				defensive!("unbonding chunks exceed the balance on hold");
			}
			if pending.is_empty() {
				Unbonding::<T>::remove(&who, role);
			} else {
				// `pending` is a subset of a bounded vector, so it fits.
				Unbonding::<T>::insert(&who, role, UnbondingChunksOf::<T>::truncate_from(pending));
			}
			Self::deposit_event(Event::Withdrawn { who, role, amount: released });
			Ok(())
		}

		/// Replaces the caller's provider capabilities. Jobs already claimed
		/// keep the price they were claimed at.
		///
		/// Origin: signed. Errors: `NotProvider`, `NoJobKinds`, `EmptyEndpoint`,
		/// `ZeroPrice`, `ZeroMemory`, `MissingReceiptKey`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::update_provider())]
		pub fn update_provider(
			origin: OriginFor<T>,
			capabilities: ProviderCapabilities<BalanceOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::validate_capabilities(&capabilities)?;
			Providers::<T>::try_mutate(&who, |info| -> DispatchResult {
				let info = info.as_mut().ok_or(Error::<T>::NotProvider)?;
				info.capabilities = capabilities;
				Ok(())
			})?;
			Self::deposit_event(Event::ProviderUpdated { who });
			Ok(())
		}

		/// Leaves `role`: the registration is removed (a verifier leaves
		/// [`Verifiers`]) and the whole active bond starts unbonding. Refused
		/// for a provider while any collateral is locked.
		///
		/// Origin: signed. Errors: `NotProvider` / `NotVerifier`,
		/// `StakeLockedInJobs`, `TooManyUnbondingChunks`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::deregister())]
		pub fn deregister(origin: OriginFor<T>, role: Role) -> DispatchResult {
			let who = ensure_signed(origin)?;
			if role == Role::Provider {
				let info = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
				ensure!(info.locked.is_zero(), Error::<T>::StakeLockedInJobs);
			}
			let (unbonding, unlock_at) = Self::leave(&who, role)?;
			Self::deposit_event(Event::Deregistered { who, role, unbonding, unlock_at });
			Ok(())
		}

		/// Sets the staking parameters, if they keep the rules of
		/// [`Pallet::params_are_valid`].
		///
		/// Origin: `GovernanceOrigin`. Errors: `ZeroMinimumStake`,
		/// `InvalidParams` (the unbonding period is out of bounds, or not
		/// longer than a verifier's liability, [`Config::UnbondingFloor`]).
		#[pallet::call_index(7)]
		// The benchmark measures the cross-check's read too (the Jobs pallet's `Params`).
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: StakeParamsOf<T>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(
				!params.min_provider_stake.is_zero() && !params.min_verifier_stake.is_zero(),
				Error::<T>::ZeroMinimumStake
			);
			ensure!(Self::params_are_valid(&params), Error::<T>::InvalidParams);
			ensure!(params.unbonding_period > T::UnbondingFloor::get(), Error::<T>::InvalidParams);
			Params::<T>::put(&params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The hold reason of `role`'s stake.
		pub fn hold_reason(role: Role) -> T::RuntimeHoldReason {
			match role {
				Role::Provider => HoldReason::ProviderStake.into(),
				Role::Verifier => HoldReason::VerifierStake.into(),
			}
		}

		/// The minimum bond of `role`.
		pub fn minimum(role: Role) -> BalanceOf<T> {
			let params = Params::<T>::get();
			match role {
				Role::Provider => params.min_provider_stake,
				Role::Verifier => params.min_verifier_stake,
			}
		}

		/// Whether `params` keep the staking rules (checked by `set_params`
		/// and at genesis):
		///
		/// - `min_provider_stake` and `min_verifier_stake` nonzero: a free
		///   registration puts nothing at risk, and a verifier at no bond could
		///   fill [`Verifiers`] for nothing;
		/// - `unbonding_period` at least [`MIN_UNBONDING_BLOCKS`]: unbonded
		///   stake is slashable only until it is withdrawn, so a shorter period
		///   (0 above all) lets a verifier leave before its slash lands;
		/// - `unbonding_period` at most [`MAX_UNBONDING_BLOCKS`] (four weeks of
		///   one-second blocks), so no leaving account's tokens are stuck for
		///   months.
		pub fn params_are_valid(params: &StakeParamsOf<T>) -> bool {
			let shortest: BlockNumberFor<T> = MIN_UNBONDING_BLOCKS.into();
			let longest: BlockNumberFor<T> = MAX_UNBONDING_BLOCKS.into();
			!params.min_provider_stake.is_zero()
				&& !params.min_verifier_stake.is_zero()
				&& params.unbonding_period >= shortest
				&& params.unbonding_period <= longest
		}

		/// The active bond of `who` as `role` (a provider's includes its locked
		/// collateral); `NotProvider` / `NotVerifier` if not registered.
		pub fn active_bond(who: &T::AccountId, role: Role) -> Result<BalanceOf<T>, Error<T>> {
			match role {
				Role::Provider => {
					Providers::<T>::get(who).map(|p| p.bonded).ok_or(Error::<T>::NotProvider)
				},
				Role::Verifier => VerifierBonds::<T>::get(who).ok_or(Error::<T>::NotVerifier),
			}
		}

		/// The sum of `who`'s pending unbonding chunks as `role`.
		pub fn unbonding(who: &T::AccountId, role: Role) -> BalanceOf<T> {
			Unbonding::<T>::get(who, role)
				.iter()
				.fold(Zero::zero(), |sum: BalanceOf<T>, c| sum.saturating_add(c.amount))
		}

		/// Sets the active bond of a registered `who`; does nothing otherwise.
		fn set_active_bond(who: &T::AccountId, role: Role, bond: BalanceOf<T>) {
			match role {
				Role::Provider => Providers::<T>::mutate(who, |info| {
					if let Some(info) = info {
						info.bonded = bond;
					}
				}),
				Role::Verifier => VerifierBonds::<T>::mutate(who, |bonded| {
					if let Some(bonded) = bonded {
						*bonded = bond;
					}
				}),
			}
		}

		/// Ends `who`'s registration as `role`, as `deregister` does: its whole
		/// active bond goes into an unbonding chunk (none if the bond is zero)
		/// and its record is removed; a verifier leaves [`Verifiers`]. Returns
		/// the amount unbonding and its release block. Fails, changing
		/// nothing, if `who` is not registered or its bond cannot be added to
		/// its chunks; locked collateral is the caller's to check.
		fn leave(
			who: &T::AccountId,
			role: Role,
		) -> Result<(BalanceOf<T>, BlockNumberFor<T>), DispatchError> {
			let bonded = Self::active_bond(who, role)?;
			let unlock_at = if bonded.is_zero() {
				Self::unlock_block()
			} else {
				Self::add_chunk(who, role, bonded)?
			};
			match role {
				Role::Provider => Providers::<T>::remove(who),
				Role::Verifier => {
					VerifierBonds::<T>::remove(who);
					Verifiers::<T>::mutate(|verifiers| verifiers.retain(|v| v != who));
				},
			}
			Ok((bonded, unlock_at))
		}

		/// The verifier in `verifiers` with the smallest active bond, and that
		/// bond; of several with the same bond, the first in the list (the
		/// earliest registered), so that who is displaced is deterministic.
		/// `None` for an empty list.
		fn smallest_verifier(verifiers: &[T::AccountId]) -> Option<(T::AccountId, BalanceOf<T>)> {
			let mut smallest: Option<(&T::AccountId, BalanceOf<T>)> = None;
			for who in verifiers {
				let bond = VerifierBonds::<T>::get(who).unwrap_or_default();
				let smaller = match &smallest {
					Some((_, least)) => bond < *least,
					None => true,
				};
				if smaller {
					smallest = Some((who, bond));
				}
			}
			smallest.map(|(who, bond)| (who.clone(), bond))
		}

		/// Puts `amount` of `who`'s balance on hold for `role`.
		fn hold(who: &T::AccountId, role: Role, amount: BalanceOf<T>) -> DispatchResult {
			let reason = Self::hold_reason(role);
			ensure!(T::Currency::can_hold(&reason, who, amount), Error::<T>::InsufficientBalance);
			T::Currency::hold(&reason, who, amount)
		}

		/// The block at which a chunk unbonded now is released.
		fn unlock_block() -> BlockNumberFor<T> {
			frame_system::Pallet::<T>::block_number()
				.saturating_add(Params::<T>::get().unbonding_period)
		}

		/// Adds an unbonding chunk of `amount` for `who` and `role`, merged with
		/// the latest chunk if it has the same release block. Returns the
		/// release block.
		fn add_chunk(
			who: &T::AccountId,
			role: Role,
			amount: BalanceOf<T>,
		) -> Result<BlockNumberFor<T>, DispatchError> {
			let unlock_at = Self::unlock_block();
			Unbonding::<T>::try_mutate(who, role, |chunks| -> DispatchResult {
				match chunks.last_mut() {
					Some(last) if last.unlock_at == unlock_at => {
						last.amount =
							last.amount.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
					},
					_ => chunks
						.try_push(UnbondingChunk { amount, unlock_at })
						.map_err(|_| Error::<T>::TooManyUnbondingChunks)?,
				}
				Ok(())
			})?;
			Ok(unlock_at)
		}

		/// Checks what the type of [`ProviderCapabilities`] cannot express.
		fn validate_capabilities(
			capabilities: &ProviderCapabilities<BalanceOf<T>>,
		) -> DispatchResult {
			ensure!(!capabilities.job_kinds.is_empty(), Error::<T>::NoJobKinds);
			ensure!(!capabilities.endpoint.is_empty(), Error::<T>::EmptyEndpoint);
			ensure!(!capabilities.price_per_unit.is_zero(), Error::<T>::ZeroPrice);
			ensure!(capabilities.memory_mib != 0, Error::<T>::ZeroMemory);
			ensure!(capabilities.receipt_key != [0u8; 32], Error::<T>::MissingReceiptKey);
			Ok(())
		}

		/// Checks the pallet's invariants: for every account with stake, each
		/// role's hold equals its active bond plus its unbonding chunks; locked
		/// collateral never exceeds the bond; no chunk is empty; [`Verifiers`]
		/// and [`VerifierBonds`] name the same accounts, once each.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let verifiers = Verifiers::<T>::get();
			let mut accounts: Vec<T::AccountId> = verifiers.to_vec();
			accounts.extend(Providers::<T>::iter_keys());
			accounts.extend(Unbonding::<T>::iter_keys().map(|(who, _)| who));
			for who in &accounts {
				for role in [Role::Provider, Role::Verifier] {
					let bonded = Self::active_bond(who, role).unwrap_or_default();
					ensure!(
						T::Currency::balance_on_hold(&Self::hold_reason(role), who)
							== bonded.saturating_add(Self::unbonding(who, role)),
						"a hold differs from its bond plus unbonding chunks"
					);
					ensure!(
						Unbonding::<T>::get(who, role).iter().all(|c| !c.amount.is_zero()),
						"an unbonding chunk is empty"
					);
				}
				if let Some(info) = Providers::<T>::get(who) {
					ensure!(info.locked <= info.bonded, "collateral locked beyond the bond");
				}
			}
			ensure!(
				VerifierBonds::<T>::iter_keys().count() == verifiers.len(),
				"Verifiers and VerifierBonds differ in length"
			);
			for (index, who) in verifiers.iter().enumerate() {
				ensure!(VerifierBonds::<T>::contains_key(who), "a listed verifier has no bond");
				ensure!(
					!verifiers.iter().skip(index.saturating_add(1)).any(|other| other == who),
					"a verifier is listed twice"
				);
			}
			Ok(())
		}

		/// Takes up to `amount` from `who`'s `role` hold to `destination` and
		/// returns what was taken. Only the currency moves here; the caller
		/// reduces its bookkeeping by the returned amount.
		fn slash_hold(
			who: &T::AccountId,
			role: Role,
			amount: BalanceOf<T>,
			destination: SlashDestination<T::AccountId>,
		) -> BalanceOf<T> {
			if amount.is_zero() {
				return Zero::zero();
			}
			let reason = Self::hold_reason(role);
			let burn = || {
				frame_support::storage::with_storage_layer(|| {
					T::Currency::burn_held(
						&reason,
						who,
						amount,
						Precision::BestEffort,
						Fortitude::Force,
					)
				})
				.unwrap_or_else(|_| Zero::zero())
			};
			let (slashed, to) = match destination {
				SlashDestination::Compensate(account) | SlashDestination::Reward(account) => {
					let moved = frame_support::storage::with_storage_layer(|| {
						T::Currency::transfer_on_hold(
							&reason,
							who,
							&account,
							amount,
							Precision::BestEffort,
							Restriction::Free,
							Fortitude::Force,
						)
					});
					match moved {
						Ok(moved) => (moved, SlashedTo::Account(account)),
						// The destination cannot receive it: burn rather than
						// let the fault go unpunished.
						Err(_) => (burn(), SlashedTo::Burned),
					}
				},
				SlashDestination::Burn => (burn(), SlashedTo::Burned),
			};
			if !slashed.is_zero() {
				Self::deposit_event(Event::StakeSlashed {
					who: who.clone(),
					role,
					amount: slashed,
					destination: to,
				});
			}
			slashed
		}
	}

	impl<T: Config> StakeInterface<T::AccountId, BalanceOf<T>> for Pallet<T> {
		fn provider_offer(
			who: &T::AccountId,
			kind: WorkloadKind,
		) -> Result<ProviderOffer<BalanceOf<T>>, DispatchError> {
			let info = Providers::<T>::get(who).ok_or(Error::<T>::NotProvider)?;
			ensure!(info.capabilities.job_kinds.contains(kind), Error::<T>::KindNotOffered);
			Ok(ProviderOffer {
				price_per_unit: info.capabilities.price_per_unit,
				free_stake: info.bonded.saturating_sub(info.locked),
			})
		}

		fn lock_collateral(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
			Providers::<T>::try_mutate(who, |info| -> DispatchResult {
				let info = info.as_mut().ok_or(Error::<T>::NotProvider)?;
				let free = info.bonded.saturating_sub(info.locked);
				ensure!(amount <= free, Error::<T>::InsufficientStake);
				info.locked = info.locked.saturating_add(amount);
				Ok(())
			})?;
			if !amount.is_zero() {
				Self::deposit_event(Event::CollateralLocked { who: who.clone(), amount });
			}
			Ok(())
		}

		fn release_collateral(who: &T::AccountId, amount: BalanceOf<T>) {
			let released = Providers::<T>::mutate(who, |info| match info {
				Some(info) => {
					let released = amount.min(info.locked);
					info.locked = info.locked.saturating_sub(released);
					released
				},
				None => Zero::zero(),
			});
			if !released.is_zero() {
				Self::deposit_event(Event::CollateralReleased {
					who: who.clone(),
					amount: released,
				});
			}
		}

		fn slash_collateral(
			who: &T::AccountId,
			amount: BalanceOf<T>,
			destination: SlashDestination<T::AccountId>,
		) -> BalanceOf<T> {
			let Some(mut info) = Providers::<T>::get(who) else { return Zero::zero() };
			let slashed =
				Self::slash_hold(who, Role::Provider, amount.min(info.locked), destination);
			info.locked = info.locked.saturating_sub(slashed);
			info.bonded = info.bonded.saturating_sub(slashed);
			Providers::<T>::insert(who, info);
			slashed
		}

		fn slash_verifier(
			who: &T::AccountId,
			amount: BalanceOf<T>,
			destination: SlashDestination<T::AccountId>,
		) -> BalanceOf<T> {
			let active = VerifierBonds::<T>::get(who).unwrap_or_default();
			let slashable = active.saturating_add(Self::unbonding(who, Role::Verifier));
			let slashed = Self::slash_hold(who, Role::Verifier, amount.min(slashable), destination);
			if slashed.is_zero() {
				return slashed;
			}
			// The active bond first, then the chunks that would leave last.
			let from_active = slashed.min(active);
			if VerifierBonds::<T>::contains_key(who) {
				VerifierBonds::<T>::insert(who, active.saturating_sub(from_active));
			}
			let mut rest = slashed.saturating_sub(from_active);
			if !rest.is_zero() {
				Unbonding::<T>::mutate_exists(who, Role::Verifier, |maybe_chunks| {
					let Some(chunks) = maybe_chunks else { return };
					for chunk in chunks.iter_mut().rev() {
						let take = rest.min(chunk.amount);
						chunk.amount = chunk.amount.saturating_sub(take);
						rest = rest.saturating_sub(take);
					}
					chunks.retain(|chunk| !chunk.amount.is_zero());
					if chunks.is_empty() {
						*maybe_chunks = None;
					}
				});
			}
			slashed
		}

		/// Every registered verifier with its active bond, in registration
		/// order. A verifier slashed below the minimum stays listed with its
		/// smaller bond (hence a smaller chance of being drawn) until it bonds
		/// more or deregisters; unbonding chunks do not count.
		fn verifiers() -> Vec<(T::AccountId, BalanceOf<T>)> {
			Verifiers::<T>::get()
				.into_iter()
				.map(|who| {
					let bond = VerifierBonds::<T>::get(&who).unwrap_or_default();
					(who, bond)
				})
				.collect()
		}

		fn has_verifier_besides(a: &T::AccountId, b: &T::AccountId) -> bool {
			Verifiers::<T>::get().iter().any(|who| who != a && who != b)
		}
	}
}
