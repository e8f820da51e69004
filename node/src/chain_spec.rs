//! Chain specifications: `dev` and `local` are built from the runtime's genesis
//! presets; anything else names a chain-spec JSON file (such as the checked-in
//! `chain-spec/local.json`).

use sc_service::ChainType;

/// A Hypha chain specification.
pub type ChainSpec = sc_service::GenericChainSpec;

fn wasm_binary() -> Result<&'static [u8], String> {
	hypha_runtime::WASM_BINARY.ok_or_else(|| {
		"the runtime's wasm was not built (was SKIP_WASM_BUILD set?); rebuild without it".into()
	})
}

fn token_properties() -> sc_service::Properties {
	let mut properties = sc_service::Properties::new();
	properties.insert("tokenSymbol".into(), hypha_primitives::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), hypha_primitives::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

/// The development chain: Alice alone produces and finalizes blocks.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Hypha Development")
		.with_id("hypha_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(token_properties())
		.build())
}

/// The local testnet: Alice, Bob and Charlie are the validators.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Hypha Local Testnet")
		.with_id("hypha_local_testnet")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(token_properties())
		.build())
}
