
//! Weights of `pallet_jobs`, measured by `make weights`: the benchmarks in the
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
//!   pallet_jobs
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
	fn report_undelivered() -> Weight;
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
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(112), added: 607, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::NextJobId` (r:1 w:1)
	/// Proof: `Jobs::NextJobId` (`max_values`: Some(1), `max_size`: Some(8), added: 503, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Jobs` (r:0 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	fn submit_job() -> Weight {
		// Proof size: measured `393`, estimated `4055` bytes.
		// Fastest run: 291_422_000 ps.
		Weight::from_parts(297_131_000, 4055)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	fn cancel_job() -> Weight {
		// Proof size: measured `1259`, estimated `5166` bytes.
		// Fastest run: 425_902_000 ps.
		Weight::from_parts(438_340_000, 5166)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Params` (r:1 w:0)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(112), added: 607, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(92), added: 2567, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Verifiers` (r:1 w:0)
	/// Proof: `Stake::Verifiers` (`max_values`: Some(1), `max_size`: Some(2050), added: 2545, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	fn claim_job() -> Weight {
		// Proof size: measured `1452`, estimated `5166` bytes.
		// Fastest run: 173_367_000 ps.
		Weight::from_parts(181_579_000, 5166)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Params` (r:1 w:0)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(112), added: 607, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(92), added: 2567, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	fn submit_result() -> Weight {
		// Proof size: measured `1238`, estimated `5166` bytes.
		// Fastest run: 130_224_000 ps.
		Weight::from_parts(135_100_000, 5166)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	fn report_undelivered() -> Weight {
		// Proof size: measured `1451`, estimated `5166` bytes.
		// Fastest run: 117_284_000 ps.
		Weight::from_parts(121_821_000, 5166)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:6 w:6)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(92), added: 2567, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Providers` (r:1 w:1)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:2 w:2)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:3 w:3)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn submit_verdict() -> Weight {
		// Proof size: measured `2920`, estimated `16392` bytes.
		// Fastest run: 997_339_000 ps.
		Weight::from_parts(1_035_105_000, 16392)
			.saturating_add(T::DbWeight::get().reads(13_u64))
			.saturating_add(T::DbWeight::get().writes(13_u64))
	}
	/// Storage: `Jobs::Jobs` (r:1 w:1)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Verifiers` (r:1 w:0)
	/// Proof: `Stake::Verifiers` (`max_values`: Some(1), `max_size`: Some(2050), added: 2545, mode: `MaxEncodedLen`)
	/// Storage: `Stake::VerifierBonds` (r:64 w:0)
	/// Proof: `Stake::VerifierBonds` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	fn commit_verdict() -> Weight {
		// Proof size: measured `8209`, estimated `163486` bytes.
		// Fastest run: 939_634_000 ps.
		Weight::from_parts(1_000_674_000, 163486)
			.saturating_add(T::DbWeight::get().reads(67_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Stake::Params` (r:1 w:0)
	/// Proof: `Stake::Params` (`max_values`: Some(1), `max_size`: Some(36), added: 531, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Params` (r:0 w:1)
	/// Proof: `Jobs::Params` (`max_values`: Some(1), `max_size`: Some(112), added: 607, mode: `MaxEncodedLen`)
	fn set_params() -> Weight {
		// Proof size: measured `66`, estimated `1521` bytes.
		// Fastest run: 48_512_000 ps.
		Weight::from_parts(50_525_000, 1521)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Babe::AuthorVrfRandomness` (r:1 w:0)
	/// Proof: `Babe::AuthorVrfRandomness` (`max_values`: Some(1), `max_size`: Some(33), added: 528, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Beacon` (r:1 w:1)
	/// Proof: `Jobs::Beacon` (`max_values`: Some(1), `max_size`: Some(32), added: 527, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:1 w:1)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Jobs` (r:80 w:80)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `Stake::VerifierBonds` (r:1 w:1)
	/// Proof: `Stake::VerifierBonds` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Unbonding` (r:1 w:0)
	/// Proof: `Stake::Unbonding` (`max_values`: None, `max_size`: Some(218), added: 2693, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:162 w:162)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:161 w:161)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(139), added: 2614, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:85 w:85)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(92), added: 2567, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Providers` (r:80 w:80)
	/// Proof: `Stake::Providers` (`max_values`: None, `max_size`: Some(392), added: 2867, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Overflow` (r:1 w:1)
	/// Proof: `Jobs::Overflow` (`max_values`: Some(1), `max_size`: Some(13314), added: 13809, mode: `MaxEncodedLen`)
	/// Component `n` ranges over `[0, 80]`.
	fn on_initialize(n: u32, ) -> Weight {
		// Proof size: measured `1411`, estimated `14799` bytes.
		// Fastest run: 64_586_000 ps.
		Weight::from_parts(373_923_608, 14799)
			// Standard error: 2_400_878
			.saturating_add(Weight::from_parts(1_071_135_405, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(13_u64))
			.saturating_add(T::DbWeight::get().reads((7_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(9_u64))
			.saturating_add(T::DbWeight::get().writes((7_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 5228).saturating_mul(n.into()))
	}
	/// Storage: `Babe::AuthorVrfRandomness` (r:1 w:0)
	/// Proof: `Babe::AuthorVrfRandomness` (`max_values`: Some(1), `max_size`: Some(33), added: 528, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Beacon` (r:1 w:1)
	/// Proof: `Jobs::Beacon` (`max_values`: Some(1), `max_size`: Some(32), added: 527, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Agenda` (r:3 w:3)
	/// Proof: `Jobs::Agenda` (`max_values`: None, `max_size`: Some(590), added: 3065, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Jobs` (r:80 w:80)
	/// Proof: `Jobs::Jobs` (`max_values`: None, `max_size`: Some(1701), added: 4176, mode: `MaxEncodedLen`)
	/// Storage: `Stake::Verifiers` (r:1 w:0)
	/// Proof: `Stake::Verifiers` (`max_values`: Some(1), `max_size`: Some(2050), added: 2545, mode: `MaxEncodedLen`)
	/// Storage: `Stake::VerifierBonds` (r:64 w:0)
	/// Proof: `Stake::VerifierBonds` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `Jobs::Overflow` (r:1 w:1)
	/// Proof: `Jobs::Overflow` (`max_values`: Some(1), `max_size`: Some(13314), added: 13809, mode: `MaxEncodedLen`)
	/// Component `n` ranges over `[0, 80]`.
	fn on_initialize_sample(n: u32, ) -> Weight {
		// Proof size: measured `7204`, estimated `163486` bytes.
		// Fastest run: 71_136_000 ps.
		Weight::from_parts(121_051_134, 163486)
			// Standard error: 2_053_023
			.saturating_add(Weight::from_parts(640_876_096, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(59_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 4176).saturating_mul(n.into()))
	}
}

/// The same weights with ParityDB's database weights, for tests and mocks.
impl WeightInfo for () {
	fn submit_job() -> Weight {
		Weight::from_parts(297_131_000, 4055)
			.saturating_add(ParityDbWeight::get().reads(5_u64))
			.saturating_add(ParityDbWeight::get().writes(5_u64))
	}
	fn cancel_job() -> Weight {
		Weight::from_parts(438_340_000, 5166)
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn claim_job() -> Weight {
		Weight::from_parts(181_579_000, 5166)
			.saturating_add(ParityDbWeight::get().reads(6_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn submit_result() -> Weight {
		Weight::from_parts(135_100_000, 5166)
			.saturating_add(ParityDbWeight::get().reads(4_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
	}
	fn report_undelivered() -> Weight {
		Weight::from_parts(121_821_000, 5166)
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
	}
	fn submit_verdict() -> Weight {
		Weight::from_parts(1_035_105_000, 16392)
			.saturating_add(ParityDbWeight::get().reads(13_u64))
			.saturating_add(ParityDbWeight::get().writes(13_u64))
	}
	fn commit_verdict() -> Weight {
		Weight::from_parts(1_000_674_000, 163486)
			.saturating_add(ParityDbWeight::get().reads(67_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
	}
	fn set_params() -> Weight {
		Weight::from_parts(50_525_000, 1521)
			.saturating_add(ParityDbWeight::get().reads(1_u64))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
	fn on_initialize(n: u32, ) -> Weight {
		Weight::from_parts(373_923_608, 14799)
			.saturating_add(Weight::from_parts(1_071_135_405, 0).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(13_u64))
			.saturating_add(ParityDbWeight::get().reads((7_u64).saturating_mul(n.into())))
			.saturating_add(ParityDbWeight::get().writes(9_u64))
			.saturating_add(ParityDbWeight::get().writes((7_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 5228).saturating_mul(n.into()))
	}
	fn on_initialize_sample(n: u32, ) -> Weight {
		Weight::from_parts(121_051_134, 163486)
			.saturating_add(Weight::from_parts(640_876_096, 0).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(59_u64))
			.saturating_add(ParityDbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
			.saturating_add(ParityDbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 4176).saturating_mul(n.into()))
	}
}
