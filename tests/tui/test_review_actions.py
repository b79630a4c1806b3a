"""Every review action, driven through Textual's Pilot against the real chain, index and default model."""

from __future__ import annotations

import json

import pytest
from textual.widgets import TextArea
from tui_support import settle

from assistant.tui.app import review_app
from assistant.tui.models.autosave import EditAutosave
from assistant.tui.screens.edit import EditScreen
from assistant.tui.screens.help import HelpScreen
from assistant.tui.screens.review import CLIPBOARD_FILE, ReviewScreen
from assistant.tui.widgets.candidate_card import CandidateCard
from assistant.tui.widgets.chain_panel import ChainPanel
from assistant.tui.widgets.drafts_panel import DraftsPanel
from assistant.tui.widgets.evidence_panel import EvidencePanel
from assistant.tui.widgets.thread_list import ThreadList
from assistant.tui.widgets.transcript import Transcript
from tests.worlds.demo import CLOCK, TZ

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def notes(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def keys(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


async def opened(pilot) -> ReviewScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReviewScreen)
    assert screen.view is not None and screen.view.candidates, "the opening drafts should be ready"
    return screen


async def test_opening_a_thread_streams_drafts_with_evidence_and_badges_it(demo, real_backend):
    app = demo.review(real_backend, open_ref="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        streamed = ""
        for _ in range(600):  # the first tokens show while the candidates are still being written
            await pilot.pause(0.05)
            streamed = "".join(c.streamed for c in app.screen.query(CandidateCard))
            if streamed.strip():
                break
        assert streamed.strip(), "no token reached the drafts pane while generating"
        screen = await opened(pilot)
        view = screen.view
        assert (view.step, view.depth, len(view.candidates)) == (0, 2, len(screen.query(CandidateCard)))
        sources = [c.source for c in view.candidates]
        assert 1 <= sources.count("model") <= 2 and sources.count("past") <= demo.settings.draft.past_replies
        transcript = [str(s.render()) for s in screen.query_one(Transcript).children]
        assert "just you" in transcript[-1] and "Maya Chen" in transcript[-1]
        assert any("Thursday 19 June 2025" in line for line in transcript)
        evidence = screen.query_one(EvidencePanel)
        assert len(evidence.children) == len(view.evidence) == 5
        assert all("20" in str(s.render())[:4] for s in evidence.children)  # each one dated
        assert all(e.exchange.contact != "Jordan Lee" for e in view.evidence)  # excluded from the index
        maya = next(i for i in screen.items if i.title == "Maya Chen")
        assert maya.pending and screen.query_one(ThreadList).border_title == "Threads · 1 ●"


async def test_accept_copies_records_and_predrafts_the_next_step(demo, real_backend):
    app = demo.review(real_backend, open_ref="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        first = screen.view
        chosen = first.candidates[0].text
        await pilot.press("a")
        await settle(pilot)
        assert app.clipboard == chosen
        assert (demo.settings.data_dir / CLIPBOARD_FILE).read_text() == chosen + "\n"
        [decision] = demo.decisions()
        assert (decision.action, decision.chosen_index, decision.final_text, decision.step) == ("accept", 0, chosen, 0)
        assert decision.chain_id == first.chain_id and decision.prompt == first.prompt
        view = screen.view
        assert (view.step, view.status != "done") == (1, True)
        assert view.predicted_incoming
        chain_text = str(screen.query_one(ChainPanel).render())
        assert all(f"you sent: {message}" in chain_text for message in chosen.split("\n"))  # one line each
        assert f"Maya Chen, predicted: {view.predicted_incoming}" in chain_text
        assert any(n.startswith(": Accepted #1. Copied to the clipboard") for n in notes(app))


async def test_edit_autosaves_every_change_and_saving_records_the_edit(demo, real_backend):
    app = demo.review(real_backend, open_ref="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        view = screen.view
        await pilot.press("c")  # the edit starts from the second candidate when there is one
        index = screen.selected
        await pilot.press("e")
        assert isinstance(app.screen, EditScreen)
        await pilot.press(*keys(" and you"))
        expected = view.candidates[index].text + " and you"
        saved = json.loads(EditAutosave(demo.settings.data_dir).path(view.chain_id, 0).read_text())
        assert (saved["text"], saved["chosen_index"], saved["step"]) == (expected, index, 0)
        await pilot.press("ctrl+s")
        await settle(pilot)
        [decision] = demo.decisions()
        assert (decision.action, decision.final_text, decision.chosen_index) == ("edit", expected, index)
        assert decision.edit_distance == len(" and you")
        assert app.clipboard == expected
        assert not EditAutosave(demo.settings.data_dir).path(view.chain_id, 0).exists()
        assert screen.view.step == 1


async def test_an_edit_survives_a_crash_and_is_restored_on_the_next_start(demo, real_backend):
    class SimulatedCrash(Exception):
        pass

    app = demo.review(real_backend, open_ref="Maya Chen")
    with pytest.raises(SimulatedCrash):
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await opened(pilot)
            chain_id = screen.view.chain_id
            typed = screen.view.candidates[0].text + " see you"
            await pilot.press("e", *keys(" see you"))
            raise SimulatedCrash  # the app dies with the editor open: no save, no clean exit

    again = demo.review(real_backend)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(again.screen, EditScreen)
        assert again.screen.query_one(TextArea).text == typed
        assert any(n.startswith("Edit restored: Restored your unsaved edit") for n in notes(again))
        await pilot.press("ctrl+s")
        await settle(pilot)
    [decision] = demo.decisions()
    assert (decision.action, decision.final_text, decision.chain_id) == ("edit", typed, chain_id)


async def test_regenerate_records_the_decision_and_drafts_again(demo, real_backend):
    app = demo.review(real_backend, open_ref="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        chain_id = screen.view.chain_id
        await pilot.press("r")
        await settle(pilot)
        assert [d.action for d in demo.decisions()] == ["regenerate"]
        view = screen.view
        assert (view.chain_id, view.step, view.candidates != []) == (chain_id, 0, True)
        assert [h["event"] for h in view.history] == ["regenerate"]


async def test_reject_ends_the_chain_and_clears_the_badge(demo, real_backend):
    app = demo.review(real_backend, open_ref="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert [d.action for d in demo.decisions()] == ["reject"]
        assert screen.view.status == "done"
        assert "This chain is finished" in str(screen.query_one("#drafts-note").render())
        assert not next(i for i in screen.items if i.title == "Maya Chen").pending
        assert screen.query_one(ThreadList).border_title == "Threads"


async def test_escape_cancels_a_generation_in_progress(demo, real_backend):
    # Holding the model's lock keeps the generation from producing its first token until Esc is in,
    # so the test does not race the model (one Llama context: the backend serialises every call on it).
    app = demo.review(real_backend, open_ref="Maya Chen")
    real_backend._lock.acquire()
    held = True
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert screen.generating  # drafting started when the thread opened
            await pilot.press("escape")
            assert screen._cancel.is_set()
            real_backend._lock.release()
            held = False
            await settle(pilot)
            assert not screen.generating
            assert (screen.view.status, screen.view.candidates) == ("low_confidence", [])
            assert "No drafts (cancelled" in str(screen.query_one("#drafts-note").render())
            assert any(n.startswith("Generation cancelled:") for n in notes(app))
            await pilot.press("r")  # drafting again works
            await settle(pilot)
            assert screen.view.candidates and not screen._cancel.is_set()
    finally:
        if held:
            real_backend._lock.release()


async def test_the_command_palette_runs_review_actions_and_opens_threads(demo, real_backend):
    app = demo.review(real_backend, open_ref="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        maya = screen.thread_id
        await pilot.press("ctrl+p", *keys("reject the drafts"))
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        [decision] = demo.decisions()
        assert (decision.action, decision.thread_id, screen.view.status) == ("reject", maya, "done")
        await pilot.press("ctrl+p", *keys("open thread sam"))
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.sub_title == "Sam Okafor"
        assert "Sam Okafor" in screen.query_one(Transcript).border_title
        assert "You wrote last" in str(screen.query_one("#drafts-note").render())


async def test_next_pending_search_help_and_an_excluded_thread(demo, real_backend):
    app = demo.review(real_backend, open_ref="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await pilot.press("n")
        assert "No other thread has drafts waiting" in notes(app)[-1]
        await pilot.press("slash", *keys("jordan"), "enter")
        await settle(pilot)
        assert screen.sub_title == "Jordan Lee"
        assert "did not consent" in str(screen.query_one("#drafts-note").render())
        assert screen.check_action("regenerate", ()) is None and screen.view is None
        await pilot.press("n")  # back to the thread with drafts waiting
        await settle(pilot)
        assert screen.sub_title == "Maya Chen" and screen.view.candidates
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        help_text = " ".join(str(label.render()) for label in app.screen.query("Label"))
        assert "Accept the selected draft" in help_text and "f1 / ?" in help_text
        await pilot.press("escape")
        assert app.screen is screen


async def test_a_model_that_fails_to_load_is_a_notification_not_a_crash(demo):
    broken = demo.settings.model_copy(update={"model": demo.settings.model.model_copy(
        update={"gguf_path": str(demo.settings.data_dir / "missing.gguf")})})
    app = review_app(broken, open_ref="Maya Chen", index=demo.index, clock=lambda: CLOCK, tz=TZ)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert any(n.startswith("Drafting failed: the model file") and "missing.gguf" in n for n in notes(app))
        assert "Drafting failed" in str(app.screen.query_one("#drafts-note").render())
        assert app.screen.query_one(DraftsPanel).border_title == "Drafts · error"
        assert app.is_running


async def test_the_chain_panel_says_how_often_predictions_hit(demo, real_backend):
    from graphs.predraft.ledger import ChainLedger, PredictionOutcome

    ledger = ChainLedger(demo.settings.feedback_path)
    for step, hit in enumerate([True, False, False, False]):
        ledger.record_prediction(PredictionOutcome("earlier-chain", step, 1, "see you at 7", "see you at 7" if hit
                                                   else "running late", 1.0 if hit else 0.3, hit))
    ledger.close()
    app = demo.review(real_backend, open_ref="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        assert screen.query_one(ChainPanel).border_subtitle == "predictions hit 1 of 4 (25%)"
