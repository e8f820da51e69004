//! Weights of `pallet-jobs`.
//!
//! PLACEHOLDER VALUES: written by hand from the storage accesses of each call
//! (reads and writes counted from the code, 25 µs of execution per call
//! assumed), not yet measured. `make weights` regenerates this file from the
//! benchmarks in `benchmarking.rs` through `hypha-node benchmark pallet`.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet-jobs`.
pub trait WeightInfo {
	fn submit_job() -> Weight;
	fn cancel_job() -> Weight;
	fn claim_job() -> Weight;
	fn submit_result() -> Weight;
	fn submit_verdict() -> Weight;
	fn set_params() -> Weight;
	fn on_initialize(steps: u32) -> Weight;
}

/// Weights for `pallet-jobs` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn submit_job() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(5))
	}
	fn cancel_job() -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	fn claim_job() -> Weight {
		Weight::from_parts(50_000_000, 8_000)
			.saturating_add(T::DbWeight::get().reads(7))
			.saturating_add(T::DbWeight::get().writes(4))
	}
	fn submit_result() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	fn submit_verdict() -> Weight {
		// Worst case: the last verdict of a full dispute panel, which slashes
		// and pays every verifier and settles.
		Weight::from_parts(200_000_000, 20_000)
			.saturating_add(T::DbWeight::get().reads(30))
			.saturating_add(T::DbWeight::get().writes(30))
	}
	fn set_params() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
	}
	fn on_initialize(steps: u32) -> Weight {
		Weight::from_parts(5_000_000, 2_000)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
			.saturating_add(
				Weight::from_parts(200_000_000, 20_000)
					.saturating_add(T::DbWeight::get().reads(30))
					.saturating_add(T::DbWeight::get().writes(30))
					.saturating_mul(steps.into()),
			)
	}
}

/// The same, with the RocksDB database weights (tests and benchmarks).
impl WeightInfo for () {
	fn submit_job() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().writes(5))
	}
	fn cancel_job() -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(3))
	}
	fn claim_job() -> Weight {
		Weight::from_parts(50_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads(7))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn submit_result() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().writes(2))
	}
	fn submit_verdict() -> Weight {
		Weight::from_parts(200_000_000, 20_000)
			.saturating_add(RocksDbWeight::get().reads(30))
			.saturating_add(RocksDbWeight::get().writes(30))
	}
	fn set_params() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(RocksDbWeight::get().writes(1))
	}
	fn on_initialize(steps: u32) -> Weight {
		Weight::from_parts(5_000_000, 2_000)
			.saturating_add(RocksDbWeight::get().reads(1))
			.saturating_add(RocksDbWeight::get().writes(1))
			.saturating_add(
				Weight::from_parts(200_000_000, 20_000)
					.saturating_add(RocksDbWeight::get().reads(30))
					.saturating_add(RocksDbWeight::get().writes(30))
					.saturating_mul(steps.into()),
			)
	}
}
