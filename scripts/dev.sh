#!/usr/bin/env bash
# The main job: sets the machine up, builds, and runs a Verity development chain with an executor
# serving the shipped models and the x402 gateway, ready for a paid inference.
#
#   scripts/dev.sh            # Alice authors and finalizes 6-second blocks (Aura + GRANDPA)
#   scripts/dev.sh --sealing instant   # a block as soon as a transaction arrives
#
# Extra arguments go to verity-node. The chain's state lives in $VERITY_DEV_BASE
# (default: ~/.local/share/verity/dev); it is wiped at start unless VERITY_KEEP_STATE=1.
# Ctrl-C stops the node cleanly.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$VERITY_ROOT/scripts/setup.sh"
build_workspace

BASE="${VERITY_DEV_BASE:-$HOME/.local/share/verity/dev}"
RPC_PORT="${VERITY_RPC_PORT:-9944}"
if [ "${VERITY_KEEP_STATE:-0}" != 1 ]; then
	rm -rf "$BASE"
fi
mkdir -p "$BASE"

log "starting verity-node --dev (state in $BASE, log in $BASE/node.log)"
# //Charlie settles x402 payments (x402_settle) and pays their fees: a dev-only key.
"$VERITY_BIN/verity-node" --dev --base-path "$BASE" --rpc-port "$RPC_PORT" \
	--rpc-cors all --x402-facilitator //Charlie "$@" 2> >(tee "$BASE/node.log" >&2) &
NODE_PID=$!
trap 'kill -INT $NODE_PID 2>/dev/null; wait $NODE_PID' INT TERM EXIT

for _ in $(seq 1 120); do
	if curl -sf -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}' \
		"http://127.0.0.1:$RPC_PORT" >/dev/null 2>&1; then
		break
	fi
	sleep 0.5
done

rpc() {
	curl -s -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" \
		"http://127.0.0.1:$RPC_PORT"
}
GENESIS="$(rpc chain_getBlockHash '[0]' | sed -E 's/.*"result":"0x([0-9a-f]{32}).*/\1/')"
# Until its first block the chain has no clock, so no payment can be checked: wait for it.
for _ in $(seq 1 60); do
	rpc chain_getHeader | grep -q '"number":"0x0"' || break
	sleep 0.5
done

# The dev chain's executor, Ferdie (registered in genesis at http://127.0.0.1:9955), serving
# the shipped models from $VERITY_MODELS_DIR on the CPU. //Ferdie is a dev-only key. Its tee tier
# is attested by the TEST ONLY test PKI, which dev chains trust: no hardware is involved.
log "starting verity-executor as //Ferdie (log in $BASE/executor.log)"
"$VERITY_BIN/verity-executor" --node-url "ws://127.0.0.1:$RPC_PORT" --key //Ferdie \
	--listen 127.0.0.1:9955 --models-dir "$VERITY_MODELS_DIR" --attestor test-pki \
	2> >(tee "$BASE/executor.log" >&2) &
EXECUTOR_PID=$!
trap 'kill -INT $EXECUTOR_PID 2>/dev/null; wait $EXECUTOR_PID; kill -INT $NODE_PID 2>/dev/null; wait $NODE_PID' INT TERM EXIT
for _ in $(seq 1 120); do
	curl -sf http://127.0.0.1:9955/health >/dev/null 2>&1 && break
	sleep 0.5
done

# The x402 gateway: agents pay for inferences over HTTP. //Eve relays the paid jobs and pays
# their transaction fees: a dev-only key. Models are named by their folders; an id is the
# SHA-256 of the weights file, as on chain. The web page's form pays as //Bob or //Charlie.
GATEWAY_PORT="${VERITY_GATEWAY_PORT:-8402}"
DIGITS_ID="0x$(sha256sum "$VERITY_MODELS_DIR/digits-mlp/model.vmlp" | cut -d' ' -f1)"
MINILM_ID="0x$(sha256sum "$VERITY_MODELS_DIR/all-minilm-l6-v2/model.safetensors" | cut -d' ' -f1)"
log "starting verity-gateway with //Eve as relayer (log in $BASE/gateway.log)"
"$VERITY_BIN/verity-gateway" --node-url "ws://127.0.0.1:$RPC_PORT" --key //Eve \
	--listen "127.0.0.1:$GATEWAY_PORT" --model "digits-mlp=$DIGITS_ID" --model "all-minilm-l6-v2=$MINILM_ID" \
	--dev-payer //Bob --dev-payer //Charlie \
	2> >(tee "$BASE/gateway.log" >&2) &
GATEWAY_PID=$!
trap 'kill -INT $GATEWAY_PID 2>/dev/null; wait $GATEWAY_PID; kill -INT $EXECUTOR_PID 2>/dev/null; wait $EXECUTOR_PID; kill -INT $NODE_PID 2>/dev/null; wait $NODE_PID' INT TERM EXIT
for _ in $(seq 1 120); do
	curl -sf "http://127.0.0.1:$GATEWAY_PORT/health" >/dev/null 2>&1 && break
	sleep 0.5
done
INFER="http://127.0.0.1:$GATEWAY_PORT/v1/models/all-minilm-l6-v2/infer"

cat >&2 <<MSG

  Verity dev chain running.
    JSON-RPC / WebSocket: ws://127.0.0.1:$RPC_PORT  (also http://127.0.0.1:$RPC_PORT)
    polkadot.js apps:     https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A$RPC_PORT
    Best block:           curl -s -H 'Content-Type: application/json' \\
                            -d '{"jsonrpc":"2.0","id":1,"method":"chain_getHeader","params":[]}' \\
                            http://127.0.0.1:$RPC_PORT
  Dev accounts //Alice ... //Ferdie hold 1,000,000 VRT and 100,000 vUSD (asset 1).
    x402 network:         polkadot:$GENESIS   (binding: docs/x402.md)
    x402 facilitator:     //Charlie settles through x402_settle; what it accepts:
                            curl -s -H 'Content-Type: application/json' \\
                            -d '{"jsonrpc":"2.0","id":1,"method":"x402_supported","params":[]}' \\
                            http://127.0.0.1:$RPC_PORT
  Executor:               //Ferdie at http://127.0.0.1:9955 (/health, /metrics), serving
                            digits-mlp (integer MLP; signed, tee and zk tiers) and all-minilm-l6-v2
                            (candle, CPU; signed and tee). Its tee attestation is TEST ONLY (test PKI).
  x402 gateway:           http://127.0.0.1:$GATEWAY_PORT (/openapi.json, /metrics); //Eve relays paid jobs
  Web page (tiers over time, recent jobs and their checks, a paid-inference form):
    http://127.0.0.1:$GATEWAY_PORT/
  Pay for a verified inference over HTTP, as an agent does (402, sign, retry):
    $VERITY_BIN/verity pay $INFER --input "A man is eating food." --key //Bob
  The same paid in vUSD, with the answer as JSON for \`verity verify\`:
    $VERITY_BIN/verity --json pay $INFER --input "A man is eating food." --asset 1 --key //Bob > answer.json
    $VERITY_BIN/verity verify answer.json
  See the 402 and its offers (native token and vUSD):
    curl -si -X POST -H 'Content-Type: application/json' -d '{"input":"A man is eating food."}' $INFER
  Submit a job directly (an extrinsic) and follow it to its verified result:
    $VERITY_BIN/verity infer --model all-MiniLM-L6-v2 --input "A man is eating food." --key //Bob
    $VERITY_BIN/verity infer --model all-MiniLM-L6-v2 --tier tee --input "A man is eating food." --key //Bob
    $VERITY_BIN/examples/job digits-mlp --digit 3 --tier zk
  The registries:
    $VERITY_BIN/verity models list
    $VERITY_BIN/verity executors list
  Ctrl-C stops the gateway, the executor and the node.

MSG
wait $NODE_PID
