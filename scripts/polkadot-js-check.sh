#!/usr/bin/env bash
# `make polkadot-js-check`: starts a dev node on free ports and checks, with
# @polkadot/api (the library polkadot.js apps uses), that it exposes
# jobs.submitJob, jobs.cancelJob, jobs.claimJob, jobs.submitResult,
# jobs.submitVerdict, stake.registerProvider, stake.registerVerifier,
# stake.bondExtra, stake.unbond, stake.withdrawUnbonded, referenda.submit,
# convictionVoting.vote and the reputation pallet. Needs node and npm; the
# package is installed once into scripts/polkadot-js/node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/env.sh
command -v npm >/dev/null || { echo "polkadot-js-check: npm not found (apt-get install npm)" >&2; exit 1; }
[ -d scripts/polkadot-js/node_modules/@polkadot/api ] ||
	(cd scripts/polkadot-js && npm install --no-audit --no-fund --no-package-lock --silent)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rpc=$(port)
log=$(mktemp -t hypha-pjs-node-XXXXXX.log)
"$CARGO_TARGET_DIR/debug/hypha-node" --dev --rpc-port "$rpc" --port "$(port)" --prometheus-port "$(port)" \
	--no-telemetry --no-mdns >"$log" 2>&1 &
node_pid=$!
trap 'kill $node_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do (echo >"/dev/tcp/127.0.0.1/$rpc") 2>/dev/null && break; sleep 0.2; done
node scripts/polkadot-js/check.mjs "ws://127.0.0.1:$rpc"
