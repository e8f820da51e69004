#!/usr/bin/env bash
# `make demo`: the Hypha marketplace on this machine, start to finish.
#
#  1. starts a development chain (one validator, 1-second blocks), a blob
#     store, a provider (hypha-worker, account Eve) and a verifier
#     (hypha-verifier, account Ferdie);
#  2. sets the audit rate to 100 % through sudo (dev chains only), so that
#     the verifier re-executes every job;
#  3. as the client Bob: submits the digits training job, fetches and checks
#     the trained weights, turns them into the inference job on the test
#     split, submits that, fetches the predictions and prints the accuracy;
#     then imports the shipped language model (data/fortune-lm) as an
#     integer-only model and buys a completion of a prompt (`hypha generate`);
#  4. prints a summary (what was settled, paid, refunded and audited), checks
#     that the explorer (`hypha explorer`, started with the chain) shows each
#     job settled, and stops everything it started.
#
# Logs of every process go to $HYPHA_DEMO_DIR (default: a fresh temp dir).
# HYPHA_DEMO_KEEP=1 keeps the chain, the daemons and the explorer running
# after the summary, until Ctrl-C, to look around in the explorer.
# HYPHA_LOG sets the CLI's log filter (default: warnings only here).
set -euo pipefail
cd "$(dirname "$0")/.."
. ./scripts/env.sh
bin="$CARGO_TARGET_DIR/debug"
dir="${HYPHA_DEMO_DIR:-$(mktemp -d -t hypha-demo-XXXXXX)}"
mkdir -p "$dir"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
rpc=$(free_port); p2p=$(free_port); prom=$(free_port)
store_port=$(free_port); worker_port=$(free_port); verifier_port=$(free_port)
explorer_port=${HYPHA_EXPLORER_PORT:-$(free_port)}
url="ws://127.0.0.1:$rpc"
store="http://127.0.0.1:$store_port"

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
say() { printf '\ndemo: %s\n' "$*"; }
wait_for_port() {
	for _ in $(seq 1 600); do
		if (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.2
	done
	echo "demo: nothing listens on port $1 ($2); see $dir" >&2
	return 1
}
export HYPHA_LOG="${HYPHA_LOG:-warn}"
hypha() { "$bin/hypha" "$@"; }

say "starting a development chain (logs: $dir/node.log)"
"$bin/hypha-node" --dev --state-pruning archive --rpc-port "$rpc" --port "$p2p" --prometheus-port "$prom" \
	--no-telemetry --no-mdns >"$dir/node.log" 2>&1 &
pids+=($!)
wait_for_port "$rpc" hypha-node
echo "demo:   JSON-RPC $url, Prometheus http://127.0.0.1:$prom/metrics"

"$bin/hypha" store serve --listen "127.0.0.1:$store_port" --dir "$dir/store" --node "$url" >"$dir/store.log" 2>&1 &
pids+=($!)
wait_for_port "$store_port" "blob store"
echo "demo:   blob store $store"

"$bin/hypha" explorer --listen "127.0.0.1:$explorer_port" --url "$url" >"$dir/explorer.log" 2>&1 &
pids+=($!)
wait_for_port "$explorer_port" explorer
echo "demo:   explorer http://127.0.0.1:$explorer_port (open it in a browser)"

say "starting the provider (hypha-worker as Eve) and the verifier (hypha-verifier as Ferdie)"
"$bin/hypha-worker" --node "$url" --seed //Eve --state-dir "$dir/worker" \
	--listen "127.0.0.1:$worker_port" --price-per-unit 0.001 --bond 1000 --log info >"$dir/worker.log" 2>&1 &
pids+=($!)
"$bin/hypha-verifier" --node "$url" --seed //Ferdie --bond 100 \
	--metrics-listen "127.0.0.1:$verifier_port" --log info >"$dir/verifier.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
	if hypha stake show --url "$url" --seed //Eve 2>/dev/null | grep -q '^provider: bonded' &&
		hypha stake show --url "$url" --seed //Ferdie 2>/dev/null | grep -q '^verifier: bonded'; then
		break
	fi
	sleep 1
done
hypha stake show --url "$url" --seed //Eve | grep '^provider' | sed 's/^/demo:   Eve /'
hypha stake show --url "$url" --seed //Ferdie | grep '^verifier' | sed 's/^/demo:   Ferdie /'

say "audit every result (p_min = 100 %) and pay verifiers 0.01 HYPHA, through sudo (dev chain only)"
hypha gov sudo-set-params --url "$url" --seed //Alice --set p_min_ppm=1000000 --set "verifier_fee=0.01 HYPHA" >/dev/null

bob_before=$(hypha account balance --url "$url" --seed //Bob | sed -n 's/^free: //p')
eve_before=$(hypha account balance --url "$url" --seed //Eve | sed -n 's/^free: //p')

say "client Bob: the digits training job (fixed-point SGD, 100 epochs)"
hypha digits prepare --data data/digits.safetensors --out "$dir/train" | sed 's/^/demo:   /'
hypha job submit "$dir/train/train.toml" --url "$url" --seed //Bob --store "$store" --wait | tee "$dir/train.out"
train_job=$(sed -n 's/^job \([0-9]*\) submitted.*/\1/p' "$dir/train.out")
hypha job fetch "$train_job" --url "$url" --seed //Bob --out "$dir/trained"

say "client Bob: the inference job on the test split, with the trained weights quantized to int8"
hypha digits model --data data/digits.safetensors --trained "$dir/trained/output.bin" --out "$dir/infer" | sed 's/^/demo:   /'
hypha job submit "$dir/infer/infer.toml" --url "$url" --seed //Bob --store "$store" --wait | tee "$dir/infer.out"
infer_job=$(sed -n 's/^job \([0-9]*\) submitted.*/\1/p' "$dir/infer.out")
hypha job fetch "$infer_job" --url "$url" --seed //Bob --out "$dir/predictions"
hypha digits accuracy --data data/digits.safetensors --output "$dir/predictions/output.bin" --min-accuracy 0.95 | tee "$dir/accuracy.out"

say "client Bob: a completion from the shipped language model (integer-only Llama, data/fortune-lm)"
hypha model import data/fortune-lm --out "$dir/fortune-lm.hypha.safetensors" | sed 's/^/demo:   /'
hypha generate --model "$dir/fortune-lm.hypha.safetensors" --prompt "The secret of life is" --max-new 24 \
	--url "$url" --seed //Bob --store "$store" | tee "$dir/generate.out"
generate_job=$(sed -n 's/^job \([0-9]*\) submitted.*/\1/p' "$dir/generate.out")

bob_after=$(hypha account balance --url "$url" --seed //Bob | sed -n 's/^free: //p')
eve_after=$(hypha account balance --url "$url" --seed //Eve | sed -n 's/^free: //p')
metric() { python3 -c "import urllib.request; t=urllib.request.urlopen('http://127.0.0.1:$1/metrics').read().decode(); print(next(('%g' % round(float(l.split()[1]), 6) for l in t.splitlines() if l.startswith('$2 ')), '?'))"; }

say "summary"
for job in "$train_job" "$infer_job" "$generate_job"; do
	hypha job status "$job" --url "$url" | sed -n 's/^status: /demo:   /p'
done
echo "demo:   test accuracy of the model trained on the market: $(sed -n 's/^accuracy: //p' "$dir/accuracy.out")"
echo "demo:   completion bought on the market: \"The secret of life is\" + $(sed -n 's/^completion: //p' "$dir/generate.out")"
echo "demo:   client Bob's free balance: $bob_before -> $bob_after (budgets came back less the prices, verifier fees and transaction fees)"
echo "demo:   provider Eve's free balance: $eve_before -> $eve_after"
echo "demo:   worker metrics: jobs done $(metric "$worker_port" hypha_worker_jobs_done_total), earned $(metric "$worker_port" hypha_worker_earnings_hypha_total) HYPHA"
echo "demo:   verifier metrics: audits $(metric "$verifier_port" hypha_verifier_audits_total), agreements $(metric "$verifier_port" hypha_verifier_agreements_total)"
shown() { python3 -c "import urllib.request,re; t=urllib.request.urlopen('http://127.0.0.1:$explorer_port/job/$1').read().decode(); m=re.search(r'<h1>Job #$1 <span class=\"state [a-z-]*\">([a-z ]*)</span>', t); print(m.group(1) if m else '?')"; }
for _ in $(seq 1 30); do
	[ "$(shown "$generate_job")" = settled ] && break
	sleep 1
done
echo "demo:   explorer http://127.0.0.1:$explorer_port: job $train_job $(shown "$train_job"), job $infer_job $(shown "$infer_job"), job $generate_job $(shown "$generate_job")"
echo "demo:   logs in $dir"
if [ -n "${HYPHA_DEMO_KEEP:-}" ]; then
	say "the chain, the daemons and the explorer keep running (HYPHA_DEMO_KEEP): Ctrl-C stops them"
	wait
fi
say "done; stopping the chain, the store, the worker and the verifier"
