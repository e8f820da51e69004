#!/usr/bin/env bash
# Prepares this machine to build and test Hypha. Idempotent: every step checks
# first and skips what is already done, so `make test` and `make demo` run it
# every time at little cost.
#
#   1. System packages: protoc, clang/libclang (bindgen), libssl (litep2p),
#      pkg-config, Mesa's software Vulkan driver (lavapipe) for the wgpu tests.
#   2. The wasm target for the runtime: `rustup target add wasm32v1-none`
#      where rustup can reach its servers, else Debian's rustc-web toolchain
#      linked into rustup as `deb`, with core/alloc built for wasm32v1-none
#      (docs/BUILD.md explains why).
#   3. s3s-fs, the S3-compatible server the blob store's S3 tests run
#      against (`cargo install s3s-fs`, about 5 minutes once, into
#      ~/.cache/hypha-tools/bin; docs/DATA.md).
#   4. The official `openai` Python package, in a virtual environment
#      (~/.cache/hypha-tools/openai-venv), that the gateway's end-to-end test
#      calls the gateway with (docs/GATEWAY.md).
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
	local missing=()
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing system packages: ${missing[*]}"
	if [ $apt_updated -eq 0 ]; then
		as_root apt-get update -qq
		apt_updated=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. System packages.
apt_install protobuf-compiler clang libclang-dev libssl-dev pkg-config make \
	mesa-vulkan-drivers libvulkan1
# Headless Chromium for the explorer's browser test (tests/tests/explorer.rs).
apt_install chromium fonts-dejavu-core
command -v cargo >/dev/null || { say "cargo not found: install Rust with rustup first (https://rustup.rs)"; exit 1; }

# 2. The wasm target.
if rustup target list --installed 2>/dev/null | grep -qx wasm32v1-none; then
	say "wasm32v1-none target: present"
elif timeout 300 rustup target add wasm32v1-none >/dev/null 2>&1; then
	say "wasm32v1-none target: installed with rustup"
else
	say "rustup cannot add wasm32v1-none here; using Debian's rustc-web toolchain (docs/BUILD.md)"
	apt_install rustc-web cargo-web rust-web-src lld-22
	rustup toolchain list | grep -q '^deb' || rustup toolchain link deb /usr
	sysroot_lib=/usr/lib/rustlib/wasm32v1-none/lib
	if ! ls "$sysroot_lib"/libcore-*.rlib >/dev/null 2>&1; then
		say "building core and alloc for wasm32v1-none into $sysroot_lib (about 3 minutes)"
		scratch="$(mktemp -d)"
		mkdir -p "$scratch/src"
		cat >"$scratch/Cargo.toml" <<'TOML'
[package]
name = "wasm-sysroot"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
[profile.release]
panic = "abort"
lto = true
TOML
		echo '#![no_std] #[panic_handler] fn p(_: &core::panic::PanicInfo) -> ! { loop {} }' >"$scratch/src/lib.rs"
		(cd "$scratch" && RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_TARGET_DIR="$scratch/target" \
			/usr/bin/cargo build --release --target wasm32v1-none -Zbuild-std=core,alloc -q)
		as_root mkdir -p "$sysroot_lib"
		as_root cp "$scratch"/target/wasm32v1-none/release/deps/lib{core,alloc,compiler_builtins}-*.rlib "$sysroot_lib/"
		rm -rf "$scratch"
	fi
	say "wasm toolchain: deb (WASM_BUILD_TOOLCHAIN=deb is set by scripts/env.sh)"
fi

# 3. The S3 test server.
s3s_version=0.14.1
s3s_root="$HOME/.cache/hypha-tools"
if "$s3s_root/bin/s3s-fs" --version 2>/dev/null | grep -q "$s3s_version"; then
	say "s3s-fs $s3s_version: present"
else
	say "installing s3s-fs $s3s_version (the S3 test server) into $s3s_root/bin (about 5 minutes)"
	cargo install -q s3s-fs@"$s3s_version" --locked --features binary --root "$s3s_root"
fi

# 4. The OpenAI client for the gateway's e2e test.
openai_version=3.60.0
openai_venv="$s3s_root/openai-venv"
if "$openai_venv/bin/python" -c "import openai, sys; sys.exit(openai.__version__ != '$openai_version')" 2>/dev/null; then
	say "openai $openai_version (Python): present"
else
	say "installing the openai Python package $openai_version into $openai_venv"
	python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
	python3 -m venv "$openai_venv"
	"$openai_venv/bin/pip" install -q --disable-pip-version-check "openai==$openai_version"
fi

# shellcheck source=env.sh
. "$here/env.sh"
mkdir -p "$CARGO_TARGET_DIR"
say "ready (cargo target directory: $CARGO_TARGET_DIR)"
