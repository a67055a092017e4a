#!/usr/bin/env bash
# Fuzzes verity-tee's quote and collateral handling (what the runtime hands the DCAP host
# function) with cargo-fuzz on nightly, for FUZZ_SECONDS (default 60), from the corpus in
# tee/fuzz/corpus. Not part of scripts/test.sh: it needs nightly and a sanitizer build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cd "$VERITY_ROOT/tee/fuzz"
cargo +nightly fuzz run quote_and_collateral --fuzz-dir . --target-dir "$HOME/.cache/verity/fuzz-target" -- \
	-max_total_time="${FUZZ_SECONDS:-60}" -max_len=20000
