#!/usr/bin/env bash
# Builds the runtime's wasm once more with the `upgrade-test` feature
# (spec_version + 1) for the runtime-upgrade end-to-end test, and writes it to
# $CARGO_TARGET_DIR/debug/hypha-upgrade/hypha_runtime.wasm.
#
# It reuses the wasm project that substrate-wasm-builder generated for the
# normal build (run `cargo build -p hypha-node` first) and its target
# directory, so only the runtime crate itself compiles again; the normal
# build's wasm file is left alone. The environment must match the builder's
# exactly (RUSTFLAGS included), or cargo would rebuild every wasm dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/env.sh

wbuild="$CARGO_TARGET_DIR/debug/wbuild/hypha-runtime"
project="$CARGO_TARGET_DIR/debug/wbuild-upgrade/hypha-runtime"
out="$CARGO_TARGET_DIR/debug/hypha-upgrade"
if [ ! -f "$wbuild/Cargo.toml" ]; then
	echo "upgrade-wasm: $wbuild/Cargo.toml is missing: build the node first (make build)" >&2
	exit 1
fi

mkdir -p "$project" "$out"
cp -r "$wbuild/src" "$wbuild/Cargo.lock" "$project/"
# The generated manifest, with this checkout's runtime and the feature on.
sed -e "s|^path = .*|path = \"$PWD/runtime\"|" \
	-e 's|^features = \[\]|features = ["upgrade-test"]|' \
	"$wbuild/Cargo.toml" > "$project/Cargo.toml"
grep -q 'features = \["upgrade-test"\]' "$project/Cargo.toml" || {
	echo "upgrade-wasm: unexpected wasm project manifest in $wbuild/Cargo.toml" >&2
	exit 1
}

echo "upgrade-wasm: building hypha-runtime with spec_version + 1"
env -u CARGO_ENCODED_RUSTFLAGS -u RUSTC \
	CARGO_TARGET_DIR="$wbuild/target" \
	RUSTFLAGS="-C link-arg=--export-table -C link-arg=--export=__heap_base -C link-arg=--import-memory --cfg substrate_runtime " \
	SKIP_WASM_BUILD="" \
	cargo rustc --target=wasm32v1-none --manifest-path="$project/Cargo.toml" --profile release --quiet
cp "$wbuild/target/wasm32v1-none/release/hypha_runtime.wasm" "$out/hypha_runtime.wasm"
echo "upgrade-wasm: wrote $out/hypha_runtime.wasm ($(wc -c < "$out/hypha_runtime.wasm") bytes)"
