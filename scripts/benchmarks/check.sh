#!/usr/bin/env bash
# Checks that the weights charged cover the measured cost: runs every Verity pallet's FRAME
# benchmarks again on the wasm runtime at the lowest and highest component values, REPEAT times
# each, and compares the median measured time with the compute part of the pallet's weights.rs
# (check_weights.py; more than MARGIN above it, and 10 µs, fails). Called by scripts/bench.sh;
# runs alone as
#
#   REPEAT=10 MARGIN=0.25 scripts/benchmarks/check.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

REPEAT="${REPEAT:-10}"
MARGIN="${MARGIN:-0.25}"
RUNS="$(mktemp -d)"
trap 'rm -rf "$RUNS"' EXIT

pairs=()
for pallet in ${PALLETS:-models executors inference x402 zk-verifier attestation reexecution}; do
	benchmark_pallet "$pallet" --extrinsic '*' --steps 2 --repeat "$REPEAT" \
		--json-file "$RUNS/$pallet.json" >"$RUNS/$pallet.log" 2>&1 ||
		{ cat "$RUNS/$pallet.log" >&2; exit 1; }
	pairs+=("$RUNS/$pallet.json:$VERITY_ROOT/pallets/$pallet/src/weights.rs")
done
python3 "$VERITY_ROOT/scripts/benchmarks/check_weights.py" --margin "$MARGIN" "${pairs[@]}"
