//! A test runtime: `frame_system` and this pallet, with a neutral score of
//! 50% and a half-life of 100 blocks.

use crate as pallet_reputation;
use frame_support::{derive_impl, parameter_types};
use sp_runtime::{BuildStorage, Permill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Reputation: pallet_reputation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// Half-life in the tests, in blocks.
pub const HALF_LIFE: u64 = 100;
parameter_types! {
	pub const InitialScore: Permill = Permill::from_percent(50);
	pub const HalfLife: u64 = HALF_LIFE;
}

impl pallet_reputation::Config for Test {
	type InitialScore = InitialScore;
	type HalfLife = HalfLife;
}

/// Externalities at block 1 (so that events are recorded).
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().unwrap_or_default();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Advances to block `n` (this pallet has no hooks to run).
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		System::set_block_number(System::block_number() + 1);
	}
}
