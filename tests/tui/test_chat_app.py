"""`predraft chat` through the Pilot with the real default model: streaming, saving with a rating, model switch."""

from __future__ import annotations

import pytest
from tui_support import settle

from assistant.feedback.store import FeedbackStore
from assistant.tui.screens.chat import ChatScreen
from assistant.tui.screens.rate import RateScreen
from assistant.tui.widgets.transcript import Transcript

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def keys(text: str) -> list[str]:
    return ["space" if c == " " else ("question_mark" if c == "?" else c) for c in text]


async def test_the_persona_answers_as_me_and_the_rated_conversation_is_stored(demo, real_backend):
    app = demo.chat({"base": real_backend}, contact="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*keys("are you coming tonight?"), "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        turns = screen.session.turns
        assert turns[0] == {"speaker": "Maya Chen", "text": "are you coming tonight?", "source": "incoming"}
        mine = [t["text"] for t in turns[1:]]
        assert mine and all(t["speaker"] == "Me" for t in turns[1:])
        lines = [str(s.render()) for s in screen.query_one(Transcript).children]
        assert lines[0].endswith("Maya Chen  are you coming tonight?")
        assert [line.split("Me  ", 1)[1] for line in lines[1:]] == mine
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, RateScreen)
        await pilot.press("4")
        await pilot.pause()
    store = FeedbackStore(demo.settings.feedback_path)
    [saved] = list(store.chat_ratings())
    store.close()
    assert (saved.contact, saved.rating, saved.model_id) == ("Maya Chen", 4, real_backend.model_id)
    assert saved.turns == [{"speaker": t["speaker"], "text": t["text"]} for t in turns]


async def test_the_lora_toggle_switches_models_and_says_which_one_answers(demo, real_backend):
    app = demo.chat({"base": real_backend, "lora": real_backend}, contact="Sam", use_lora=False)
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.screen.query_one("#chat-status")
        assert str(status.render()) == "the base model (Ctrl+L: your LoRA)"
        await pilot.press("ctrl+l")
        assert (app.screen.which, str(status.render())) == ("lora", "your LoRA (Ctrl+L: base model)")
        await pilot.press(*keys("hey"), "enter", "escape")
        await settle(pilot)
        assert not app.screen.generating


async def test_without_a_lora_there_is_nothing_to_toggle(demo, real_backend):
    app = demo.chat({"base": real_backend}, contact="Sam")
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.screen.check_action("toggle_model", ()) is None
        await pilot.press("ctrl+l")
        assert app.screen.which == "base"
        assert str(app.screen.query_one("#chat-status").render()) == "the base model"
