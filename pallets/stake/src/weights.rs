
//! Weights of `pallet_stake`, measured by `make weights`: the benchmarks in the
//! pallet's `benchmarking.rs`, run by `hypha-node benchmark pallet` (benchmark
//! CLI 64.0.0) on the runtime's wasm. Do not edit by hand.
//!
//! Date: 2026-12-06; steps: 20; repeat: 5;
//! machine: `vm`, CPU `AMD EPYC`; wasm execution: Compiled.
//! Measured on a small 2-core development machine, not reference hardware:
//! the execution times are an upper bound for faster validators.
//!
//! Command:
//!   /root/.cache/hypha-target/debug/hypha-node
//!   benchmark
//!   pallet
//!   --chain
//!   dev
//!   --pallet
//!   pallet_stake
//!   --extrinsic
//!   *
//!   --steps
//!   20
//!   --repeat
//!   5
//!   --wasm-execution
//!   compiled
//!   --heap-pages
//!   4096
//!   --template
//!   scripts/weight-template.hbs
//!   --output
//!   pallets/stake/src/weights.rs

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens, unused_imports, missing_docs, dead_code)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::ParityDbWeight, Weight}};

/// Weight functions of `pallet_stake`.
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

/// Weights of `pallet_stake` with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Proof: `Stake::Params` (`max_values`: Some(1), `max_size`: Some(36), added: 531, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn register_provider() -> Weight {
		// Proof size: measured `167`, estimated `3857` bytes.
		// Fastest run: 316_710_000 ps.
		Weight::from_parts(347_075_000, 3857)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Stake::VerifierBonds` (r:65 w:2)
	/// Proof: `Stake::VerifierBonds` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Proof: `Stake::Params` (`max_values`: Some(1), `max_size`: Some(36), added: 531, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Verifiers` (r:1 w:1)
	/// Proof: `Stake::Verifiers` (`max_values`: Some(1), `max_size`: Some(2050), added: 2545, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	/// Proof: `Stake::Unbonding` (`max_values`: None, `max_size`: Some(218), added: 2693, mode: `MaxEncodedLen`)
	fn register_verifier() -> Weight {
		// Proof size: measured `7566`, estimated `166025` bytes.
		// Fastest run: 1_193_801_000 ps.
		Weight::from_parts(1_335_841_000, 166025)
			.saturating_add(T::DbWeight::get().reads(70_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn bond_extra() -> Weight {
		// Proof size: measured `615`, estimated `3857` bytes.
		// Fastest run: 314_086_000 ps.
		Weight::from_parts(337_019_000, 3857)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Proof: `Stake::Params` (`max_values`: Some(1), `max_size`: Some(36), added: 531, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	/// Proof: `Stake::Unbonding` (`max_values`: None, `max_size`: Some(218), added: 2693, mode: `MaxEncodedLen`)
	fn unbond() -> Weight {
		// Proof size: measured `706`, estimated `3857` bytes.
		// Fastest run: 109_883_000 ps.
		Weight::from_parts(116_833_000, 3857)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	/// Proof: `Stake::Unbonding` (`max_values`: None, `max_size`: Some(218), added: 2693, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn withdraw_unbonded() -> Weight {
		// Proof size: measured `474`, estimated `3683` bytes.
		// Fastest run: 252_604_000 ps.
		Weight::from_parts(265_363_000, 3683)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	fn update_provider() -> Weight {
		// Proof size: measured `459`, estimated `3857` bytes.
		// Fastest run: 62_333_000 ps.
		Weight::from_parts(65_207_000, 3857)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Stake::VerifierBonds` (r:1 w:1)
	/// Proof: `Stake::VerifierBonds` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Proof: `Stake::Params` (`max_values`: Some(1), `max_size`: Some(36), added: 531, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Unbonding` (r:1 w:1)
	/// Proof: `Stake::Unbonding` (`max_values`: None, `max_size`: Some(218), added: 2693, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Verifiers` (r:1 w:1)
	/// Proof: `Stake::Verifiers` (`max_values`: Some(1), `max_size`: Some(2050), added: 2545, mode: `MaxEncodedLen`)
	fn deregister() -> Weight {
		// Proof size: measured `3020`, estimated `3683` bytes.
		// Fastest run: 115_401_000 ps.
		Weight::from_parts(121_410_000, 3683)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Jobs::Params` (r:1 w:0)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(112), added: 607, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Params` (r:0 w:1)
	/// Proof: `Stake::Params` (`max_values`: Some(1), `max_size`: Some(36), added: 531, mode: `MaxEncodedLen`)
	fn set_params() -> Weight {
		// Proof size: measured `219`, estimated `1597` bytes.
		// Fastest run: 48_662_000 ps.
		Weight::from_parts(52_227_000, 1597)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

/// The same weights with ParityDB's database weights, for tests and mocks.
impl WeightInfo for () {
	fn register_provider() -> Weight {
		Weight::from_parts(347_075_000, 3857)
			.saturating_add(ParityDbWeight::get().reads(4_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn register_verifier() -> Weight {
		Weight::from_parts(1_335_841_000, 166025)
			.saturating_add(ParityDbWeight::get().reads(70_u64))
			.saturating_add(ParityDbWeight::get().writes(6_u64))
	}
	fn bond_extra() -> Weight {
		Weight::from_parts(337_019_000, 3857)
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn unbond() -> Weight {
		Weight::from_parts(116_833_000, 3857)
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
	}
	fn withdraw_unbonded() -> Weight {
		Weight::from_parts(265_363_000, 3683)
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn update_provider() -> Weight {
		Weight::from_parts(65_207_000, 3857)
			.saturating_add(ParityDbWeight::get().reads(1_u64))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
	fn deregister() -> Weight {
		Weight::from_parts(121_410_000, 3683)
			.saturating_add(ParityDbWeight::get().reads(4_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn set_params() -> Weight {
		Weight::from_parts(52_227_000, 1597)
			.saturating_add(ParityDbWeight::get().reads(1_u64))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
}
