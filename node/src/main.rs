//! # hypha-node
//!
//! The node of the Hypha chain: BABE produces blocks, GRANDPA finalizes them,
//! JSON-RPC listens on 9944 and Prometheus on 9615 (the standard Substrate
//! flags apply; `hypha-node --help` lists them).
//!
//! - `hypha-node --dev`: a one-validator development chain (Alice) with
//!   temporary storage, 1-second blocks, finalized as they come.
//! - `hypha-node --chain local --alice` (and `--bob`, `--charlie`): the local
//!   three-validator testnet; `chain-spec/local.json` is the same chain.
//! - `hypha-node build-spec --chain dev|local`: print a chain spec.
//! - `hypha-node export-metadata`: write the runtime's metadata, from which the
//!   subxt client is generated.
//!
//! Layout: `cli.rs` (arguments), `command.rs` (dispatch), `chain_spec.rs`,
//! `service.rs` (the node's components), `rpc.rs` (RPC methods beyond the
//! standard ones).

// sc-cli's commands and runner closures return `sc_cli::Result`, whose error
// is large by upstream's design; boxing it here would only fight the API.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
