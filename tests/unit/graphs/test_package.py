"""`graphs.predraft` imports the chain on first use: training needs its prompt conventions, not LangGraph."""

import subprocess
import sys
from pathlib import Path

import pytest

import graphs.predraft
from graphs.predraft import api

REPO = Path(__file__).parents[3]


def test_training_gets_the_prompt_conventions_without_the_chain_and_its_libraries():
    code = ("import sys, training.examples; "
            "print(sorted(m for m in ('graphs.predraft.api', 'langgraph', 'chromadb', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_chain_is_still_imported_from_the_package():
    from graphs.predraft import DraftChain, prediction_stats

    assert (DraftChain, prediction_stats) == (api.DraftChain, api.prediction_stats)
    with pytest.raises(AttributeError, match="has no attribute 'Drafter'"):
        graphs.predraft.Drafter  # noqa: B018
