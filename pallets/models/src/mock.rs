//! A test runtime: `frame_system`, a real `pallet_balances` (u128 balances,
//! existential deposit 5) and this pallet, with root as governance and a
//! table of settled jobs standing in for the jobs pallet (its
//! `JobResults` is tested with the jobs pallet itself).

use crate as pallet_models;
use core::cell::RefCell;
use std::collections::BTreeMap;

use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32},
};
use hypha_primitives::{digest_commitment, Digest, JobId, JobSpec, Uri, WorkloadKind};
use pallet_jobs::{JobResults, PaidResult};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

/// Balance type of the test runtime.
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Models: pallet_models,
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
	type ExistentialDeposit = ConstU128<5>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Held per model.
pub const MODEL_DEPOSIT: Balance = 100;
/// Held per version.
pub const VERSION_DEPOSIT: Balance = 10;
/// Held per evaluation.
pub const EVALUATION_DEPOSIT: Balance = 30;
/// Most versions per model.
pub const MAX_VERSIONS: u32 = 4;

parameter_types! {
	pub const ModelDeposit: Balance = MODEL_DEPOSIT;
	pub const VersionDeposit: Balance = VERSION_DEPOSIT;
	pub const EvaluationDeposit: Balance = EVALUATION_DEPOSIT;
}

thread_local! {
	static SETTLED: RefCell<BTreeMap<JobId, PaidResult<u64>>> = const { RefCell::new(BTreeMap::new()) };
}

/// The settled jobs of a test.
pub struct SettledJobs;

impl JobResults<u64> for SettledJobs {
	fn paid_result(job: JobId) -> Option<PaidResult<u64>> {
		SETTLED.with(|jobs| jobs.borrow().get(&job).cloned())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn insert_paid_result(job: JobId, result: PaidResult<u64>) {
		SETTLED.with(|jobs| jobs.borrow_mut().insert(job, result));
	}
}

impl pallet_models::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Jobs = SettledJobs;
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type ModelDeposit = ModelDeposit;
	type VersionDeposit = VersionDeposit;
	type EvaluationDeposit = EvaluationDeposit;
	type MaxVersions = ConstU32<MAX_VERSIONS>;
	type WeightInfo = ();
}

pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const CHARLIE: u64 = 3;
/// The provider of every settled job.
pub const PROVIDER: u64 = 7;
/// An account with 8 tokens: less than any deposit.
pub const POOR: u64 = 8;
/// Starting balance of accounts 1 to 7.
pub const ENDOWMENT: Balance = 10_000;

/// A job spec of `kind` naming `model`, on the data set `input`.
pub fn spec(kind: WorkloadKind, model: Option<Digest>, program: Digest, input: Digest) -> JobSpec {
	JobSpec {
		kind,
		program_digest: program,
		program_uri: Uri::truncate_from(b"http://127.0.0.1:8000/blobs/p".to_vec()),
		input_digest: input,
		input_uri: Uri::truncate_from(b"http://127.0.0.1:8000/blobs/i".to_vec()),
		compute_units: 10,
		max_output_bytes: 1 << 20,
		output_key: None,
		model,
	}
}

/// Records `job` as settled for `client`, its provider paid for `output`.
pub fn settle(job: JobId, client: u64, spec: JobSpec, output: Digest) {
	let commitment = digest_commitment(job, &PROVIDER, &output);
	SETTLED.with(|jobs| {
		jobs.borrow_mut().insert(job, PaidResult { client, provider: PROVIDER, spec, commitment })
	});
}

/// Externalities with accounts 1..=7 endowed and [`POOR`] nearly broke, at
/// block 1 (so that events are recorded); no job settled.
pub fn new_test_ext() -> sp_io::TestExternalities {
	SETTLED.with(|jobs| jobs.borrow_mut().clear());
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().unwrap_or_default();
	let mut balances: Vec<(u64, Balance)> = (1..=7).map(|who| (who, ENDOWMENT)).collect();
	balances.push((POOR, 8));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.expect("balances genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
