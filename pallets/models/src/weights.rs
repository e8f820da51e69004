
//! Weights of `pallet_models`. Until `make weights` measures them on this
//! machine (it rewrites this file), these are conservative estimates: the
//! storage each call reads and writes in its worst case, at the database
//! weights, plus 200 µs of execution (the measured calls of `pallet_stake`
//! that hold funds take 0.3 to 0.6 ms on the 2-core machine in wasm).

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
	fn register() -> Weight {
		Weight::from_parts(800_000_000, 8_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn push_version() -> Weight {
		Weight::from_parts(800_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn record_evaluation() -> Weight {
		Weight::from_parts(800_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn transfer() -> Weight {
		Weight::from_parts(300_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn deprecate() -> Weight {
		Weight::from_parts(300_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

/// For tests: the same estimates with the test runtime's database weights.
impl WeightInfo for () {
	fn register() -> Weight { Weight::from_parts(800_000_000, 8_000) }
	fn push_version() -> Weight { Weight::from_parts(800_000_000, 12_000) }
	fn record_evaluation() -> Weight { Weight::from_parts(800_000_000, 12_000) }
	fn transfer() -> Weight { Weight::from_parts(300_000_000, 4_000) }
	fn deprecate() -> Weight { Weight::from_parts(300_000_000, 6_000) }
}
