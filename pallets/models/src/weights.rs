
//! Weights of `pallet_models`, measured by `make weights`: the benchmarks in the
//! pallet's `benchmarking.rs`, run by `hypha-node benchmark pallet` (benchmark
//! CLI 64.0.0) on the runtime's wasm. Do not edit by hand.
//!
//! Date: 2026-12-07; steps: 20; repeat: 5;
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
//!   pallet_models
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
//!   pallets/models/src/weights.rs

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens, unused_imports, missing_docs, dead_code)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::ParityDbWeight, Weight}};

/// Weight functions of `pallet_models`.
pub trait WeightInfo {
	fn register() -> Weight;
	fn push_version() -> Weight;
	fn record_evaluation() -> Weight;
	fn transfer() -> Weight;
	fn deprecate() -> Weight;
}

/// Weights of `pallet_models` with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(382), added: 2857, mode: `MaxEncodedLen`)
	/// Storage: `Models::Versions` (r:1 w:1)
	/// Proof: `Models::Versions` (`max_values`: None, `max_size`: Some(716), added: 3191, mode: `MaxEncodedLen`)
	/// Storage: `Models::VersionOfDigest` (r:1 w:1)
	/// Proof: `Models::VersionOfDigest` (`max_values`: None, `max_size`: Some(147), added: 2622, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn register() -> Weight {
		// Proof size: measured `107`, estimated `4181` bytes.
		// Fastest run: 371_230_000 ps.
		Weight::from_parts(438_690_000, 4181)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(382), added: 2857, mode: `MaxEncodedLen`)
	/// Storage: `Models::Versions` (r:2 w:1)
	/// Proof: `Models::Versions` (`max_values`: None, `max_size`: Some(716), added: 3191, mode: `MaxEncodedLen`)
	/// Storage: `Models::VersionOfDigest` (r:1 w:1)
	/// Proof: `Models::VersionOfDigest` (`max_values`: None, `max_size`: Some(147), added: 2622, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Jobs` (r:1 w:0)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn push_version() -> Weight {
		// Proof size: measured `2273`, estimated `7372` bytes.
		// Fastest run: 425_401_000 ps.
		Weight::from_parts(578_569_000, 7372)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `Models::Versions` (r:1 w:0)
	/// Proof: `Models::Versions` (`max_values`: None, `max_size`: Some(716), added: 3191, mode: `MaxEncodedLen`)
	/// Storage: `Models::Evaluations` (r:1 w:1)
	/// Proof: `Models::Evaluations` (`max_values`: None, `max_size`: Some(402), added: 2877, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Jobs` (r:1 w:0)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn record_evaluation() -> Weight {
		// Proof size: measured `1803`, estimated `5166` bytes.
		// Fastest run: 397_380_000 ps.
		Weight::from_parts(442_656_000, 5166)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Models::Models` (r:1 w:1)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(382), added: 2857, mode: `MaxEncodedLen`)
	fn transfer() -> Weight {
		// Proof size: measured `482`, estimated `3847` bytes.
		// Fastest run: 70_916_000 ps.
		Weight::from_parts(73_800_000, 3847)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Models::Models` (r:1 w:0)
	/// Proof: `Models::Models` (`max_values`: None, `max_size`: Some(382), added: 2857, mode: `MaxEncodedLen`)
	/// Storage: `Models::Versions` (r:1 w:1)
	/// Proof: `Models::Versions` (`max_values`: None, `max_size`: Some(716), added: 3191, mode: `MaxEncodedLen`)
	fn deprecate() -> Weight {
		// Proof size: measured `950`, estimated `4181` bytes.
		// Fastest run: 89_352_000 ps.
		Weight::from_parts(92_357_000, 4181)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

/// The same weights with ParityDB's database weights, for tests and mocks.
impl WeightInfo for () {
	fn register() -> Weight {
		Weight::from_parts(438_690_000, 4181)
			.saturating_add(ParityDbWeight::get().reads(5_u64))
			.saturating_add(ParityDbWeight::get().writes(5_u64))
	}
	fn push_version() -> Weight {
		Weight::from_parts(578_569_000, 7372)
			.saturating_add(ParityDbWeight::get().reads(7_u64))
			.saturating_add(ParityDbWeight::get().writes(5_u64))
	}
	fn record_evaluation() -> Weight {
		Weight::from_parts(442_656_000, 5166)
			.saturating_add(ParityDbWeight::get().reads(5_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn transfer() -> Weight {
		Weight::from_parts(73_800_000, 3847)
			.saturating_add(ParityDbWeight::get().reads(1_u64))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
	fn deprecate() -> Weight {
		Weight::from_parts(92_357_000, 4181)
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
}
