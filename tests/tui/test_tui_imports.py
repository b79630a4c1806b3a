"""What the TUI's layers may import: widgets and models show a chain without loading the graph, and the context
the screens share is plain data. Each check runs in a fresh interpreter, so nothing imported before counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]
TUI = REPO / "assistant" / "tui"


def loaded_after_importing(modules: list[str], watched: tuple[str, ...]) -> list[str]:
    code = (f"import importlib, json, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
            f"print(json.dumps(sorted(w for w in {watched!r} if w in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def modules_in(folder: str) -> list[str]:
    return [f"assistant.tui.{folder}.{path.stem}" for path in sorted((TUI / folder).glob("*.py"))
            if path.stem != "__init__"]


def test_widgets_and_models_load_neither_langgraph_nor_the_index():
    modules = [*modules_in("widgets"), *modules_in("models"), "graphs.predraft.views"]
    assert len(modules) > 10
    assert loaded_after_importing(modules, ("langgraph", "chromadb", "torch")) == []


def test_the_screen_context_is_plain_data():
    assert loaded_after_importing(["assistant.tui.context"], ("textual", "langgraph")) == []


def test_the_app_imports_its_screens_up_front():
    screens = ("assistant.tui.screens.chat", "assistant.tui.screens.review")
    assert loaded_after_importing(["assistant.tui.app"], screens) == list(screens)
