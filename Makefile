# Hypha: `make help` lists the targets. Every cargo call goes through
# scripts/cargo, which sets the one build environment (scripts/env.sh).

# scripts/env.sh is bash (BASH_SOURCE); /bin/sh is dash on Debian.
SHELL := /bin/bash
CARGO := ./scripts/cargo
NODE  := $(shell . ./scripts/env.sh && echo $$CARGO_TARGET_DIR)/debug/hypha-node
HYPHA := $(dir $(NODE))hypha

.DEFAULT_GOAL := help
.PHONY: help setup build node dev-node test e2e soak fmt lint bench bench-market bench-gateway soak-market bench-lm bench-blobstore weights metadata chain-specs demo digits-check lm-check polkadot-js-check

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

setup: ## Install system packages and the wasm toolchain (idempotent)
	@./scripts/setup.sh

build: setup ## Build the node (with the runtime's wasm) and every other crate
	$(CARGO) build --workspace --bins

node: build ## Run a development node (RPC ws://127.0.0.1:9944, Prometheus :9615, archive state for the explorer) until Ctrl-C
	$(NODE) --dev --state-pruning archive

dev-node: node ## Same as `make node`

# One `cargo test` for the whole workspace, so that every crate is compiled
# once with one feature set (two invocations with different package sets
# resolve features differently and rebuild a few hundred crates). The
# end-to-end tests take `hypha_e2e::serial()`, so they need no --test-threads=1.
test: build ## Run every test: unit, property, compute and end-to-end
	./scripts/upgrade-wasm.sh
	$(CARGO) test --workspace

e2e: build ## Run only the end-to-end tests (real node processes)
	./scripts/upgrade-wasm.sh
	$(CARGO) test --workspace --test chain --test lifecycle --test market --test governance --test daemons --test data --test soak --test explorer

soak: setup ## The adversarial simulation of the protocol over 10^5 random sequences (about 40 min on one core; figures in docs/PROTOCOL.md)
	HYPHA_SIM_CASES=$${HYPHA_SIM_CASES:-100000} $(CARGO) test --workspace --lib adversarial_simulation -- --nocapture

fmt: ## Format the code (`make fmt CHECK=1` only checks)
	$(CARGO) fmt --all $(if $(CHECK),-- --check,)

lint: setup ## Clippy with warnings as errors
	$(CARGO) clippy --workspace --all-targets -- -D warnings

bench: setup ## Run the benchmarks (numbers go to docs/BENCHMARKS.md)
	$(CARGO) bench -p hypha-compute

# The node, the daemons and the bench in release, as a user runs them (the
# first release build takes about as long as the first debug build).
RELEASE_BINS := -p hypha-node -p hypha-worker -p hypha-verifier -p hypha-cli -p hypha-e2e

bench-market: setup ## The market against the chain: transfers/s, job lifecycles/s with 4 workers and 2 verifiers, latency percentiles, verification overhead; release builds (ARGS="--jobs 480" to change; numbers go to docs/BENCHMARKS.md)
	$(CARGO) build --release $(RELEASE_BINS) --bins
	$(CARGO) run --release -q -p hypha-e2e --bin market-bench -- $(ARGS)

bench-gateway: setup ## A completion through the OpenAI gateway on a dev chain (time to first token, total) against the compute alone; release builds (ARGS="--requests 20"; numbers go to docs/BENCHMARKS.md)
	$(CARGO) build --release $(RELEASE_BINS) -p hypha-gateway --bins
	$(CARGO) run --release -q -p hypha-e2e --bin gateway-bench -- $(ARGS)

soak-market: setup ## 1000 jobs on a 3-validator testnet while a worker, a verifier and a validator are killed at random; every token must add up (release builds; ARGS="--jobs 200 --seed 3")
	$(CARGO) build --release $(RELEASE_BINS) --bins
	$(CARGO) run --release -q -p hypha-e2e --bin market-soak -- $(ARGS)

# candle's q8_0 kernels pick AVX2 at compile time (Hypha's at run time), so
# the comparison is built for this CPU, in a target directory of its own:
# RUSTFLAGS in the shared one would rebuild every crate.
LM_BENCH_TARGET := $(HOME)/.cache/hypha-target-native

bench-lm: setup ## The shipped language model on the CPU: Hypha's integer path against candle's q8_0 Llama, prompt and generated tokens/s (numbers go to docs/BENCHMARKS.md)
	RUSTFLAGS="-C target-cpu=native" HYPHA_TARGET_DIR=$(LM_BENCH_TARGET) $(CARGO) run --release -p hypha-lm-bench --bin lm-bench

bench-blobstore: setup ## The blob store over loopback HTTP, on disk and on S3 (s3s-fs), against the disk: put/get/checked-get MB/s and peak RSS streaming a 512 MiB blob (ARGS="--mib 2048"; numbers go to docs/BENCHMARKS.md)
	$(CARGO) run --release -q -p hypha-blobstore --bin blob-bench -- $(ARGS)

weights: setup ## Benchmark the pallets on the runtime's wasm and rewrite their weights.rs (long: builds the node with benchmarks)
	./scripts/weights.sh

metadata: build ## Refresh client/metadata/hypha.scale from the runtime
	$(NODE) export-metadata --output client/metadata/hypha.scale
	@echo "metadata: wrote client/metadata/hypha.scale; rebuild the client to pick it up"

chain-specs: build ## Regenerate the checked-in chain specs in chain-spec/
	$(NODE) build-spec --chain dev --disable-default-bootnode > chain-spec/dev.json
	$(NODE) build-spec --chain local --disable-default-bootnode > chain-spec/local.json

demo: build ## Run the marketplace: chain, worker, verifier; train and evaluate on digits through paid, audited jobs
	./scripts/demo.sh

polkadot-js-check: build ## Check with @polkadot/api that a dev node exposes the marketplace and governance calls (needs npm)
	./scripts/polkadot-js-check.sh

digits-check: setup ## Train on the digits data set and check test accuracy >= 0.95
	$(CARGO) run --release -p hypha-cli --bin hypha -- job digits-check --data data/digits.safetensors

lm-check: build ## Import the shipped language model, compare integer and float perplexity (fail above 5 %), equal digests on every backend
	$(HYPHA) model check data/fortune-lm
