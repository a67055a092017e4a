#!/usr/bin/env bash
# The test command: sets the machine up, builds the workspace once, then runs every test of it
# (unit, runtime, and the integration tests that start the real verity-node binary).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$VERITY_ROOT/scripts/setup.sh"
build_workspace

log "running every test of the workspace"
cd "$VERITY_ROOT"
cargo test --release --workspace --locked --no-fail-fast "$@"
