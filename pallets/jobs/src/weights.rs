
//! Weights of `pallet_jobs`, measured by `make weights`: the benchmarks in the
//! pallet's `benchmarking.rs`, run by `hypha-node benchmark pallet` (benchmark
//! CLI 64.0.0) on the runtime's wasm. Do not edit by hand.
//!
//! Date: 2026-11-22; steps: 50; repeat: 20;
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
//!   pallet_jobs
//!   --extrinsic
//!   *
//!   --steps
//!   50
//!   --repeat
//!   20
//!   --wasm-execution
//!   compiled
//!   --heap-pages
//!   4096
//!   --template
//!   scripts/weight-template.hbs
//!   --output
//!   pallets/jobs/src/weights.rs

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens, unused_imports, missing_docs, dead_code)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::ParityDbWeight, Weight}};

/// Weight functions of `pallet_jobs`.
pub trait WeightInfo {
	fn submit_job() -> Weight;
	fn cancel_job() -> Weight;
	fn claim_job() -> Weight;
	fn submit_result() -> Weight;
	fn submit_verdict() -> Weight;
	fn commit_verdict() -> Weight;
	fn set_params() -> Weight;
	fn on_initialize(n: u32, ) -> Weight;
	fn on_initialize_sample(n: u32, ) -> Weight;
}

/// Weights of `pallet_jobs` with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Jobs::Params` (r:1 w:0)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(96), added: 591, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::NextJobId` (r:1 w:1)
	/// Proof: `Jobs::NextJobId` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(103), added: 2578, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Jobs` (r:0 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1362), added: 3837, mode: `MaxEncodedLen`)
	fn submit_job() -> Weight {
		// Proof size: measured `339`, estimated `4055` bytes.
		// Fastest run: 235_992_000 ps.
		Weight::from_parts(255_611_000, 4055)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1362), added: 3837, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(103), added: 2578, mode: `MaxEncodedLen`)
	fn cancel_job() -> Weight {
		// Proof size: measured `1079`, estimated `4827` bytes.
		// Fastest run: 205_236_000 ps.
		Weight::from_parts(215_992_000, 4827)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1362), added: 3837, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Params` (r:1 w:0)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(96), added: 591, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(92), added: 2567, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	fn claim_job() -> Weight {
		// Proof size: measured `1168`, estimated `4827` bytes.
		// Fastest run: 109_544_000 ps.
		Weight::from_parts(118_337_000, 4827)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1362), added: 3837, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Params` (r:1 w:0)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(96), added: 591, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(92), added: 2567, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	fn submit_result() -> Weight {
		// Proof size: measured `1042`, estimated `4827` bytes.
		// Fastest run: 80_219_000 ps.
		Weight::from_parts(86_449_000, 4827)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1362), added: 3837, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Params` (r:1 w:0)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(96), added: 591, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:6 w:6)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(92), added: 2567, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:2 w:2)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(103), added: 2578, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:3 w:3)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn submit_verdict() -> Weight {
		// Proof size: measured `2627`, estimated `16392` bytes.
		// Fastest run: 713_074_000 ps.
		Weight::from_parts(768_907_000, 16392)
			.saturating_add(T::DbWeight::get().reads(14_u64))
			.saturating_add(T::DbWeight::get().writes(13_u64))
	}
	/// Not benchmarked yet: the `Escalate` path reads the verifier set and
	/// draws a full panel, at most what the last reveal of a full panel
	/// costs, so it is charged as `submit_verdict`.
	fn commit_verdict() -> Weight {
		Self::submit_verdict()
	}
	/// Storage: `Jobs::Params` (r:0 w:1)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(96), added: 591, mode: `MaxEncodedLen`)
	fn set_params() -> Weight {
		// Proof size: measured `0`, estimated `0` bytes.
		// Fastest run: 22_744_000 ps.
		Weight::from_parts(25_949_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Jobs` (r:64 w:64)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1362), added: 3837, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:64 w:64)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(103), added: 2578, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:128 w:128)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Params` (r:1 w:0)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(96), added: 591, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Providers` (r:64 w:64)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:64 w:64)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(92), added: 2567, mode: `MaxEncodedLen`)
	/// Component `n` ranges over `[0, 64]`.
	fn on_initialize(n: u32, ) -> Weight {
		// Proof size: measured `389`, estimated `4055` bytes.
		// Fastest run: 15_934_000 ps.
		Weight::from_parts(293_244_741, 4055)
			// Standard error: 1_400_139
			.saturating_add(Weight::from_parts(426_343_271, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().reads((6_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((6_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 5206).saturating_mul(n.into()))
	}
	/// Not benchmarked yet: charged as `on_initialize` until `make weights` runs.
	fn on_initialize_sample(n: u32, ) -> Weight {
		Self::on_initialize(n)
	}
}

/// The same weights with ParityDB's database weights, for tests and mocks.
impl WeightInfo for () {
	fn submit_job() -> Weight {
		Weight::from_parts(255_611_000, 4055)
			.saturating_add(ParityDbWeight::get().reads(5_u64))
			.saturating_add(ParityDbWeight::get().writes(5_u64))
	}
	fn cancel_job() -> Weight {
		Weight::from_parts(215_992_000, 4827)
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn claim_job() -> Weight {
		Weight::from_parts(118_337_000, 4827)
			.saturating_add(ParityDbWeight::get().reads(5_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn submit_result() -> Weight {
		Weight::from_parts(86_449_000, 4827)
			.saturating_add(ParityDbWeight::get().reads(4_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
	}
	fn submit_verdict() -> Weight {
		Weight::from_parts(768_907_000, 16392)
			.saturating_add(ParityDbWeight::get().reads(14_u64))
			.saturating_add(ParityDbWeight::get().writes(13_u64))
	}
	fn commit_verdict() -> Weight {
		Self::submit_verdict()
	}
	fn set_params() -> Weight {
		Weight::from_parts(25_949_000, 0)
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
	fn on_initialize(n: u32, ) -> Weight {
		Weight::from_parts(293_244_741, 4055)
			.saturating_add(Weight::from_parts(426_343_271, 0).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().reads((6_u64).saturating_mul(n.into())))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
			.saturating_add(ParityDbWeight::get().writes((6_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 5206).saturating_mul(n.into()))
	}
	/// Not benchmarked yet: charged as `on_initialize` until `make weights` runs.
	fn on_initialize_sample(n: u32, ) -> Weight {
		Self::on_initialize(n)
	}
}
