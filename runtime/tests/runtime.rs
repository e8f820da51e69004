//! Claims about the runtime that need no node: its metadata file is current,
//! and its genesis presets say what the docs say.

use hypha_runtime::{genesis_config_presets, Runtime};

/// The metadata version subxt reads.
const METADATA_VERSION: u32 = 16;

#[test]
fn checked_in_metadata_matches_the_runtime() {
	let metadata = Runtime::metadata_at_version(METADATA_VERSION).expect("runtime offers v16");
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
	assert_eq!(genesis["aura"]["authorities"].as_array().map(Vec::len), Some(1));
	assert_eq!(genesis["grandpa"]["authorities"].as_array().map(Vec::len), Some(1));
	assert!(genesis["sudo"]["key"].is_string());
}

#[test]
fn local_testnet_preset_has_three_authorities_and_alice_weighs_two() {
	let genesis = preset(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET);
	assert_eq!(genesis["aura"]["authorities"].as_array().map(Vec::len), Some(3));
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
	for name in [sp_genesis_builder::DEV_RUNTIME_PRESET, sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET]
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
