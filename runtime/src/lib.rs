//! # Hypha runtime
//!
//! The FRAME runtime of the Hypha chain.
//!
//! ## Overview
//!
//! Today it holds the base of a proof-of-authority chain: `System`, `Timestamp`,
//! `Babe` (block production), `Grandpa` (finality), `Balances` (the HYPHA token,
//! 12 decimals), `TransactionPayment` and `Sudo` (dev chains only; governance
//! replaces it). The marketplace pallets (`Jobs`, `Stake`, `Reputation`) and
//! the governance pallets are added by later work.
//!
//! ## Layout
//!
//! - `lib.rs`: types, version, pallet configuration and the `#[runtime]` declaration.
//! - `apis.rs`: the runtime APIs the node and the clients call.
//! - `genesis_config_presets.rs`: the `development` and `local_testnet` presets
//!   that `hypha-node build-spec` and the checked-in chain specs come from.
#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-style macros expand to large types.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

/// The pallets `hypha-node benchmark pallet` measures (`make weights`).
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benches {
	frame_benchmarking::define_benchmarks!(
		[pallet_stake, Stake]
		[pallet_jobs, Jobs]
		[pallet_models, Models]
	);
}

mod apis;
pub use apis::RuntimeApi;
pub mod genesis_config_presets;
pub mod governance;

use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, ConstU8, Get, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, One, Verify},
	FixedPointNumber, MultiAddress, MultiSignature, Perbill,
};
use sp_version::RuntimeVersion;

pub use hypha_primitives::{Balance, BlockNumber, Nonce, HYPHA, MILLISECS_PER_BLOCK};

/// A transaction signature: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;

/// An account id: the public key of the signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// Opaque types, so that the node does not depend on the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;

	impl_opaque_keys! {
		/// The keys a block-producing validator holds.
		pub struct SessionKeys {
			pub babe: Babe,
			pub grandpa: Grandpa,
		}
	}
}

/// The runtime's version. `spec_version` is bumped by every runtime upgrade.
#[cfg(not(feature = "upgrade-test"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("hypha"),
	impl_name: alloc::borrow::Cow::Borrowed("hypha-node"),
	authoring_version: 1,
	spec_version: 100,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// The same runtime as the next version (`spec_version` + 1), built only as
/// the code a runtime-upgrade referendum installs in the end-to-end tests
/// (`scripts/upgrade-wasm.sh`).
#[cfg(feature = "upgrade-test")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("hypha"),
	impl_name: alloc::borrow::Cow::Borrowed("hypha-node"),
	authoring_version: 1,
	spec_version: 101,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Slot duration of BABE: at most one block per slot.
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

/// Blocks per minute at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// Smallest balance an account may hold; below it the account is reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = hypha_primitives::MILLI_HYPHA;

const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// A third of the block time for computation: a one-second block leaves the
	/// rest for import and propagation.
	pub RuntimeBlockWeights: frame_system::limits::BlockWeights =
		frame_system::limits::BlockWeights::with_sensible_defaults(
			Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND / 3, u64::MAX),
			NORMAL_DISPATCH_RATIO,
		);
	pub RuntimeBlockLength: frame_system::limits::BlockLength =
		frame_system::limits::BlockLength::builder()
			.max_length(5 * 1024 * 1024)
			.modify_max_length_for_class(frame_support::dispatch::DispatchClass::Normal, |max| {
				*max = NORMAL_DISPATCH_RATIO * *max
			})
			.build();
	pub const SS58Prefix: u16 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores state in ParityDB.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

/// Slots per BABE epoch: ten minutes. An epoch's randomness is fixed from
/// the VRF outputs of the epoch two before it; it cannot change once the
/// chain runs.
pub const EPOCH_DURATION_IN_SLOTS: u64 = 10 * MINUTES as u64;

/// BABE's genesis configuration: `c = 1/4` (a slot has a primary author, one
/// whose VRF output fell below the threshold, with probability 1/4), and a
/// slot without one gets its secondary author, fixed by the epoch randomness,
/// who also signs a VRF output: every block carries one, and the jobs pallet
/// draws its audits from them.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: (1, 4),
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

parameter_types! {
	pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
	pub const ExpectedBlockTime: u64 = MILLISECS_PER_BLOCK;
}

impl pallet_babe::Config for Runtime {
	type EpochDuration = EpochDuration;
	type ExpectedBlockTime = ExpectedBlockTime;
	/// The authorities are fixed at genesis until validators by stake arrive
	/// (pallet-session's trigger then takes over).
	type EpochChangeTrigger = pallet_babe::SameAuthoritiesForever;
	type DisabledValidators = ();
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

/// The jobs pallet's randomness: the VRF output of the parent block, which
/// its author could not choose (BABE's `AuthorVrfRandomness` holds it until
/// this block's `on_finalize` replaces it).
pub struct ParentVrfOutput;
impl pallet_jobs::BlockRandomness for ParentVrfOutput {
	fn parent_vrf_output() -> Option<[u8; 32]> {
		pallet_babe::AuthorVrfRandomness::<Runtime>::get()
	}
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the unix epoch.
	type Moment = u64;
	type OnTimestampSet = Babe;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = frame_support::traits::ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	/// The share of a block's normal weight that fees aim to keep it at.
	/// Above it, the fee multiplier rises block by block; below, it falls.
	pub const TargetBlockFullness: sp_runtime::Perquintill = sp_runtime::Perquintill::from_percent(25);
	/// How fast the multiplier moves: a chain of full blocks doubles the
	/// fee in about 7 minutes of one-second blocks (Polkadot's variable,
	/// 3/100_000, scaled for blocks six times as frequent as its own).
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(3, 100_000);
	/// The fee never falls below the base fee.
	pub MinimumMultiplier: Multiplier = Multiplier::one();
	/// No ceiling: filling blocks for a long time costs ever more.
	pub MaximumMultiplier: Multiplier = sp_runtime::traits::Bounded::max_value();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	// A fee that rises with block fullness: filling the agenda (or any
	// block) for long grows ever more expensive (issue 11, attack 5).
	type FeeMultiplierUpdate = TargetedFeeAdjustment<
		Self,
		TargetBlockFullness,
		AdjustmentVariable,
		MinimumMultiplier,
		MaximumMultiplier,
	>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// How many verifiers may register: bounds the verifier set that every
	/// audit draws from.
	pub const MaxVerifiers: u32 = 64;
	/// Unbonding requests in flight per account.
	pub const MaxUnbondingChunks: u32 = 8;
	/// A reputation event loses half its weight after a week.
	pub const ReputationHalfLife: BlockNumber = 7 * DAYS;
	/// The score of an account with no record (neither trusted nor distrusted).
	pub const InitialReputation: sp_runtime::Permill = sp_runtime::Permill::from_percent(50);
	/// Automatic steps (expiry, audit, settlement) scheduled per block; a job
	/// that finds the block full is scheduled for the next one.
	pub const MaxAgendaPerBlock: u32 = 64;
	pub const MaxOverflow: u32 = 1_024;
}

/// Who may change the marketplace parameters: a passed referendum of the
/// `market_params` track, or root (a `root` track referendum; sudo on dev chains).
pub type MarketParamsOrigin = frame_support::traits::EitherOf<
	frame_system::EnsureRoot<AccountId>,
	pallet_governance::EnsureMarketParams,
>;

impl pallet_governance::Config for Runtime {}

/// A verifier's liability for a job at the Jobs pallet's current windows:
/// the Stake pallet's unbonding period must be longer.
pub struct VerifierLiability;
impl Get<BlockNumber> for VerifierLiability {
	fn get() -> BlockNumber {
		Jobs::verifier_liability(&pallet_jobs::Params::<Runtime>::get())
	}
}

/// The Stake pallet's unbonding period, which the Jobs pallet's windows
/// must keep below it.
pub struct UnbondingPeriod;
impl Get<BlockNumber> for UnbondingPeriod {
	fn get() -> BlockNumber {
		pallet_stake::Params::<Runtime>::get().unbonding_period
	}
}

impl pallet_stake::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type GovernanceOrigin = MarketParamsOrigin;
	type UnbondingFloor = VerifierLiability;
	type MaxVerifiers = MaxVerifiers;
	type MaxUnbondingChunks = MaxUnbondingChunks;
	type WeightInfo = pallet_stake::weights::SubstrateWeight<Runtime>;
}

impl pallet_reputation::Config for Runtime {
	type HalfLife = ReputationHalfLife;
	type InitialScore = InitialReputation;
}

/// Batches: a client submits many jobs in one transaction
/// (`Utility::batch_all` of `Jobs::submit_job` calls). Each inner call is
/// weighed and filtered as if sent alone; the batch adds the pallet's own
/// benchmarked overhead, and at most `batched_calls_limit` calls fit.
impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

impl pallet_jobs::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Stake = Stake;
	type Reputation = Reputation;
	type GovernanceOrigin = MarketParamsOrigin;
	type UnbondingPeriod = UnbondingPeriod;
	type MaxAgendaPerBlock = MaxAgendaPerBlock;
	type MaxOverflow = MaxOverflow;
	type BlockRandomness = ParentVrfOutput;
	type DrawBlocks = ConstU32<3>;
	type WeightInfo = pallet_jobs::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_setup::Setup;
}

parameter_types! {
	/// A model's deposit; with its first version's, about what the preimage
	/// pallet would ask for the bytes they store (1 HYPHA plus 1 mHYPHA a byte).
	pub const ModelDeposit: Balance = 5 * HYPHA;
	/// A version's deposit (up to about 450 bytes stored).
	pub const VersionDeposit: Balance = 2 * HYPHA;
	/// An evaluation's deposit (up to about 260 bytes stored).
	pub const EvaluationDeposit: Balance = HYPHA;
}

/// The model registry: versions whose training links are checked against
/// settled jobs; a `market_params` referendum (or root) deprecates.
impl pallet_models::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Jobs = Jobs;
	type GovernanceOrigin = MarketParamsOrigin;
	type ModelDeposit = ModelDeposit;
	type VersionDeposit = VersionDeposit;
	type EvaluationDeposit = EvaluationDeposit;
	type MaxVersions = ConstU32<1024>;
	type WeightInfo = pallet_models::weights::SubstrateWeight<Runtime>;
}

/// Benchmark accounts for `pallet-jobs`, set up through the real Stake pallet.
#[cfg(feature = "runtime-benchmarks")]
mod benchmark_setup {
	use super::*;
	use frame_support::traits::fungible::Mutate;
	use hypha_primitives::{Backend, JobKinds, ProviderCapabilities};

	pub struct Setup;
	impl pallet_jobs::benchmarking::BenchmarkHelper<AccountId, Balance> for Setup {
		fn setup_provider(who: &AccountId) {
			let bond = 1_000_000 * HYPHA;
			Self::fund(who, 2 * bond);
			let capabilities = ProviderCapabilities {
				backend: Backend::Cpu,
				memory_mib: 1024,
				job_kinds: JobKinds::all(),
				price_per_unit: 1,
				endpoint: hypha_primitives::Uri::truncate_from(b"http://127.0.0.1:1".to_vec()),
				receipt_key: [1; 32],
			};
			Stake::register_provider(RuntimeOrigin::signed(who.clone()), capabilities, bond)
				.expect("benchmark provider registers");
		}
		fn setup_verifier(who: &AccountId) {
			let bond = 1_000 * HYPHA;
			Self::fund(who, 2 * bond);
			Stake::register_verifier(RuntimeOrigin::signed(who.clone()), bond)
				.expect("benchmark verifier registers");
		}
		fn max_verifiers() -> u32 {
			<Runtime as pallet_stake::Config>::MaxVerifiers::get()
		}
		fn fund(who: &AccountId, amount: Balance) {
			Balances::set_balance(who, amount);
		}
	}
}

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Babe = pallet_babe;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(10)]
	pub type Stake = pallet_stake;

	#[runtime::pallet_index(11)]
	pub type Reputation = pallet_reputation;

	#[runtime::pallet_index(12)]
	pub type Jobs = pallet_jobs;

	#[runtime::pallet_index(13)]
	pub type Preimage = pallet_preimage;

	#[runtime::pallet_index(14)]
	pub type Scheduler = pallet_scheduler;

	#[runtime::pallet_index(15)]
	pub type ConvictionVoting = pallet_conviction_voting;

	#[runtime::pallet_index(16)]
	pub type Referenda = pallet_referenda;

	#[runtime::pallet_index(17)]
	pub type Governance = pallet_governance;

	#[runtime::pallet_index(18)]
	pub type Utility = pallet_utility;

	#[runtime::pallet_index(19)]
	pub type Models = pallet_models;
}

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions every signed transaction carries, in order.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations run at the next runtime upgrade, besides those of the pallets.
type Migrations = ();

/// Executive: dispatches blocks and extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;
