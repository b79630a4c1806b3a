"""SVG snapshots of the main screens at 120x40 and 80x24 (update with `--snapshot-update`, then review the SVGs).

Deterministic by construction: the bundled demo data, a fixed clock and timezone, and canned model
replies (CannedBackend); the corpus, Chroma index, MiniLM similarities and the graph are real.
Actions that generate run in `run_before`, which waits for the workers before the screenshot.
"""

from __future__ import annotations

import pytest
from canned_backend import CannedBackend
from textual.widgets import Input, TextArea
from tui_support import settle

pytestmark = pytest.mark.slow  # the real MiniLM embedder ranks the canned drafts


async def drafted(pilot) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()  # toasts name the temporary data dir


def pressing(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        pilot.app.clear_notifications()
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False  # a blinking cursor would make two runs differ
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False

    return run_before


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_review_with_drafts_evidence_and_threads(snap_compare, demo, size):
    app = demo.review(CannedBackend(), open_ref="Maya Chen")
    assert snap_compare(app, terminal_size=size, run_before=drafted)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_review_after_accepting_shows_the_predicted_chain(snap_compare, demo, size):
    app = demo.review(CannedBackend(), open_ref="Maya Chen")
    assert snap_compare(app, terminal_size=size, run_before=pressing("c", "a"))


def test_review_help_screen(snap_compare, demo):
    app = demo.review(CannedBackend(), open_ref="Maya Chen")
    assert snap_compare(app, terminal_size=(120, 40), run_before=drafted, press=["f1"])


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_review_edit_screen(snap_compare, demo, size):
    app = demo.review(CannedBackend(), open_ref="Maya Chen")
    assert snap_compare(app, terminal_size=size, run_before=pressing("e", "end", "space", "x", "o"))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_chat_after_one_exchange(snap_compare, demo, size):
    app = demo.chat({"base": CannedBackend()}, contact="Maya Chen")
    keys = [*"are", "space", *"you", "space", *"coming", "question_mark", "enter"]
    assert snap_compare(app, terminal_size=size, run_before=pressing(*keys))
