//! Genesis presets: `development` (one validator, Alice) and `local_testnet`
//! (three validators: Alice, Bob, Charlie). The chain specs in `chain-spec/` are
//! generated from these by `make chain-specs`.

use crate::{
	AccountId, BalancesConfig, GovernanceConfig, JobsConfig, RuntimeGenesisConfig, StakeConfig,
	SudoConfig, HYPHA, MINUTES,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What every well-known dev account starts with: one million HYPHA.
pub const ENDOWMENT: crate::Balance = 1_000_000 * HYPHA;

fn testnet_genesis(
	initial_authorities: Vec<(BabeId, GrandpaId, u64)>,
	endowed_accounts: Vec<AccountId>,
	sudo: Option<AccountId>,
	governance: Option<pallet_governance::TrackTimings<crate::BlockNumber>>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|account| (account, ENDOWMENT))
				.collect::<Vec<_>>(),
		},
		babe: pallet_babe::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| (x.0.clone(), 1)).collect::<Vec<_>>(),
			epoch_config: crate::BABE_GENESIS_EPOCH_CONFIG,
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| (x.1.clone(), x.2)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: sudo },
		governance: GovernanceConfig { root: governance, market_params: governance },
		stake: StakeConfig { params: Some(stake_params()) },
		jobs: JobsConfig { params: Some(job_params()) },
	})
}

/// Stake rules of the test chains: 100 HYPHA to provide or verify, four hours
/// to unbond. A verifier stays liable for a job for up to three verdict
/// windows (the audit, a dispute's commit and reveal), each as long as the
/// job's result window, at most `max_result_window` (an hour): unbonding
/// takes longer, so no verifier leaves before its slash lands.
fn stake_params() -> pallet_stake::StakeParams<crate::Balance, crate::BlockNumber> {
	pallet_stake::StakeParams {
		min_provider_stake: 100 * HYPHA,
		min_verifier_stake: 100 * HYPHA,
		unbonding_period: 4 * crate::HOURS,
	}
}

/// Marketplace rules of the test chains: the pallet's defaults (one-second
/// blocks) with real money on the verifiers' side, so that an audit pays and
/// a wrong or missing verdict costs, and a collateral of 30 times the price,
/// so that a spotless provider is audited at 1.5 / 31 = 4.84 %: the
/// verifiers' compute stays under 5 % of the providers' (docs/PROTOCOL.md).
fn job_params() -> pallet_jobs::JobParams<crate::Balance, crate::BlockNumber> {
	pallet_jobs::JobParams {
		safety_permille: 1_500,
		p_min_ppm: 10_000,
		collateral_percent: 3_000,
		open_timeout: 10 * MINUTES,
		min_result_window: 5,
		max_result_window: 60 * MINUTES,
		challenge_window: 5,
		audit_window: 30,
		verifier_fee: HYPHA / 10,
		dispute_verifiers: 2,
		min_provider_score_ppm: 200_000,
		deadline_slash_percent: 10,
		verifier_slash: 10 * HYPHA,
		no_show_slash: HYPHA,
		max_missed_deadlines: 2,
		job_deposit: HYPHA / 100,
	}
}

/// BABE and GRANDPA keys of a well-known dev account, with its GRANDPA vote weight.
fn authority_keys(
	babe: Sr25519Keyring,
	grandpa: Ed25519Keyring,
	grandpa_weight: u64,
) -> (BabeId, GrandpaId, u64) {
	(babe.public().into(), grandpa.public().into(), grandpa_weight)
}

/// The `development` preset: Alice produces and finalizes every block alone.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice, 1)],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		Some(DEV_GOVERNANCE),
	)
}

/// Referendum timings of dev chains, in blocks (seconds): one to prepare,
/// twenty to decide, two to confirm, one to enactment, so that a referendum
/// passes in about ten blocks.
pub const DEV_GOVERNANCE: pallet_governance::TrackTimings<crate::BlockNumber> =
	pallet_governance::TrackTimings {
		prepare_period: 1,
		decision_period: 20,
		confirm_period: 2,
		min_enactment_period: 1,
	};

/// The `local_testnet` preset: Alice, Bob and Charlie share block production;
/// no sudo key, governance by referenda only.
///
/// GRANDPA finalizes with more than two thirds of the vote weight: its threshold
/// is `W - floor((W - 1) / 3)`, which for three equal votes is all three, so a
/// three-validator set of equal weights stops finalizing when any one is down.
/// Alice therefore votes with weight 2 (total 4, threshold 3): Alice with Bob,
/// or Alice with Charlie, finalize; Bob with Charlie alone do not.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice, 2),
			authority_keys(Sr25519Keyring::Bob, Ed25519Keyring::Bob, 1),
			authority_keys(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie, 1),
		],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		// No sudo: parameters and upgrades go through referenda, with the
		// realistic timings of `pallet-governance`.
		None,
		None,
	)
}

/// The preset named `id`, as JSON bytes, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	// Serializing a `Value` cannot fail; `ok()` keeps the runtime free of panics anyway.
	serde_json::to_vec(&patch).ok()
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
