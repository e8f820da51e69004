//! Command-line arguments of `hypha-node`.

use std::path::PathBuf;

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management (generate, inspect, insert into the keystore).
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (`--chain dev` or `--chain local`; add `--raw` for the raw form).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Print information about the database.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Write the runtime's metadata (SCALE, version 16), which the subxt client
	/// in `client/` is generated from.
	ExportMetadata(ExportMetadataCmd),

	/// Benchmark the runtime's pallets (`benchmark pallet`) and write their
	/// weights; present when built with `--features runtime-benchmarks`.
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),
}

/// Arguments of `hypha-node export-metadata`.
#[derive(Debug, clap::Parser)]
pub struct ExportMetadataCmd {
	/// Where to write the metadata; standard output if absent.
	#[arg(long, short)]
	pub output: Option<PathBuf>,
}

/// `hypha-node`: the Hypha chain node.
#[derive(Debug, clap::Parser)]
#[command(
	propagate_version = true,
	args_conflicts_with_subcommands = true,
	subcommand_negates_reqs = true
)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,
}
