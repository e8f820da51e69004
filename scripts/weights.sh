#!/usr/bin/env bash
# `make weights`: measure every extrinsic of the marketplace pallets and write
# their `weights.rs`. Builds `hypha-node` with `--features runtime-benchmarks`
# (a second variant of most of the dependency tree: long the first time), then
# runs `hypha-node benchmark pallet` on the dev chain's runtime, in wasm, as
# the chain executes it. STEPS and REPEAT trade time for precision.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/env.sh
steps="${STEPS:-50}"
repeat="${REPEAT:-20}"

echo "weights: building hypha-node with runtime benchmarks"
# frame-benchmarking-cli brings a test runtime for its storage benchmark, whose
# wasm build cannot find itself in this workspace; `benchmark pallet` does not
# use it.
SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1 cargo build -p hypha-node --features runtime-benchmarks
node="$CARGO_TARGET_DIR/debug/hypha-node"

for pallet in stake jobs models; do
	echo "weights: benchmarking pallet_${pallet} (steps ${steps}, repeat ${repeat})"
	"$node" benchmark pallet \
		--chain dev \
		--pallet "pallet_${pallet}" \
		--extrinsic '*' \
		--steps "$steps" \
		--repeat "$repeat" \
		--wasm-execution compiled \
		--heap-pages 4096 \
		--template scripts/weight-template.hbs \
		--output "pallets/${pallet}/src/weights.rs"
done
echo "weights: wrote pallets/{stake,jobs,models}/src/weights.rs;"
echo "weights: rebuild the node without the feature (make build) before running it"
