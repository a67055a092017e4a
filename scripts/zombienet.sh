#!/usr/bin/env bash
# Network tests with zombienet (native provider): real verity-node validators and real
# verity-executor processes on loopback.
#
#   scripts/zombienet.sh          # the full test: zombienet/local.zndsl (four validators)
#   scripts/zombienet.sh ci       # the reduced test CI runs: zombienet/ci.zndsl (two validators)
#
# It installs @zombienet/cli into zombienet/node_modules (no global install), builds the
# workspace, runs the test, and leaves every log in one folder ($VERITY_ZOMBIENET_LOGS, default
# a fresh /tmp/verity-zombienet.XXXX), which it prints. Nodes and executors are stopped and the
# chains' databases removed, even when the test fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TEST="${1:-local}"
[ -f "$VERITY_ROOT/zombienet/$TEST.zndsl" ] || { log "no zombienet/$TEST.zndsl"; exit 2; }

if [ "${VERITY_SKIP_BUILD:-0}" != 1 ]; then
	"$VERITY_ROOT/scripts/setup.sh"
	build_workspace
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	log "CANNOT run zombienet: no node/npm on PATH (Debian: apt-get install nodejs npm)"
	exit 1
fi

cd "$VERITY_ROOT/zombienet"
if [ ! -x node_modules/.bin/zombienet ]; then
	log "installing @zombienet/cli (npm, into zombienet/node_modules)"
	# package.json overrides `toml` to 3.0.0: @zombienet/utils asks for a git fork that cannot
	# be fetched from the registry.
	npm install --no-audit --no-fund --loglevel=error
fi

LOGS="${VERITY_ZOMBIENET_LOGS:-$(mktemp -d /tmp/verity-zombienet.XXXX)}"
mkdir -p "$LOGS"
export VERITY_ZN_DIR="$LOGS"
export PATH="$VERITY_BIN:$PATH"

cleanup() {
	# Executors the test started and did not stop (it failed half-way).
	for pid_file in "$LOGS"/executor-*.pid; do
		[ -f "$pid_file" ] && kill -9 "$(cat "$pid_file")" 2>/dev/null || true
		rm -f "$pid_file"
	done
	# zombienet stops its nodes itself; make sure, then keep the logs and drop the rest (the
	# chains' databases and keystores, the chain specs).
	pkill -9 -f -- "--base-path $LOGS/network" 2>/dev/null || true
	find "$LOGS/network" -mindepth 1 -maxdepth 1 ! -name '*.log' ! -name logs -exec rm -rf {} + 2>/dev/null || true
	log "logs: $LOGS"
}
trap cleanup EXIT

log "zombienet test zombienet/$TEST.zndsl (logs in $LOGS)"
node_modules/.bin/zombienet test --provider native --dir "$LOGS/network" --force "$TEST.zndsl"
