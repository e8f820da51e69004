//! `hypha-verifier`: the verifier daemon. See the library docs.

fn main() -> std::process::ExitCode {
	hypha_agent::process::quiet_mesa();
	let args = <hypha_verifier::cli::Args as clap::Parser>::parse();
	hypha_verifier::cli::main_with(
		async |config| hypha_verifier::run(config, hypha_agent::process::shutdown_signal()).await,
		args,
	)
}
