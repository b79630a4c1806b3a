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

# A venv and what goes in it: NAME, what it is, pip arguments. Tools with pins that clash with the
# runtime's (Axolotl, Synapse) get venvs of their own.
install_into() {
  local venv=$1 what=$2
  shift 2
  if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating $venv"
    "$PYTHON" -m venv "$venv"
  fi
  echo "==> installing $what into $venv"
  # Large wheels (pyarrow, torch's companions) sometimes arrive cut short; pip resumes them, and a whole
  # second and third pass start over from what is already installed, so a flaky link costs time, not the run.
  local attempt
  for attempt in 1 2 3; do
    # The new pip comes first: the one a venv starts with knows no --resume-retries.
    if "$venv/bin/python" -m pip install -q --retries 10 --upgrade pip &&
      "$venv/bin/python" -m pip install -q --retries 10 --resume-retries 20 -c constraints.txt "$@"; then
      return 0
    fi
    echo "==> pip failed (attempt $attempt of 3) installing into $venv; retrying in $((attempt * 20)) s" >&2
    sleep $((attempt * 20))
  done
  echo "==> could not install $what into $venv after 3 attempts: see pip's error above" >&2
  return 1
}

# llama.cpp compiles for the CPU it is built on (-march=native) unless told otherwise, and a CPU may
# advertise instructions its virtual machine refuses: such a build dies (SIGILL) at its first matrix
# product. The portable build (AVX2, FMA, F16C on x86; NEON on ARM) runs on any CPU of the last decade.
# Set CMAKE_ARGS yourself for another build (CUDA, Metal).
export CMAKE_ARGS=${CMAKE_ARGS:--DGGML_NATIVE=OFF}
install_into .venv "predraft and its runtime (llama-cpp-python compiles once, ~15 min on 2 cores; pip caches it)" \
  -e ".[dev,bench]"
# pip reuses a wheel it cached from an earlier build, whatever CMAKE_ARGS say: one token from the default
# model proves the installed build runs here; else that wheel leaves the cache and is built again.
if ! .venv/bin/python -m assistant.models.runs_here 2>/dev/null; then
  echo "==> the installed llama-cpp-python does not run on this CPU (a wheel built for another one?); rebuilding it"
  llama_version=$(.venv/bin/python -c 'from importlib.metadata import version; print(version("llama-cpp-python"))')
  .venv/bin/python -m pip cache remove llama_cpp_python
  .venv/bin/python -m pip install -q --force-reinstall --no-deps "llama-cpp-python==$llama_version"
  .venv/bin/python -m assistant.models.runs_here
fi

for flag in "$@"; do
  case "$flag" in
    --training) install_into .venv-axolotl "Axolotl (~4 GB, a few minutes)" -r training/requirements-axolotl.txt ;;
    --synapse) install_into .venv-synapse "Synapse (~150 MB, a minute)" "matrix-synapse>=1.100,<2" ;;
    *) echo "unknown flag $flag (expected --training or --synapse)" >&2; exit 2 ;;
  esac
done
echo "==> ready"
