#!/usr/bin/env bash
# Set up predraft from a fresh clone. Idempotent: rerunning only installs what is missing.
#   scripts/setup.sh             runtime + dev tools in .venv
#   scripts/setup.sh --training  also Axolotl in .venv-axolotl (its pins conflict with langgraph's, so it
#                                gets its own environment, driven by `predraft train` as a subprocess)
#   scripts/setup.sh --synapse   also a Synapse homeserver in .venv-synapse, for the tests of `predraft live
#                                matrix` (tests/integration/live); it is a server, never imported by predraft
#   Flags combine: scripts/setup.sh --training --synapse
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# Hugging Face, Chroma and Axolotl must never reach the network at run time; only pip does, here.
export PIP_DISABLE_PIP_VERSION_CHECK=1

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "predraft needs Python >= 3.11" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> installing predraft and its runtime (llama-cpp-python compiles once, ~15 min on 2 cores; pip caches it)"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e ".[dev,bench]"

for flag in "$@"; do
  case "$flag" in
    --training)
      if [ ! -x .venv-axolotl/bin/python ]; then
        echo "==> creating .venv-axolotl"
        "$PYTHON" -m venv .venv-axolotl
      fi
      echo "==> installing Axolotl into .venv-axolotl (~4 GB, a few minutes)"
      .venv-axolotl/bin/python -m pip install -q --upgrade pip
      .venv-axolotl/bin/python -m pip install -q -c constraints.txt -r training/requirements-axolotl.txt
      ;;
    --synapse)
      if [ ! -x .venv-synapse/bin/python ]; then
        echo "==> creating .venv-synapse"
        "$PYTHON" -m venv .venv-synapse
      fi
      echo "==> installing Synapse into .venv-synapse (~150 MB, a minute)"
      .venv-synapse/bin/python -m pip install -q --upgrade pip
      .venv-synapse/bin/python -m pip install -q -c constraints.txt "matrix-synapse>=1.100,<2"
      ;;
    *) echo "unknown flag $flag (expected --training or --synapse)" >&2; exit 2 ;;
  esac
done
echo "==> ready"
