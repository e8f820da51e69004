// This file is part of Hypha.

//! Weights for `pallet_stake`.
//!
//! PLACEHOLDER WEIGHTS: these numbers were NOT produced by a benchmark run.
//! They are conservative hand estimates written in the format that
//! `frame-benchmarking-cli` generates, so that the runtime can use the pallet
//! before the first real run. `make weights` (which runs
//! `hypha-node benchmark pallet --pallet pallet_stake --extrinsic '*'` with
//! `--template`) regenerates this file from `benchmarking.rs`; until then, the
//! ref times below are guesses of about 2-4x what such calls usually measure,
//! the proof sizes are upper bounds from the `MaxEncodedLen` of the items
//! touched, and the storage read/write counts follow the code path of the
//! worst case each benchmark sets up (`MaxVerifiers` registered,
//! `MaxUnbondingChunks` pending).
//!
//! DATE: none (not generated)
//! HOSTNAME: none, CPU: none
//! WASM-EXECUTION: none, CHAIN: none, DB CACHE: none

// Executed Command:
// (none yet: placeholder; see the header)

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_stake`.
pub trait WeightInfo {
	fn register_provider() -> Weight;
	fn register_verifier() -> Weight;
	fn bond_extra() -> Weight;
	fn unbond() -> Weight;
	fn withdraw_unbonded() -> Weight;
	fn update_provider() -> Weight;
	fn deregister() -> Weight;
	fn set_params() -> Weight;
}

/// Weights for `pallet_stake` using the Substrate node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Storage: `Balances::Holds` (r:1 w:1)
	fn register_provider() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 60 µs)
		Weight::from_parts(60_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Stake::VerifierBonds` (r:1 w:1)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Storage: `Stake::Verifiers` (r:1 w:1)
	/// Storage: `Balances::Holds` (r:1 w:1)
	fn register_verifier() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `8000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 80 µs)
		Weight::from_parts(80_000_000, 8000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Storage: `Balances::Holds` (r:1 w:1)
	fn bond_extra() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 50 µs)
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	fn unbond() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 50 µs)
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Storage: `System::Account` (r:1 w:1)
	fn withdraw_unbonded() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 60 µs)
		Weight::from_parts(60_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Stake::Providers` (r:1 w:1)
	fn update_provider() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 30 µs)
		Weight::from_parts(30_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Stake::VerifierBonds` (r:1 w:1)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	/// Storage: `Stake::Verifiers` (r:1 w:1)
	fn deregister() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `8000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 80 µs)
		Weight::from_parts(80_000_000, 8000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Stake::Params` (r:0 w:1)
	fn set_params() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `0` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 15 µs)
		Weight::from_parts(15_000_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Storage: `Balances::Holds` (r:1 w:1)
	fn register_provider() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 60 µs)
		Weight::from_parts(60_000_000, 4000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Stake::VerifierBonds` (r:1 w:1)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Storage: `Stake::Verifiers` (r:1 w:1)
	/// Storage: `Balances::Holds` (r:1 w:1)
	fn register_verifier() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `8000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 80 µs)
		Weight::from_parts(80_000_000, 8000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Storage: `Balances::Holds` (r:1 w:1)
	fn bond_extra() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 50 µs)
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	fn unbond() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 50 µs)
		Weight::from_parts(50_000_000, 4000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Storage: `System::Account` (r:1 w:1)
	fn withdraw_unbonded() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 60 µs)
		Weight::from_parts(60_000_000, 4000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	/// Storage: `Stake::Providers` (r:1 w:1)
	fn update_provider() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `4000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 30 µs)
		Weight::from_parts(30_000_000, 4000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	/// Storage: `Stake::VerifierBonds` (r:1 w:1)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	/// Storage: `Stake::Verifiers` (r:1 w:1)
	fn deregister() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `8000` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 80 µs)
		Weight::from_parts(80_000_000, 8000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	/// Storage: `Stake::Params` (r:0 w:1)
	fn set_params() -> Weight {
		// Proof Size summary in bytes:
		//  Measured:  `0` (placeholder)
		//  Estimated: `0` (placeholder)
		// Minimum execution time: none measured (placeholder estimate 15 µs)
		Weight::from_parts(15_000_000, 0)
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
