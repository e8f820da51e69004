# The build environment of Hypha, sourced by scripts/cargo and scripts/setup.sh.
# Keep it identical for the work tree, `make` and CI: a variable that differs
# between two builds (RUSTC_BOOTSTRAP, RUSTFLAGS...) throws the other's cache away.

# One target directory outside the checkout, shared by every checkout on this
# machine, so that CI (a fresh checkout) starts warm.
export CARGO_TARGET_DIR="${HYPHA_TARGET_DIR:-$HOME/.cache/hypha-target}"
# litep2p's webrtc links Debian's libssl instead of compiling OpenSSL.
export OPENSSL_NO_VENDOR=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Mesa's device-select layer complains without it (harmless, but noisy).
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

# The runtime's wasm: rustup's wasm32v1-none target if installed, else the
# Debian toolchain linked as `deb` by scripts/setup.sh (see docs/BUILD.md).
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32v1-none; then
	if rustup toolchain list 2>/dev/null | grep -q '^deb'; then
		export WASM_BUILD_TOOLCHAIN=deb
	fi
fi

# The runtime's wasm build looks for the workspace's Cargo.lock from the target
# directory; with the target directory outside the checkout it needs this hint.
export WASM_BUILD_WORKSPACE_HINT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
