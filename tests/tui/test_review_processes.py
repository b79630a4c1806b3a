"""The review screen while another process (`predraft watch`) answers its chain: it shows the chain as it
now is and records nothing for drafts the user never saw. Scripted model and list index: seconds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tui_support import settle

from assistant.config import load_settings
from assistant.tui.app import review_app
from assistant.tui.screens.review import CLIPBOARD_FILE, MOVED_ON
from graphs.predraft.api import DraftChain
from tests.unit.graphs.graph_doubles import PAST_EXCHANGES, ListIndex, ScriptedBackend, WordsEmbedder
from tests.worlds.tiny import build_corpus

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(data_dir):
    settings = load_settings(data_dir, {"draft": {"confidence_threshold": 0.0, "past_replies": 0}})
    build_corpus(settings.corpus_path).close()
    return settings


def _chain(settings) -> DraftChain:
    return DraftChain(settings, backend=ScriptedBackend(), index=ListIndex(list(PAST_EXCHANGES), WordsEmbedder()))


def _app(settings):
    return review_app(settings, open_ref="Maya", backend=ScriptedBackend(),
                      index=ListIndex(list(PAST_EXCHANGES), WordsEmbedder()),
                      clock=lambda: datetime(2023, 5, 2, tzinfo=UTC), tz=UTC)


def _notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_accepting_drafts_watch_replaced_shows_the_new_ones_and_records_nothing(settings):
    app = _app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        shown = screen.view
        with _chain(settings) as watch:  # meanwhile, in the other process
            moved = watch.resume(shown.chain_id, "reject")
        await pilot.press("a")
        await settle(pilot)
        assert screen.view.version == moved.version and screen.view.status == "done"
        assert MOVED_ON in _notes(app)
        assert not (settings.data_dir / CLIPBOARD_FILE).exists()  # nothing copied either
    with _chain(settings) as chain:
        assert [d.action for d in chain.feedback.decisions()] == ["reject"]  # watch's, and no accept


async def test_an_answer_that_loses_the_race_is_refused_in_the_worker_too(settings, monkeypatch):
    app = _app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        shown = screen.view
        with _chain(settings) as watch:
            moved = watch.resume(shown.chain_id, "accept", chosen_index=1)
        monkeypatch.setattr(screen, "_moved_on", lambda view: False)  # the change lands after the key's check
        await pilot.press("x")
        await settle(pilot)
        assert (screen.view.version, screen.view.step) == (moved.version, 1)
        assert MOVED_ON in _notes(app)
    with _chain(settings) as chain:
        assert [d.action for d in chain.feedback.decisions()] == ["accept"]


async def test_the_screen_follows_what_watch_drafts_for_the_open_thread(settings):
    app = _app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        with _chain(settings) as watch:
            answered = watch.resume(screen.view.chain_id, "accept")
            screen._follow_other_processes()  # what the screen's timer does every few seconds
            assert screen.view.version == answered.version and screen.view.step == 1
            fresh = watch.start("Maya")  # new messages came in: watch drafts the thread anew
            screen._follow_other_processes()
            assert screen.view.chain_id == fresh.chain_id
        await pilot.pause()
        assert _notes(app).count("Updated by another predraft process (predraft watch?).") == 2


async def test_a_chain_deleted_by_another_process_is_said_not_a_crash(settings):
    app = _app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        with _chain(settings) as other:  # what `predraft consent exclude` does to chains that hold someone
            other.ledger.forget([screen.view.chain_id])
            other._checkpointer.delete_thread(screen.view.chain_id)
        screen._follow_other_processes()
        await pilot.pause()
        assert screen.view is None and app.is_running
        assert "no chain" in str(screen.query_one("#drafts-note").render())
