#!/usr/bin/env bash
# Throughput benchmarks of the whole pipeline on one machine, written into docs/benchmarks.md
# (between the bench.sh markers):
#   - executor inferences per second for each shipped model (engine_bench, CPU; DEVICE=cuda on a GPU);
#   - zk proving time and peak memory for the digits model (prove_bench);
#   - zk verification of a digits proof (5 public inputs) in the wasm runtime with the BLS12-381
#     host calls, in plain wasm, and natively, in one run (the FRAME benchmarks of the zk verifier);
#   - end-to-end signed-tier jobs per second and p50/p95 latency from submission to JobCompleted,
#     on a dev node with instant sealing plus the executor (loadgen), per model;
#   - paid requests per second and p50/p95 latency of the whole x402 flow through the gateway
#     (gateway/examples/gateway_loadgen), signed and zk tiers, and the node's JSON-RPC calls per
#     paid request during that run (the node's `substrate_rpc_calls_started` counter: the
#     gateway's, the executor's and the payers' calls together);
#   - a challenge's re-run of the digits model in the wasm runtime (the re-execution pallet's FRAME
#     benchmark `reexecute` at the model's parameter count) against the same forward pass natively
#     (mlp/examples/rerun_bench), in one run;
#   - every pallet call and hook: the median measured time against the weight charged
#     (scripts/benchmarks/check.sh); the script fails, after writing the report, if one is over
#     by more than WEIGHT_MARGIN (0.25).
#
#   scripts/bench.sh                 # JOBS=200 MINILM_JOBS=60 SECONDS_PER_MODEL=5 PAID=200
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$VERITY_ROOT/scripts/setup.sh"
build_workspace

JOBS="${JOBS:-200}"
MINILM_JOBS="${MINILM_JOBS:-60}"
SECONDS_PER_MODEL="${SECONDS_PER_MODEL:-5}"
PAID="${PAID:-200}"
DEVICE="${DEVICE:-cpu}"
RPC_PORT="${VERITY_BENCH_RPC_PORT:-19944}"
PROMETHEUS_PORT="${VERITY_BENCH_PROMETHEUS_PORT:-19615}"
BASE="$(mktemp -d)"
cleanup() {
	[ -n "${GATEWAY_PID:-}" ] && kill -INT "$GATEWAY_PID" 2>/dev/null && wait "$GATEWAY_PID" || true
	[ -n "${EXECUTOR_PID:-}" ] && kill -INT "$EXECUTOR_PID" 2>/dev/null && wait "$EXECUTOR_PID" || true
	[ -n "${NODE_PID:-}" ] && kill -INT "$NODE_PID" 2>/dev/null && wait "$NODE_PID" || true
	rm -rf "$BASE"
}
trap cleanup EXIT

log "engine throughput ($DEVICE, ${SECONDS_PER_MODEL}s per model)"
engines="$("$VERITY_BIN/examples/engine_bench" --device "$DEVICE" --seconds "$SECONDS_PER_MODEL" 2>/dev/null)"
echo "$engines"

log "zk proving (digits-mlp, Groth16 over BLS12-381): the workspace's prover, then verity-zkml/parallel"
zk="$("$VERITY_BIN/examples/prove_bench" 20)"
echo "$zk"
# The `parallel` prover in its own target dir, so that the workspace's features stay as they are.
PARALLEL_TARGET="$CARGO_TARGET_DIR/parallel-prover"
(cd "$VERITY_ROOT" && cargo build --release --locked -p verity-zkml --features parallel --example prove_bench \
	--target-dir "$PARALLEL_TARGET")
zk_parallel="$("$PARALLEL_TARGET/release/examples/prove_bench" 20)"
echo "$zk_parallel"

log "zk verification (5 public inputs): runtime with host calls, plain wasm, native"
benchmark_pallet zk-verifier --extrinsic verify_proof,verify_proof_without_host_calls \
	--steps 2 --repeat 20 --low 5 --high 5 --json-file "$BASE/zk-verify.json" >"$BASE/zk-verify.log" 2>&1
zk_verify="$(python3 - "$BASE/zk-verify.json" "$zk" <<'PY'
import json, re, statistics, sys
runs, native = json.load(open(sys.argv[1])), re.search(r"verify_native_mean_ms=([0-9.]+)", sys.argv[2]).group(1)
def name(entry):
	b = entry["benchmark"]
	return b if isinstance(b, str) else bytes(b).decode()
ms = {name(e): statistics.median(r["extrinsic_time"] for r in e["time_results"]) / 1e6 for e in runs}
print(f"public_inputs=5 runtime_host_calls_median_ms={ms['verify_proof']:.2f} "
      f"runtime_plain_wasm_median_ms={ms['verify_proof_without_host_calls']:.2f} native_mean_ms={native}")
PY
)"
echo "$zk_verify"

log "MLP re-execution (digits-mlp): the runtime's re-run (wasm) against native"
rerun_native="$(cd "$VERITY_ROOT" && cargo run --release --locked -q -p verity-mlp --example rerun_bench 20)"
parameters="$(echo "$rerun_native" | sed -E 's/.*parameters=([0-9]+).*/\1/')"
benchmark_pallet reexecution --extrinsic reexecute --steps 2 --repeat 50 --low "$parameters" --high "$parameters" \
	--json-file "$BASE/rerun.json" >"$BASE/rerun.log" 2>&1
rerun="$(python3 - "$BASE/rerun.json" "$rerun_native" <<'PY'
import json, re, statistics, sys
runs, native = json.load(open(sys.argv[1])), float(re.search(r"native_mean_us=([0-9.]+)", sys.argv[2]).group(1))
wasm = statistics.median(r["extrinsic_time"] for r in runs[0]["time_results"]) / 1e3
print(f"{sys.argv[2]}\nruntime_wasm_median_us={wasm:.2f} (file read and decode included) ratio_runtime_to_native={wasm / native:.1f}")
PY
)"
echo "$rerun"

log "weights: the median measured cost of every call and hook against what it is charged"
weights_over=0
weights="$(REPEAT="${WEIGHT_REPEAT:-10}" MARGIN="${WEIGHT_MARGIN:-0.25}" "$VERITY_ROOT/scripts/benchmarks/check.sh")" ||
	weights_over=1
echo "$weights"

log "starting a dev node (instant seal) and the executor"
"$VERITY_BIN/verity-node" --dev --sealing instant --base-path "$BASE/node" --rpc-port "$RPC_PORT" \
	--prometheus-port "$PROMETHEUS_PORT" --no-telemetry 2>"$BASE/node.log" &
NODE_PID=$!
for _ in $(seq 1 120); do
	curl -sf -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}' \
		"http://127.0.0.1:$RPC_PORT" >/dev/null 2>&1 && break
	sleep 0.5
done
"$VERITY_BIN/verity-executor" --node-url "ws://127.0.0.1:$RPC_PORT" --key //Ferdie \
	--listen 127.0.0.1:9955 --device "$DEVICE" 2>"$BASE/executor.log" &
EXECUTOR_PID=$!
for _ in $(seq 1 120); do
	curl -sf http://127.0.0.1:9955/health >/dev/null 2>&1 && break
	sleep 0.5
done

log "end to end: $JOBS digits-mlp jobs, $MINILM_JOBS all-minilm-l6-v2 jobs"
e2e_mlp="$("$VERITY_BIN/examples/loadgen" --node-url "ws://127.0.0.1:$RPC_PORT" --model digits-mlp --jobs "$JOBS" | tail -n 1)"
echo "$e2e_mlp"
e2e_minilm="$("$VERITY_BIN/examples/loadgen" --node-url "ws://127.0.0.1:$RPC_PORT" --model all-minilm-l6-v2 --jobs "$MINILM_JOBS" | tail -n 1)"
echo "$e2e_minilm"

log "through the gateway: $PAID paid requests per tier"
DIGITS_ID="0x$(sha256sum "$VERITY_MODELS_DIR/digits-mlp/model.vmlp" | cut -d' ' -f1)"
# Instant sealing moves the chain's clock a whole slot (6 s) per block, so under load it runs
# far ahead of the wall clock payers sign their validity windows by: offers stay payable for a day.
# The load generator is one client on loopback: no limit on its unpaid requests.
"$VERITY_BIN/verity-gateway" --node-url "ws://127.0.0.1:$RPC_PORT" --key //Eve --listen 127.0.0.1:18402 \
	--model "digits-mlp=$DIGITS_ID" --offer-ttl 86000 --unpaid-per-minute 4000000000 2>"$BASE/gateway.log" &
GATEWAY_PID=$!
for _ in $(seq 1 120); do
	curl -sf http://127.0.0.1:18402/health >/dev/null 2>&1 && break
	sleep 0.5
done
# The node's JSON-RPC calls so far, per method (`method count` lines).
rpc_calls() {
	curl -sf "http://127.0.0.1:$PROMETHEUS_PORT/metrics" | python3 -c '
import re, sys, collections
calls = collections.Counter()
for line in sys.stdin:
	m = re.match(r"substrate_rpc_calls_started\{.*method=\"([^\"]+)\".*\} ([0-9.e+]+)", line)
	if m:
		calls[m.group(1)] += float(m.group(2))
for method, count in sorted(calls.items()):
	print(method, int(count))
'
}
# The calls per paid request between two `rpc_calls` snapshots: in total and per method.
rpc_per_request() {
	python3 - "$1" "$2" "$PAID" <<'PY'
import sys
before = dict(line.split() for line in open(sys.argv[1]) if line.strip())
after = dict(line.split() for line in open(sys.argv[2]) if line.strip())
requests = int(sys.argv[3])
delta = {m: int(after[m]) - int(before.get(m, 0)) for m in after}
delta = {m: d for m, d in delta.items() if d > 0}
parts = " ".join(f"{m}={d / requests:.2f}" for m, d in sorted(delta.items(), key=lambda kv: -kv[1]))
print(f"rpc_calls_per_paid_request={sum(delta.values()) / requests:.2f} ({parts})")
PY
}
paid=""
for tier in signed zk; do
	rpc_calls >"$BASE/rpc-before"
	line="$("$VERITY_BIN/examples/gateway_loadgen" --url http://127.0.0.1:18402/v1/models/digits-mlp/infer \
		--node-url "ws://127.0.0.1:$RPC_PORT" --tier "$tier" --requests "$PAID" --concurrency 8 | tail -n 1)"
	rpc_calls >"$BASE/rpc-after"
	line="$line"$'\n'"  $(rpc_per_request "$BASE/rpc-before" "$BASE/rpc-after")"
	echo "$line"
	paid="$paid$line"$'\n'
done

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') ($(nproc) cores)"
report="$(mktemp)"
{
	echo "<!-- bench.sh:start -->"
	echo "Measured by \`scripts/bench.sh\` on $(date -u +%Y-%m-%d), $cpu, device \`$DEVICE\`."
	echo
	echo "Executor engines, one inference at a time (candle may use every core inside one; \`examples/engine_bench\`):"
	echo
	echo '```text'
	echo "$engines"
	echo '```'
	echo
	echo "zk proving of the digits model (\`zk/examples/prove_bench\`: Groth16, BLS12-381, 20 proofs of"
	echo "held-out digits, arkworks on the CPU; verification takes the runtime's steps, natively), as the"
	echo "workspace builds it (multi-scalar multiplications on every core, through \`ark-ec/parallel\`), then with"
	echo "\`verity-zkml/parallel\` (the whole prover on every core; built apart), $(nproc) cores:"
	echo
	echo '```text'
	echo "$zk"
	echo "parallel: $zk_parallel"
	echo '```'
	echo
	echo "zk verification of one digits proof, the same steps three ways (the zk verifier's FRAME"
	echo "benchmarks \`verify_proof\` and \`verify_proof_without_host_calls\` on the wasm runtime, 20 repeats;"
	echo "native from \`prove_bench\` above):"
	echo
	echo '```text'
	echo "$zk_verify"
	echo '```'
	echo
	echo "A challenge's re-run of the digits model: the re-execution pallet's \`reexecute\` benchmark on the"
	echo "wasm runtime at the model's parameter count (50 repeats, the stored file read and decoded as a"
	echo "challenge does), against the same forward pass natively (\`mlp/examples/rerun_bench\`, every digit"
	echo "of the data set, 20 rounds):"
	echo
	echo '```text'
	echo "$rerun"
	echo '```'
	echo
	echo "Weights against cost: every call and hook of the Verity pallets benchmarked again on the wasm"
	echo "runtime at its lowest and highest component values (\`scripts/benchmarks/check.sh\`, ${WEIGHT_REPEAT:-10} repeats),"
	echo "the median measured time against the compute part of the weight charged (database reads and"
	echo "writes are charged apart); over ${WEIGHT_MARGIN:-0.25} above it fails the run:"
	echo
	echo '```text'
	echo "$weights"
	echo '```'
	echo
	echo "End to end on one dev node with instant sealing and the executor (capacity 4), signed tier,"
	echo "4 payers each keeping one one-job \`submit_jobs\` in flight, resent when the executor is at capacity (\`examples/loadgen\`);"
	echo "latency is from signing the batch to the best block holding \`JobCompleted\`:"
	echo
	echo '```text'
	echo "$e2e_mlp"
	echo "$e2e_minilm"
	echo '```'
	echo
	echo "Paid requests through the x402 gateway (the same node and executor, \`gateway/examples/gateway_loadgen\`):"
	echo "8 requests in flight from 4 payers, each the whole flow as \`verity pay\` runs it (request, 402"
	echo "offer checked against the node, signed payment, retry, answer checked against the chain); latency is from the first request to the verified answer; the node's"
	echo "JSON-RPC calls per paid request count every client of the node during the run (gateway,"
	echo "executor, payers), from its \`substrate_rpc_calls_started\` metric:"
	echo
	echo '```text'
	printf '%s' "$paid"
	echo '```'
	echo "<!-- bench.sh:end -->"
} >"$report"
python3 - "$VERITY_ROOT/docs/benchmarks.md" "$report" <<'PY'
import re, sys
doc_path, report_path = sys.argv[1], sys.argv[2]
doc, report = open(doc_path).read(), open(report_path).read().strip()
pattern = re.compile(r"<!-- bench.sh:start -->.*?<!-- bench.sh:end -->", re.S)
doc = pattern.sub(lambda _: report, doc) if pattern.search(doc) else doc.rstrip() + "\n\n## Pipeline throughput\n\n" + report + "\n"
open(doc_path, "w").write(doc)
PY
rm -f "$report"
log "written to docs/benchmarks.md"
[ "$weights_over" = 0 ] || { log "a call costs more than it is charged (see the weights lines)"; exit 1; }
