//! A test runtime: `frame_system`, a real `pallet_balances` (u128 balances,
//! existential deposit 5) and this pallet with root as governance.

use crate as pallet_stake;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32},
};
use hypha_primitives::{Backend, JobKinds, ProviderCapabilities, Uri};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

/// Balance type of the test runtime.
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Stake: pallet_stake,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Existential deposit of the test runtime.
pub const EXISTENTIAL_DEPOSIT: Balance = 5;

/// Most verifiers in the test runtime.
pub const MAX_VERIFIERS: u32 = 4;
/// Most unbonding chunks in the test runtime.
pub const MAX_CHUNKS: u32 = 3;

parameter_types! {
	pub const MaxVerifiers: u32 = MAX_VERIFIERS;
	/// A verifier's liability in blocks, as the Jobs pallet would report it
	/// (settable per test).
	pub static UnbondingFloor: u64 = 0;
}

impl pallet_stake::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type UnbondingFloor = UnbondingFloor;
	type MaxVerifiers = MaxVerifiers;
	type MaxUnbondingChunks = ConstU32<MAX_CHUNKS>;
	type WeightInfo = ();
}

/// Minimum provider stake in the tests.
pub const MIN_PROVIDER: Balance = 100;
/// Minimum verifier stake in the tests.
pub const MIN_VERIFIER: Balance = 50;
/// Unbonding period in the tests: the shortest the pallet accepts.
pub const UNBONDING: u64 = pallet_stake::MIN_UNBONDING_BLOCKS as u64;
/// Starting balance of each endowed account.
pub const ENDOWMENT: Balance = 10_000;

/// Accounts 1 to 8 are endowed; account 99 ([`NOBODY`]) does not exist.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const CHARLIE: u64 = 3;
pub const NOBODY: u64 = 99;

/// The parameters every test starts with.
pub fn test_params() -> pallet_stake::StakeParamsOf<Test> {
	pallet_stake::StakeParams {
		min_provider_stake: MIN_PROVIDER,
		min_verifier_stake: MIN_VERIFIER,
		unbonding_period: UNBONDING,
	}
}

/// Well-formed capabilities offering every job kind.
pub fn capabilities() -> ProviderCapabilities<Balance> {
	ProviderCapabilities {
		backend: Backend::Vulkan,
		memory_mib: 8192,
		job_kinds: JobKinds::all(),
		price_per_unit: 3,
		endpoint: Uri::truncate_from(b"http://127.0.0.1:8000".to_vec()),
		receipt_key: [7; 32],
	}
}

/// Externalities with accounts 1..=8 endowed, the test parameters set at
/// genesis, at block 1 (so that events are recorded).
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().unwrap_or_default();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=8).map(|who| (who, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis builds");
	pallet_stake::GenesisConfig::<Test> { params: Some(test_params()) }
		.assimilate_storage(&mut storage)
		.expect("stake genesis builds");
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
