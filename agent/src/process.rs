//! Process set-up for the binaries' `main`: logging, the Mesa quirk and the
//! shutdown signal.

/// Quiets Mesa's Vulkan device-select layer, which prints an error on every
/// start without `XDG_RUNTIME_DIR` (harmless: the layer is not needed). Call
/// first thing in `main`, before any thread starts.
pub fn quiet_mesa() {
	if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
		// SAFETY-free: `set_var` is safe in edition 2021; it is called before
		// any other thread exists, which is what makes it sound.
		std::env::set_var("NODEVICE_SELECT", "1");
	}
}

/// Logs to stderr with `filter` (tracing's env-filter syntax; `info` if it
/// does not parse), in colour only on a terminal. EGL's "failed to load
/// driver" error, which wgpu's GL probe logs on machines without a GPU, is
/// off: it is harmless (Mesa falls back to llvmpipe, see shared/WGPU.md).
pub fn init_logging(filter: &str) {
	use std::io::IsTerminal;
	let filter =
		tracing_subscriber::EnvFilter::try_new(format!("{filter},wgpu_hal::gles::egl=off"))
			.unwrap_or_else(|_| "info,wgpu_hal::gles::egl=off".into());
	tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_ansi(std::io::stderr().is_terminal())
		.with_writer(std::io::stderr)
		.init();
}

/// Completes on SIGINT or SIGTERM: a daemon's graceful shutdown, passed as
/// the `shutdown` future of its `run`.
pub async fn shutdown_signal() {
	let interrupt = tokio::signal::ctrl_c();
	#[cfg(unix)]
	{
		match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
			Ok(mut terminate) => {
				tokio::select! {
					_ = interrupt => {},
					_ = terminate.recv() => {},
				}
			},
			Err(_) => {
				let _ = interrupt.await;
			},
		}
	}
	#[cfg(not(unix))]
	{
		let _ = interrupt.await;
	}
}

/// The body of a binary's `main` after logging is set up: runs `work` on a
/// fresh tokio runtime and turns its result into the exit code, printing an
/// error as `<binary>: what failed: why`.
pub fn run_main(
	binary: &str,
	work: impl std::future::Future<Output = anyhow::Result<()>>,
) -> std::process::ExitCode {
	let result = tokio::runtime::Runtime::new()
		.map_err(anyhow::Error::from)
		.and_then(|runtime| runtime.block_on(work));
	match result {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("{binary}: {error:#}");
			std::process::ExitCode::FAILURE
		},
	}
}
