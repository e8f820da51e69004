//! The chain boots: real `hypha-node` processes produce and finalize blocks,
//! serve RPC and Prometheus, accept a balance transfer, and a three-validator
//! testnet keeps finalizing when one validator is gone.
//!
//! Timeouts here are liveness bounds (generous, for a loaded 2-core machine),
//! not speed claims; speed is measured in docs/BUILD.md and docs/BENCHMARKS.md.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use hypha_client::{api, free_balance, subxt_signer::sr25519, AccountId};
use hypha_e2e::{finalized_number, http_get, repo_root, wait_for_finalized, NodeProcess, Ports};

/// How long a node may take to start serving RPC (wasm compilation included).
const STARTUP: Duration = Duration::from_secs(120);

#[tokio::test]
async fn dev_node_finalizes_blocks_and_a_transfer_lands() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut node = NodeProcess::start("dev", &["--dev"])?;
	let client = node.client(STARTUP).await?;

	let reached = wait_for_finalized(&client, 3, Duration::from_secs(60))
		.await
		.with_context(|| node.log_tail())?;
	ensure!(reached >= 3);

	// Prometheus answers with the standard block-height metric.
	let metrics = http_get(node.ports.prometheus, "/metrics")?;
	ensure!(
		metrics.contains("substrate_block_height"),
		"Prometheus endpoint lacks substrate_block_height:\n{}",
		&metrics[..metrics.len().min(500)]
	);

	// Alice pays a fresh account; the transfer is finalized and its event and
	// the new balance are what was sent.
	let alice = sr25519::dev::alice();
	let recipient = sr25519::Keypair::from_uri(&"//HyphaE2eRecipient".parse()?)?;
	let recipient_id: AccountId = recipient.public_key().into();
	let amount: u128 = 42 * hypha_primitives::HYPHA;
	ensure!(free_balance(&client, &recipient_id).await? == 0, "recipient starts empty");

	let transfer = api::tx().balances().transfer_keep_alive(recipient_id.into(), amount);
	let events = client
		.tx()
		.await?
		.sign_and_submit_then_watch_default(&transfer, &alice)
		.await?
		.wait_for_finalized_success()
		.await
		.with_context(|| format!("transfer did not finalize; {}", node.log_tail()))?;
	let transferred = events
		.find_first::<api::balances::events::Transfer>()
		.context("no Transfer event in the transfer's block")??;
	ensure!(transferred.to == recipient_id && transferred.amount == amount);
	ensure!(free_balance(&client, &recipient_id).await? == amount);
	Ok(())
}

/// Issue 11, attack 6, on a real node: every block carries its BABE author's
/// VRF output (secondary slots sign one too), and the jobs pallet folds each
/// into the beacon the audit draw reads, so the draw depends on values that
/// no author can grind by choosing its block's contents.
#[tokio::test]
async fn the_draw_can_be_steered_no_more_every_block_carries_a_vrf_output_that_moves_the_beacon(
) -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let mut node = NodeProcess::start("babe", &["--dev"])?;
	let client = node.client(STARTUP).await?;
	let mut number = wait_for_finalized(&client, 2, Duration::from_secs(60))
		.await
		.with_context(|| node.log_tail())?;
	let mut outputs = std::collections::BTreeSet::new();
	let mut beacons = std::collections::BTreeSet::new();
	for _ in 0..4 {
		let at = client.at_current_block().await?;
		let vrf_output = at
			.storage()
			.entry(api::storage().babe().author_vrf_randomness())?
			.fetch(())
			.await?
			.decode()?
			.with_context(|| format!("block #{number} carries no VRF output"))?;
		let beacon =
			at.storage().entry(api::storage().jobs().beacon())?.fetch(()).await?.decode()?;
		outputs.insert(vrf_output);
		beacons.insert(beacon);
		number = wait_for_finalized(&client, number + 1, Duration::from_secs(60))
			.await
			.with_context(|| node.log_tail())?;
	}
	ensure!(outputs.len() == 4, "VRF outputs repeat across four blocks: {outputs:?}");
	ensure!(beacons.len() == 4, "the beacon did not move with every block: {beacons:?}");
	Ok(())
}

#[tokio::test]
async fn three_validator_testnet_keeps_finalizing_without_one_validator() -> Result<()> {
	let _serial = hypha_e2e::serial().await;
	let spec = repo_root().join("chain-spec/local.json");
	let spec = spec.to_str().context("chain spec path is not UTF-8")?.to_string();

	// Alice's network identity is fixed so that Bob and Charlie can find her.
	const ALICE_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";
	const ALICE_PEER_ID: &str = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";
	let alice_ports = Ports::free()?;
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{ALICE_PEER_ID}", alice_ports.p2p);

	let common = ["--chain", spec.as_str(), "--tmp", "--allow-private-ip"];
	let mut alice = NodeProcess::start_with_ports(
		"alice",
		&[&common[..], &["--alice", "--node-key", ALICE_NODE_KEY]].concat(),
		alice_ports,
	)?;
	// A validator of a non-dev chain refuses to start without a network key.
	const BOB_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000002";
	const CHARLIE_NODE_KEY: &str =
		"0000000000000000000000000000000000000000000000000000000000000003";
	let mut bob = NodeProcess::start(
		"bob",
		&[&common[..], &["--bob", "--node-key", BOB_NODE_KEY, "--bootnodes", &bootnode]].concat(),
	)?;
	let mut charlie = NodeProcess::start(
		"charlie",
		&[&common[..], &["--charlie", "--node-key", CHARLIE_NODE_KEY, "--bootnodes", &bootnode]]
			.concat(),
	)?;

	let alice_client = alice.client(STARTUP).await?;
	let bob_client = bob.client(STARTUP).await?;
	let _charlie_client = charlie.client(STARTUP).await?;

	// All three together finalize.
	wait_for_finalized(&alice_client, 3, Duration::from_secs(120)).await.with_context(|| {
		format!("{}\n{}\n{}", alice.log_tail(), bob.log_tail(), charlie.log_tail())
	})?;

	// GRANDPA finalizes with votes of more than two thirds of the total weight
	// (threshold = W - floor((W - 1) / 3)). With three equal votes that is all
	// three, so the local testnet gives Alice weight 2 (total 4, threshold 3):
	// Alice with either Bob or Charlie finalizes. Stop Charlie.
	charlie.kill();
	let before = finalized_number(&bob_client).await?;
	wait_for_finalized(&bob_client, before + 3, Duration::from_secs(120))
		.await
		.with_context(|| format!("{}\n{}", alice.log_tail(), bob.log_tail()))?;
	Ok(())
}

/// `hypha-node build-spec` output with the wasm code blob removed: the code
/// depends on where and with which compiler the runtime was built.
fn readable_spec(mut spec: serde_json::Value) -> serde_json::Value {
	if let Some(runtime_genesis) = spec.pointer_mut("/genesis/runtimeGenesis") {
		if let Some(object) = runtime_genesis.as_object_mut() {
			object.remove("code");
		}
	}
	spec
}

#[test]
fn checked_in_chain_specs_match_the_runtime_presets() -> Result<()> {
	for (chain, file) in [("dev", "dev.json"), ("local", "local.json")] {
		let output = std::process::Command::new(hypha_e2e::node_binary()?)
			.args(["build-spec", "--chain", chain, "--disable-default-bootnode"])
			.output()?;
		ensure!(
			output.status.success(),
			"build-spec failed: {}",
			String::from_utf8_lossy(&output.stderr)
		);
		let generated: serde_json::Value = serde_json::from_slice(&output.stdout)?;
		let path = repo_root().join("chain-spec").join(file);
		let checked_in: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
		ensure!(
			readable_spec(generated) == readable_spec(checked_in),
			"{} is stale: run `make chain-specs` and commit the result",
			path.display()
		);
	}
	Ok(())
}

#[test]
fn local_testnet_spec_names_three_babe_authorities() -> Result<()> {
	let spec: serde_json::Value =
		serde_json::from_slice(&std::fs::read(repo_root().join("chain-spec/local.json"))?)?;
	let authorities = spec
		.pointer("/genesis/runtimeGenesis/patch/babe/authorities")
		.and_then(|a| a.as_array())
		.context("no BABE authorities in chain-spec/local.json")?;
	ensure!(authorities.len() == 3, "expected 3 BABE authorities, found {}", authorities.len());
	Ok(())
}
