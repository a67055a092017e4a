#!/usr/bin/env bash
# Runs the FRAME benchmarks of Verity's pallets on the real wasm runtime and writes each
# pallet's weights.rs, from the larger of the two regressions (min squares, median slopes) at
# each point, so that noise errs towards charging more (scripts/benchmarks/check.sh measures
# what the weights charge against the cost). Needs a built workspace (scripts/test.sh or
# scripts/dev.sh builds it).
#
#   scripts/benchmarks/run.sh            # full run: 50 steps, 20 repeats (minutes per pallet)
#   STEPS=2 REPEAT=1 scripts/benchmarks/run.sh --check   # quick run, weights files untouched
#   PALLETS="x402" scripts/benchmarks/run.sh             # only some pallets
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1

for pallet in ${PALLETS:-models executors inference x402 zk-verifier attestation reexecution}; do
	output="$VERITY_ROOT/pallets/$pallet/src/weights.rs"
	[ "$CHECK" = 1 ] && output="$(mktemp)"
	log "benchmarking pallet_verity_${pallet//-/_} (steps $STEPS, repeat $REPEAT)"
	benchmark_pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--output-analysis max \
		--template "$VERITY_ROOT/scripts/benchmarks/weight-template.hbs" \
		--output "$output"
done
