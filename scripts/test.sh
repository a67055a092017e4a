#!/usr/bin/env bash
# The test command: sets the machine up, builds the workspace once, then runs every test of it
# (unit, property, runtime, and the integration tests that start the real verity-node binary),
# and ends with one summary line: "verity: N passed, M failed".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$VERITY_ROOT/scripts/setup.sh"
build_workspace

log "running every test of the workspace"
cd "$VERITY_ROOT"
output="$(mktemp)"
trap 'rm -f "$output"' EXIT
set +e
cargo test --release --workspace --locked --no-fail-fast "$@" 2>&1 | tee "$output"
status=${PIPESTATUS[0]}
set -e

# Sum cargo's per-binary "test result:" lines into one line a reader (or CI) can trust.
awk '/^test result:/ {
	for (i = 1; i <= NF; i++) {
		if ($(i + 1) ~ /^passed/) passed += $i
		if ($(i + 1) ~ /^failed/) failed += $i
	}
}
END { printf "verity: %d passed, %d failed\n", passed, failed }' "$output"
exit "$status"
