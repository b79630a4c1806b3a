"""The import layers of pyproject.toml's [tool.importlinter] hold, and the dataset builder stays light."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]


def test_imports_keep_to_the_layer_contracts():
    lint_imports = Path(sys.executable).with_name("lint-imports")  # the console script of this environment
    done = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dataset_builder_loads_neither_the_graph_nor_the_index_libraries():
    heavy = ("graphs", "langgraph", "chromadb", "torch")
    code = f"import sys, training.dataset; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
