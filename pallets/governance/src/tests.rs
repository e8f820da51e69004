//! Origin checks and genesis timings.

use crate::{self as pallet_governance, EnsureMarketParams, TrackId, TrackTimings};
use frame_support::{derive_impl, traits::EnsureOrigin};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Governance: pallet_governance,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

impl pallet_governance::Config for Test {}

fn ext(genesis: pallet_governance::GenesisConfig<Test>) -> sp_io::TestExternalities {
	RuntimeGenesisConfig { system: Default::default(), governance: genesis }
		.build_storage()
		.expect("genesis builds")
		.into()
}

const SHORT: TrackTimings<u64> = TrackTimings {
	prepare_period: 1,
	decision_period: 10,
	confirm_period: 2,
	min_enactment_period: 1,
};

#[test]
fn only_the_market_params_origin_passes_ensure_market_params() {
	let origin: RuntimeOrigin = pallet_governance::Origin::MarketParams.into();
	assert!(EnsureMarketParams::try_origin(origin).is_ok());
	assert!(EnsureMarketParams::try_origin(RuntimeOrigin::root()).is_err());
	assert!(EnsureMarketParams::try_origin(RuntimeOrigin::signed(1)).is_err());
	assert!(EnsureMarketParams::try_origin(RuntimeOrigin::none()).is_err());
}

#[test]
fn unset_timings_are_the_realistic_ones_and_root_is_slower() {
	ext(Default::default()).execute_with(|| {
		let params = Governance::timings(TrackId::MarketParams);
		let root = Governance::timings(TrackId::Root);
		assert_eq!(params, TrackTimings::realistic(TrackId::MarketParams));
		assert_eq!(params.decision_period, 72 * 3_600);
		assert!(root.decision_period > params.decision_period);
		assert!(root.min_enactment_period > params.min_enactment_period);
	});
}

#[test]
fn genesis_sets_each_track_s_timings() {
	ext(pallet_governance::GenesisConfig { root: None, market_params: Some(SHORT) }).execute_with(
		|| {
			assert_eq!(Governance::timings(TrackId::MarketParams), SHORT);
			assert_eq!(Governance::timings(TrackId::Root), TrackTimings::realistic(TrackId::Root));
		},
	);
}
