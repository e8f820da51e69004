//! Benchmarks of every extrinsic, each in its worst case: the longest
//! endpoint, a full [`Verifiers`] list (`MaxVerifiers` before a registration,
//! which then scans every bond and displaces the first verifier, and before a
//! removal of the first), and `MaxUnbondingChunks` chunks (`- 1` before an
//! `unbond`, a `deregister` or a displacement, all due before a withdrawal).

use super::*;
use crate::pallet::{
	BalanceOf, Params, Providers, StakeParams, Unbonding, VerifierBonds, Verifiers,
};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, Get,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use hypha_primitives::{Backend, JobKinds, ProviderCapabilities, Uri, MAX_URI_BYTES};
use sp_runtime::traits::{Bounded, One, Saturating};

/// The largest capabilities: the longest endpoint.
fn capabilities<T: Config>() -> ProviderCapabilities<BalanceOf<T>> {
	ProviderCapabilities {
		backend: Backend::Vulkan,
		memory_mib: u32::MAX,
		job_kinds: JobKinds::all(),
		price_per_unit: 1_000u32.into(),
		endpoint: Uri::truncate_from(alloc::vec![b'h'; MAX_URI_BYTES as usize]),
		receipt_key: [1; 32],
	}
}

/// Small parameters, so that accounts can be funded in any runtime: a
/// minimum of a few existential deposits and the shortest unbonding period.
fn set_small_params<T: Config>() -> BalanceOf<T> {
	let minimum = T::Currency::minimum_balance().saturating_mul(10u32.into()).max(10u32.into());
	Params::<T>::put(StakeParams {
		min_provider_stake: minimum,
		min_verifier_stake: minimum,
		unbonding_period: MIN_UNBONDING_BLOCKS.into(),
	});
	minimum
}

/// A funded account: a hundred minimums plus the existential deposit.
fn funded<T: Config>(name: &'static str, index: u32, minimum: BalanceOf<T>) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let funds =
		minimum.saturating_mul(100u32.into()).saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, funds);
	who
}

/// A bond that leaves the minimum after `MaxUnbondingChunks` unbonds of one unit.
fn bond_with_room<T: Config>(minimum: BalanceOf<T>) -> BalanceOf<T> {
	minimum.saturating_add(T::MaxUnbondingChunks::get().into()).saturating_add(One::one())
}

/// Registers `count` verifiers other than the caller, each with `bond`.
fn fill_verifiers<T: Config>(
	count: u32,
	minimum: BalanceOf<T>,
	bond: BalanceOf<T>,
) -> Result<(), BenchmarkError> {
	for index in 0..count {
		let who = funded::<T>("verifier", index, minimum);
		Pallet::<T>::register_verifier(RawOrigin::Signed(who).into(), bond)?;
	}
	Ok(())
}

/// Gives `who` `count` unbonding chunks of `role`, one per block, ending at
/// the current block + 1.
fn fill_chunks<T: Config>(
	who: &T::AccountId,
	role: Role,
	count: u32,
) -> Result<(), BenchmarkError> {
	for _ in 0..count {
		let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(next);
		Pallet::<T>::unbond(RawOrigin::Signed(who.clone()).into(), role, One::one())?;
	}
	Ok(())
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_provider() -> Result<(), BenchmarkError> {
		let minimum = set_small_params::<T>();
		let caller = funded::<T>("caller", 0, minimum);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), capabilities::<T>(), minimum);

		assert!(Providers::<T>::contains_key(&caller));
		Ok(())
	}

	/// A full list: every bond is read to find the smallest, and the first
	/// verifier (the smallest, or tied with the others and earliest) is
	/// displaced, so the whole list shifts and its bond becomes its last
	/// unbonding chunk.
	#[benchmark]
	fn register_verifier() -> Result<(), BenchmarkError> {
		let minimum = set_small_params::<T>();
		let room = bond_with_room::<T>(minimum);
		let smallest = funded::<T>("smallest", 0, minimum);
		Pallet::<T>::register_verifier(RawOrigin::Signed(smallest.clone()).into(), room)?;
		fill_verifiers::<T>(T::MaxVerifiers::get().saturating_sub(1), minimum, room)?;
		fill_chunks::<T>(
			&smallest,
			Role::Verifier,
			T::MaxUnbondingChunks::get().saturating_sub(1),
		)?;
		let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(next);
		let caller = funded::<T>("caller", 0, minimum);
		let bond = room.saturating_add(One::one());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), bond);

		assert_eq!(VerifierBonds::<T>::get(&caller), Some(bond));
		assert!(!VerifierBonds::<T>::contains_key(&smallest));
		assert_eq!(
			Unbonding::<T>::get(&smallest, Role::Verifier).len() as u32,
			T::MaxUnbondingChunks::get()
		);
		Ok(())
	}

	#[benchmark]
	fn bond_extra() -> Result<(), BenchmarkError> {
		let minimum = set_small_params::<T>();
		let caller = funded::<T>("caller", 0, minimum);
		Pallet::<T>::register_provider(
			RawOrigin::Signed(caller.clone()).into(),
			capabilities::<T>(),
			minimum,
		)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), Role::Provider, minimum);

		assert_eq!(
			Providers::<T>::get(&caller).map(|p| p.bonded),
			Some(minimum.saturating_add(minimum))
		);
		Ok(())
	}

	#[benchmark]
	fn unbond() -> Result<(), BenchmarkError> {
		let minimum = set_small_params::<T>();
		let caller = funded::<T>("caller", 0, minimum);
		Pallet::<T>::register_provider(
			RawOrigin::Signed(caller.clone()).into(),
			capabilities::<T>(),
			bond_with_room::<T>(minimum),
		)?;
		fill_chunks::<T>(&caller, Role::Provider, T::MaxUnbondingChunks::get().saturating_sub(1))?;
		let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(next);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), Role::Provider, One::one());

		assert_eq!(
			Unbonding::<T>::get(&caller, Role::Provider).len() as u32,
			T::MaxUnbondingChunks::get()
		);
		Ok(())
	}

	#[benchmark]
	fn withdraw_unbonded() -> Result<(), BenchmarkError> {
		let minimum = set_small_params::<T>();
		let caller = funded::<T>("caller", 0, minimum);
		Pallet::<T>::register_provider(
			RawOrigin::Signed(caller.clone()).into(),
			capabilities::<T>(),
			bond_with_room::<T>(minimum),
		)?;
		fill_chunks::<T>(&caller, Role::Provider, T::MaxUnbondingChunks::get())?;
		frame_system::Pallet::<T>::set_block_number(BlockNumberFor::<T>::max_value());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), Role::Provider);

		assert!(Unbonding::<T>::get(&caller, Role::Provider).is_empty());
		Ok(())
	}

	#[benchmark]
	fn update_provider() -> Result<(), BenchmarkError> {
		let minimum = set_small_params::<T>();
		let caller = funded::<T>("caller", 0, minimum);
		Pallet::<T>::register_provider(
			RawOrigin::Signed(caller.clone()).into(),
			capabilities::<T>(),
			minimum,
		)?;
		let mut new = capabilities::<T>();
		new.price_per_unit = 2_000u32.into();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), new.clone());

		assert_eq!(Providers::<T>::get(&caller).map(|p| p.capabilities), Some(new));
		Ok(())
	}

	/// The verifier role is the heavier one: it rewrites [`Verifiers`].
	#[benchmark]
	fn deregister() -> Result<(), BenchmarkError> {
		let minimum = set_small_params::<T>();
		let caller = funded::<T>("caller", 0, minimum);
		// The caller first, so that the whole list is scanned and shifted.
		Pallet::<T>::register_verifier(
			RawOrigin::Signed(caller.clone()).into(),
			bond_with_room::<T>(minimum),
		)?;
		fill_verifiers::<T>(T::MaxVerifiers::get().saturating_sub(1), minimum, minimum)?;
		fill_chunks::<T>(&caller, Role::Verifier, T::MaxUnbondingChunks::get().saturating_sub(1))?;
		let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		frame_system::Pallet::<T>::set_block_number(next);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), Role::Verifier);

		assert!(!VerifierBonds::<T>::contains_key(&caller));
		assert!(!Verifiers::<T>::get().contains(&caller));
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let params = StakeParams {
			min_provider_stake: 1_000u32.into(),
			min_verifier_stake: 1_000u32.into(),
			// The shortest period the runtime's windows allow.
			unbonding_period: T::UnbondingFloor::get()
				.saturating_add(1u32.into())
				.max(MIN_UNBONDING_BLOCKS.into()),
		};

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params.clone());

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
