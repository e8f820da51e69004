//! A test runtime with the real neighbours of the jobs pallet: a real
//! `pallet_balances` (u128, existential deposit 1), the real `pallet_stake`
//! and `pallet_reputation`.

use crate as pallet_jobs;
use frame_support::{
	derive_impl, parameter_types,
	traits::{fungible::Inspect, ConstU32, Hooks},
};
use hypha_primitives::{Backend, JobKinds, JobSpec, ProviderCapabilities, Uri, WorkloadKind};
use sp_runtime::{BuildStorage, Permill};

type Block = frame_system::mocking::MockBlock<Test>;

/// Balance type of the test runtime.
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Stake: pallet_stake,
		Reputation: pallet_reputation,
		Jobs: pallet_jobs,
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
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	pub const MaxVerifiers: u32 = 16;
	pub const HalfLife: u64 = 1_000;
	pub const InitialScore: Permill = Permill::from_percent(50);
}

impl pallet_stake::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type UnbondingFloor = VerifierLiability;
	type MaxVerifiers = MaxVerifiers;
	type MaxUnbondingChunks = ConstU32<4>;
	type WeightInfo = ();
}

impl pallet_reputation::Config for Test {
	type HalfLife = HalfLife;
	type InitialScore = InitialScore;
}

/// The two pallets check each other as in the runtime: the Stake pallet's
/// unbonding period against the Jobs pallet's windows.
pub struct VerifierLiability;
impl frame_support::traits::Get<u64> for VerifierLiability {
	fn get() -> u64 {
		Jobs::verifier_liability(&crate::pallet::Params::<Test>::get())
	}
}

/// The Stake pallet's unbonding period, for the Jobs pallet's check.
pub struct UnbondingPeriod;
impl frame_support::traits::Get<u64> for UnbondingPeriod {
	fn get() -> u64 {
		pallet_stake::Params::<Test>::get().unbonding_period
	}
}

impl pallet_jobs::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Stake = Stake;
	type Reputation = Reputation;
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type UnbondingPeriod = UnbondingPeriod;
	type MaxAgendaPerBlock = ConstU32<8>;
	type MaxOverflow = ConstU32<16>;
	type BlockRandomness = MockVrf;
	/// One block, so that the tests' block numbers read simply: the draw of
	/// a result committed in block 1 happens in block 3.
	type DrawBlocks = ConstU32<1>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkSetup;
}

std::thread_local! {
	static VRF_SEED: core::cell::Cell<Option<u64>> = const { core::cell::Cell::new(None) };
}

/// Stands in for BABE: with a seed set ([`set_vrf_seed`]), block `n`'s VRF
/// output is `BLAKE2-256(seed, n)`, whatever the block's hash; without one,
/// blocks have none and the beacon folds in their hashes.
pub struct MockVrf;
impl pallet_jobs::BlockRandomness for MockVrf {
	fn parent_vrf_output() -> Option<[u8; 32]> {
		use codec::Encode;
		let parent = System::block_number().saturating_sub(1);
		VRF_SEED.get().map(|seed| sp_io::hashing::blake2_256(&(seed, parent).encode()))
	}
}

/// Gives every block from now on a VRF output derived from `seed`.
pub fn set_vrf_seed(seed: Option<u64>) {
	VRF_SEED.set(seed);
}

/// Sets up benchmark accounts in the test runtime.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkSetup;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u64, Balance> for BenchmarkSetup {
	fn setup_provider(who: &u64) {
		Self::fund(who, 1_000_000_000);
		Stake::register_provider(RuntimeOrigin::signed(*who), capabilities(1), 100_000_000)
			.expect("provider registers");
	}
	fn setup_verifier(who: &u64) {
		Self::fund(who, 1_000_000);
		Stake::register_verifier(RuntimeOrigin::signed(*who), 100_000).expect("verifier registers");
	}
	fn max_verifiers() -> u32 {
		<Test as pallet_stake::Config>::MaxVerifiers::get()
	}
	fn fund(who: &u64, amount: Balance) {
		use frame_support::traits::fungible::Mutate;
		Balances::set_balance(who, amount);
	}
}

/// Starting balance of each endowed account.
pub const ENDOWMENT: Balance = 1_000_000;
/// Stake every provider bonds.
pub const PROVIDER_BOND: Balance = 100_000;
/// Stake every verifier bonds.
pub const VERIFIER_BOND: Balance = 10_000;

/// The client.
pub const CLIENT: u64 = 1;
/// Two providers.
pub const PROVIDER: u64 = 2;
pub const OTHER_PROVIDER: u64 = 3;
/// Five verifiers.
pub const VERIFIERS: [u64; 5] = [10, 11, 12, 13, 14];
/// An account with no funds and no roles.
pub const NOBODY: u64 = 99;

/// Provider capabilities at `price` per compute unit, for every job kind.
pub fn capabilities(price: Balance) -> ProviderCapabilities<Balance> {
	ProviderCapabilities {
		backend: Backend::Cpu,
		memory_mib: 4096,
		job_kinds: JobKinds::all(),
		price_per_unit: price,
		endpoint: Uri::truncate_from(b"http://127.0.0.1:8000".to_vec()),
		receipt_key: [3; 32],
	}
}

/// A well-formed inference job of 10 compute units.
pub fn spec() -> JobSpec {
	JobSpec {
		kind: WorkloadKind::Inference,
		program_digest: [1; 32],
		program_uri: Uri::truncate_from(b"http://127.0.0.1:8000/blob/01".to_vec()),
		input_digest: [2; 32],
		input_uri: Uri::truncate_from(b"http://127.0.0.1:8000/blob/02".to_vec()),
		compute_units: 10,
		max_output_bytes: 1_024,
		output_key: None,
		model: None,
	}
}

/// The parameters the tests start with: verifier fee 5, slashes of 100,
/// challenge window 5, audit window 10, open timeout 50, two dispute verifiers.
pub fn test_params() -> pallet_jobs::ParamsOf<Test> {
	pallet_jobs::JobParams {
		safety_permille: 1_000,
		p_min_ppm: 1,
		collateral_percent: 200,
		open_timeout: 50,
		min_result_window: 2,
		max_result_window: 100,
		challenge_window: 5,
		audit_window: 10,
		verifier_fee: 5,
		dispute_verifiers: 2,
		min_provider_score_ppm: 100_000,
		deadline_slash_percent: 10,
		verifier_slash: 100,
		no_show_slash: 50,
		max_missed_deadlines: 1,
		job_deposit: 0,
	}
}

/// Externalities at block 1 with: every account endowed, PROVIDER and
/// OTHER_PROVIDER registered at price 10 per unit, the first of
/// [`VERIFIERS`] registered (a job can be claimed only while some verifier
/// could audit it; see [`register_verifiers`] for more), the test
/// parameters set.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().unwrap_or_default();
	let accounts = [CLIENT, PROVIDER, OTHER_PROVIDER]
		.into_iter()
		.chain(VERIFIERS)
		.map(|who| (who, ENDOWMENT))
		.collect();
	pallet_balances::GenesisConfig::<Test> { balances: accounts, ..Default::default() }
		.assimilate_storage(&mut storage)
		.expect("balances genesis builds");
	pallet_stake::GenesisConfig::<Test> {
		params: Some(pallet_stake::StakeParams {
			min_provider_stake: 1_000,
			min_verifier_stake: 1_000,
			// Longer than a verifier's liability at `test_params` (351 blocks).
			unbonding_period: 400,
		}),
	}
	.assimilate_storage(&mut storage)
	.expect("stake genesis builds");
	pallet_jobs::GenesisConfig::<Test> { params: Some(test_params()) }
		.assimilate_storage(&mut storage)
		.expect("jobs genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		for provider in [PROVIDER, OTHER_PROVIDER] {
			Stake::register_provider(
				RuntimeOrigin::signed(provider),
				capabilities(10),
				PROVIDER_BOND,
			)
			.expect("provider registers");
		}
		// Jobs can be claimed only while a verifier could audit them.
		Stake::register_verifier(RuntimeOrigin::signed(VERIFIERS[0]), VERIFIER_BOND)
			.expect("verifier registers");
	});
	ext
}

/// Registers the first `count` of [`VERIFIERS`] (the first is registered
/// by [`new_test_ext`] already).
pub fn register_verifiers(count: usize) {
	for verifier in &VERIFIERS[1..count.max(1)] {
		Stake::register_verifier(RuntimeOrigin::signed(*verifier), VERIFIER_BOND)
			.expect("verifier registers");
	}
}

/// Runs blocks up to `n`, with `on_initialize` of the jobs pallet at each.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		// A distinct parent hash per block, as a real chain has: the sampling
		// randomness comes from block hashes.
		System::set_block_number(next);
		frame_system::BlockHash::<Test>::insert(
			next - 1,
			sp_core::H256::from_low_u64_be(next.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
		);
		Jobs::on_initialize(next);
	}
}

/// Total issuance of the token.
pub fn issuance() -> Balance {
	<Balances as Inspect<u64>>::total_issuance()
}
