#!/usr/bin/env bash
# `make demo`: a development chain on this machine, until Ctrl-C.
#
# Today the demo is the chain itself: one validator (Alice) producing a block
# every second and finalizing it with GRANDPA, JSON-RPC on ws://127.0.0.1:9944
# and Prometheus metrics on http://127.0.0.1:9615/metrics. The marketplace
# (worker, verifier, a paid and audited job) joins it with the issue
# "The marketplace end to end".
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/env.sh
node="$CARGO_TARGET_DIR/debug/hypha-node"

cat <<MSG
demo: starting a Hypha development chain (Ctrl-C stops it)
demo:   JSON-RPC   ws://127.0.0.1:9944   (polkadot.js apps, subxt, curl)
demo:   Prometheus http://127.0.0.1:9615/metrics
demo:   accounts   Alice..Ferdie hold 1,000,000 HYPHA each; Alice is sudo
MSG
exec "$node" --dev --rpc-port 9944 --prometheus-port 9615 "$@"
