#!/usr/bin/env bash
# Proving the shipped digits MLP with EZKL versus Verity's Groth16 prover, in one run: prints
# both proving times and proof sizes, and checks that EZKL's logits equal our integer model's.
# See scripts/reference/ezkl_compare.py for how the EZKL circuit is made to match ours.
#
#   scripts/ezkl-compare.sh                  # 5 Groth16 proofs, 1 EZKL proof (~1 min on 2 cores)
#   scripts/ezkl-compare.sh --runs 20 --ezkl-runs 3
#
# Needs the workspace built (scripts/test.sh builds prove_bench). EZKL, onnx and numpy go into
# their own venv, ~/.cache/verity/ezkl-venv, from PyPI; nothing else is downloaded (the KZG SRS is
# generated locally). Work files: ~/.cache/verity/ezkl-work (the EZKL proving key is ~170 MB).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Pinned so that the comparison is repeatable; EZKL_VERSION=... to try another.
EZKL_VERSION="${EZKL_VERSION:-23.0.5}"
VENV="$HOME/.cache/verity/ezkl-venv"

if [ ! -x "$VENV/bin/python" ]; then
	log "creating $VENV"
	python3 -m venv "$VENV"
fi
if [ "$("$VENV/bin/python" -c 'import ezkl; print(ezkl.__version__)' 2>/dev/null)" != "$EZKL_VERSION" ] ||
	! "$VENV/bin/python" -c 'import onnx, numpy' 2>/dev/null; then
	log "installing ezkl==$EZKL_VERSION, onnx and numpy into $VENV"
	"$VENV/bin/pip" install --quiet "ezkl==$EZKL_VERSION" onnx numpy
fi

exec "$VENV/bin/python" "$VERITY_ROOT/scripts/reference/ezkl_compare.py" \
	--prove-bench "$VERITY_BIN/examples/prove_bench" "$@"
