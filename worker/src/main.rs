//! `hypha-worker`: the provider daemon. See the library docs.

fn main() -> std::process::ExitCode {
	hypha_agent::process::quiet_mesa();
	let args = <hypha_worker::cli::Args as clap::Parser>::parse();
	hypha_worker::cli::main_with(
		async |config| hypha_worker::run(config, hypha_agent::process::shutdown_signal()).await,
		args,
	)
}
