//! On-chain governance: token holders vote on referenda (Referenda with
//! ConvictionVoting; Scheduler enacts, Preimage stores the proposed calls).
//!
//! Two tracks:
//!
//! | track | dispatches as | decides | decision deposit |
//! | --- | --- | --- | --- |
//! | 0 `root` | root: anything, runtime upgrades included | one at a time | 1,000 HYPHA |
//! | 1 `market_params` | `Governance::MarketParams`: only `Jobs::set_params`, `Stake::set_params` and `Models::deprecate` accept it | up to 10 at once | 100 HYPHA |
//!
//! Approval (aye share of conviction-weighted votes) must stay above a line
//! falling from 100 % to 50 % over the decision period; support (aye votes
//! without conviction, as a share of total issuance) above a line falling
//! from 50 % to 10 % (`market_params`) or 20 % (`root`). Periods are per
//! chain (`pallet-governance`'s genesis): a few blocks on dev chains, hours and
//! days on the local testnet.

use alloc::borrow::Cow;
use frame_support::{
	parameter_types,
	traits::{fungible::HoldConsideration, ConstU32, EqualPrivilegeOnly, LinearStoragePrice},
	weights::Weight,
};
use frame_system::EnsureRoot;
use pallet_governance::TrackId;
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::{str_array, Perbill};

use crate::{
	AccountId, Balance, Balances, BlockNumber, Governance, OriginCaller, Preimage, Referenda,
	Runtime, RuntimeBlockWeights, RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin,
	Scheduler, System, DAYS, HYPHA,
};

parameter_types! {
	pub MaximumSchedulerWeight: Weight =
		Perbill::from_percent(80) * RuntimeBlockWeights::get().max_block;
	pub const PreimageBaseDeposit: Balance = HYPHA;
	pub const PreimageByteDeposit: Balance = HYPHA / 1_000;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
	pub const VoteLockingPeriod: BlockNumber = 7 * DAYS;
	pub const SubmissionDeposit: Balance = 10 * HYPHA;
	pub const UndecidingTimeout: BlockNumber = 14 * DAYS;
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type Polls = Referenda;
	type MaxTurnout = frame_support::traits::TotalIssuanceOf<Balances, AccountId>;
	type MaxVotes = ConstU32<512>;
	type VoteLockingPeriod = VoteLockingPeriod;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

impl pallet_referenda::Config for Runtime {
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type Scheduler = Scheduler;
	type Currency = Balances;
	type SubmitOrigin = frame_system::EnsureSigned<AccountId>;
	type CancelOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	/// Slashed deposits are burned.
	type Slash = ();
	type Votes = pallet_conviction_voting::VotesOf<Runtime>;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<20>;
	type UndecidingTimeout = UndecidingTimeout;
	type AlarmInterval = ConstU32<1>;
	type Tracks = Tracks;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

/// Hypha's two referendum tracks.
pub struct Tracks;

fn track(id: TrackId) -> Track<u16, Balance, BlockNumber> {
	let timings = Governance::timings(id);
	let (name, max_deciding, decision_deposit, support_floor) = match id {
		TrackId::Root => (str_array("root"), 1, 1_000 * HYPHA, 20),
		TrackId::MarketParams => (str_array("market_params"), 10, 100 * HYPHA, 10),
	};
	Track {
		id: id as u16,
		info: TrackInfo {
			name,
			max_deciding,
			decision_deposit,
			prepare_period: timings.prepare_period,
			decision_period: timings.decision_period,
			confirm_period: timings.confirm_period,
			min_enactment_period: timings.min_enactment_period,
			min_approval: Curve::LinearDecreasing {
				length: Perbill::one(),
				floor: Perbill::from_percent(50),
				ceil: Perbill::one(),
			},
			min_support: Curve::LinearDecreasing {
				length: Perbill::one(),
				floor: Perbill::from_percent(support_floor),
				ceil: Perbill::from_percent(50),
			},
		},
	}
}

impl pallet_referenda::TracksInfo<Balance, BlockNumber> for Tracks {
	type Id = u16;
	type RuntimeOrigin = OriginCaller;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
		[TrackId::Root, TrackId::MarketParams].into_iter().map(|id| Cow::Owned(track(id)))
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		match origin {
			OriginCaller::system(frame_system::RawOrigin::Root) => Ok(TrackId::Root as u16),
			OriginCaller::Governance(pallet_governance::Origin::MarketParams) => {
				Ok(TrackId::MarketParams as u16)
			},
			_ => Err(()),
		}
	}
}
