# The two commands of the README: `make demo` and `make test`. Both set everything up first.
.PHONY: setup setup-training setup-synapse demo test test-fast

setup:
	bash scripts/setup.sh

setup-training:
	bash scripts/setup.sh --training

# A Synapse homeserver in its own venv, which the live Matrix tests start on loopback.
setup-synapse:
	bash scripts/setup.sh --synapse

demo: setup
	.venv/bin/predraft demo

# PREDRAFT_NO_SKIP=1: a skipped test fails the run (CI must exercise every real part).
test: setup-training setup-synapse
	bash scripts/ensure-tools.sh
	PREDRAFT_NO_SKIP=1 .venv/bin/python -m pytest

# For iteration: skips tests marked slow (real model, index, Axolotl).
test-fast: setup
	.venv/bin/python -m pytest -m "not slow"
