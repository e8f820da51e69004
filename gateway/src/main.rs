//! `hypha-gateway`: an OpenAI-compatible API in front of the Hypha market.
//! See the library docs and docs/GATEWAY.md.

fn main() -> std::process::ExitCode {
	hypha_agent::process::quiet_mesa();
	let args = <hypha_gateway::cli::Args as clap::Parser>::parse();
	hypha_agent::process::init_logging(&args.log);
	let runtime = match tokio::runtime::Runtime::new() {
		Ok(runtime) => runtime,
		Err(error) => {
			eprintln!("hypha-gateway: starting the async runtime: {error}");
			return std::process::ExitCode::FAILURE;
		},
	};
	match runtime.block_on(async {
		let config = args.config()?;
		hypha_gateway::run(config, hypha_agent::process::shutdown_signal()).await
	}) {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("hypha-gateway: {error:#}");
			std::process::ExitCode::FAILURE
		},
	}
}
