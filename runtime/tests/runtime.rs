//! Claims about the runtime that need no node: its metadata file is current,
//! and its genesis presets say what the docs say.

use hypha_runtime::{genesis_config_presets, Runtime};

/// The metadata version subxt reads.
const METADATA_VERSION: u32 = 16;

#[test]
fn checked_in_metadata_matches_the_runtime() {
	// The referenda tracks (a metadata constant) read their timings from
	// storage: outside a chain they are the defaults, as in `export-metadata`.
	let metadata = sp_io::TestExternalities::default()
		.execute_with(|| Runtime::metadata_at_version(METADATA_VERSION))
		.expect("runtime offers v16");
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../client/metadata/hypha.scale");
	let checked_in = std::fs::read(path).expect("client/metadata/hypha.scale exists");
	assert!(
		metadata[..] == checked_in[..],
		"client/metadata/hypha.scale is stale: run `make metadata` and commit the file"
	);
}

fn preset(name: &str) -> serde_json::Value {
	let bytes = genesis_config_presets::get_preset(&name.into()).expect("preset exists");
	serde_json::from_slice(&bytes).expect("preset is JSON")
}

#[test]
fn development_preset_has_alice_as_the_only_authority_and_sudo() {
	let genesis = preset(sp_genesis_builder::DEV_RUNTIME_PRESET);
	assert_eq!(genesis["babe"]["authorities"].as_array().map(Vec::len), Some(1));
	assert_eq!(genesis["grandpa"]["authorities"].as_array().map(Vec::len), Some(1));
	assert!(genesis["sudo"]["key"].is_string());
}

#[test]
fn local_testnet_preset_has_three_authorities_and_alice_weighs_two() {
	let genesis = preset(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET);
	assert_eq!(genesis["babe"]["authorities"].as_array().map(Vec::len), Some(3));
	let weights: Vec<u64> = genesis["grandpa"]["authorities"]
		.as_array()
		.expect("grandpa authorities")
		.iter()
		.map(|entry| entry[1].as_u64().expect("weight"))
		.collect();
	assert_eq!(weights, vec![2, 1, 1]);
}

#[test]
fn unknown_preset_is_refused() {
	assert!(genesis_config_presets::get_preset(&"mainnet".into()).is_none());
}

#[test]
fn every_well_known_dev_account_is_endowed() {
	let genesis = preset(sp_genesis_builder::DEV_RUNTIME_PRESET);
	let balances = genesis["balances"]["balances"].as_array().expect("balances");
	// Alice, Bob, Charlie, Dave, Eve, Ferdie and their //stash accounts.
	assert_eq!(balances.len(), 12);
}

#[test]
fn presets_give_the_marketplace_real_fees_and_slashes() {
	for name in
		[sp_genesis_builder::DEV_RUNTIME_PRESET, sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET]
	{
		let genesis = preset(name);
		let jobs = &genesis["jobs"]["params"];
		assert!(jobs["safetyPermille"].as_u64().expect("safety") >= 1_000, "{name}: safety >= 1");
		for field in ["verifierFee", "verifierSlash", "noShowSlash"] {
			assert!(jobs[field].as_u64().expect(field) > 0, "{name}: {field} is zero");
		}
		let stake = &genesis["stake"]["params"];
		assert!(stake["minProviderStake"].as_u64().expect("min provider stake") > 0);
		assert!(stake["unbondingPeriod"].as_u64().expect("unbonding period") > 0);
	}
}

#[test]
fn only_the_dev_preset_has_sudo_and_short_referenda() {
	let dev = preset(sp_genesis_builder::DEV_RUNTIME_PRESET);
	let decision =
		dev["governance"]["marketParams"]["decisionPeriod"].as_u64().expect("dev timings");
	assert!(decision <= 60, "dev referenda decide within a minute, not {decision} blocks");
	let local = preset(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET);
	assert!(local["sudo"]["key"].is_null(), "the local testnet has no sudo key");
	assert!(
		local["governance"]["marketParams"].is_null(),
		"the local testnet keeps realistic timings"
	);
}

#[test]
fn referenda_tracks_are_root_and_market_params_with_realistic_defaults() {
	use pallet_referenda::TracksInfo;
	sp_io::TestExternalities::default().execute_with(|| {
		let tracks: Vec<_> = hypha_runtime::governance::Tracks::tracks().collect();
		assert_eq!(tracks.len(), 2);
		assert_eq!(&tracks[0].info.name[..4], b"root");
		assert_eq!(&tracks[1].info.name[..13], b"market_params");
		assert!(tracks[0].info.decision_period > tracks[1].info.decision_period);
		assert!(hypha_runtime::governance::Tracks::check_integrity().is_ok());
	});
}

#[test]
fn at_the_presets_a_verifier_cannot_unbond_before_its_slash_lands() {
	// Issue 11, attack 8: a verifier stays liable for a job through up to
	// three verdict windows (the audit, a dispute's commit phase and its
	// reveal), each `max(audit_window, result_window)` long plus the block
	// the step runs in and up to 16 blocks of agenda search. Its unbonding
	// stake stays slashable only until it is withdrawn, so unbonding must
	// take longer than that.
	for name in
		[sp_genesis_builder::DEV_RUNTIME_PRESET, sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET]
	{
		let genesis = preset(name);
		let jobs = &genesis["jobs"]["params"];
		let blocks = |key: &str| jobs[key].as_u64().unwrap_or_else(|| panic!("{name}: {key}"));
		let verdict_window = blocks("auditWindow").max(blocks("maxResultWindow"));
		let liable = 3 * (verdict_window + 1 + 16);
		let unbonding =
			genesis["stake"]["params"]["unbondingPeriod"].as_u64().expect("unbonding period");
		assert!(
			unbonding > liable,
			"{name}: unbonding takes {unbonding} blocks, a verifier is liable for up to {liable}"
		);
	}
}

#[test]
fn a_market_params_referendum_deprecates_any_model_version_and_nothing_else_does() {
	use frame_support::{assert_noop, assert_ok, BoundedVec};
	use hypha_runtime::{AccountId, Models, RuntimeOrigin};
	let genesis =
		genesis_config_presets::get_preset(&sp_genesis_builder::DEV_RUNTIME_PRESET.into())
			.expect("the dev preset");
	let endowed = |index: usize| -> AccountId {
		let json: serde_json::Value = serde_json::from_slice(&genesis).expect("JSON");
		json["balances"]["balances"][index][0]
			.as_str()
			.expect("an SS58 address")
			.parse()
			.expect("an account")
	};
	let (owner, stranger) = (endowed(0), endowed(1));
	sp_io::TestExternalities::default().execute_with(|| {
		// The preset is a patch of the default genesis, as the node applies it.
		fn merge(base: &mut serde_json::Value, patch: &serde_json::Value) {
			match (base, patch) {
				(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
					for (key, value) in patch {
						merge(base.entry(key.clone()).or_insert(serde_json::Value::Null), value);
					}
				},
				(base, patch) => *base = patch.clone(),
			}
		}
		let mut full = serde_json::to_value(hypha_runtime::RuntimeGenesisConfig::default())
			.expect("the default genesis is JSON");
		merge(&mut full, &serde_json::from_slice(&genesis).expect("the preset is JSON"));
		frame_support::genesis_builder_helper::build_state::<hypha_runtime::RuntimeGenesisConfig>(
			serde_json::to_vec(&full).expect("JSON"),
		)
		.expect("the dev genesis builds");
		frame_system::Pallet::<Runtime>::set_block_number(1);
		fn bytes<S: frame_support::traits::Get<u32>>(text: &str) -> BoundedVec<u8, S> {
			BoundedVec::truncate_from(text.as_bytes().to_vec())
		}
		assert_ok!(Models::register(
			RuntimeOrigin::signed(owner.clone()),
			bytes("digits"),
			bytes("hypha-mlp"),
			bytes("Apache-2.0"),
			bytes("v0"),
			[7; 32],
			bytes("http://127.0.0.1:7300/blobs/0x07"),
		));
		assert_noop!(
			Models::deprecate(
				RuntimeOrigin::signed(stranger),
				bytes("digits"),
				bytes("v0"),
				bytes("x")
			),
			pallet_models::Error::<Runtime>::NotOwner
		);
		// What a passed referendum on the market_params track dispatches with.
		let referendum: RuntimeOrigin = pallet_governance::Origin::MarketParams.into();
		assert_ok!(Models::deprecate(
			referendum,
			bytes("digits"),
			bytes("v0"),
			bytes("unlicensed data")
		));
		let version = pallet_models::Versions::<Runtime>::get(bytes("digits"), bytes("v0"))
			.expect("the version stays");
		assert!(version.deprecated.is_some_and(|d| d.by_governance));
		assert_noop!(
			Models::deprecate(
				RuntimeOrigin::signed(owner),
				bytes("digits"),
				bytes("v0"),
				bytes("ok")
			),
			pallet_models::Error::<Runtime>::AlreadyDeprecated
		);
	});
}
