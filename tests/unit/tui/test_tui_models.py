"""The TUI's plain models: transcript layout, thread list, autosave, chain lines, chat prompts."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.config import load_settings
from assistant.corpus.models import Kind, Message
from assistant.files import write_atomic
from assistant.tui.models.autosave import EditAutosave
from assistant.tui.models.chat import ChatSession
from assistant.tui.models.review import chain_lines, cycle, status_text
from assistant.tui.models.threads import ThreadItem, matches, next_pending, relative_age
from assistant.tui.models.transcript import TranscriptItem, day_label, transcript_items
from graphs.predraft.views import Candidate, ChainView

CHICAGO = ZoneInfo("America/Chicago")


def message(i: int, when: datetime, text: str, *, me: bool = False, kind: Kind = Kind.TEXT, media: str | None = None,
            offset: int | None = None) -> Message:
    return Message(id=i, thread_id=1, sender_id=1 if me else 2, sender="Alex" if me else "Maya", timestamp=when,
                   utc_offset_min=offset, text=text, kind=kind, media=media, message_id=None, reply_to=None,
                   edited=False, unsent=False, forwarded=False, is_me=me)


def test_transcript_has_day_separators_local_times_and_sets_media_and_system_lines_apart():
    messages = [
        message(1, datetime(2025, 6, 19, 1, 30, tzinfo=UTC), "you're coming?"),  # 20:30 on the 18th in Chicago
        message(2, datetime(2025, 6, 19, 1, 41, tzinfo=UTC), "", kind=Kind.MEDIA, media="image", me=True),
        message(3, datetime(2025, 6, 21, 15, 0, tzinfo=UTC), "Maya joined", kind=Kind.SYSTEM),
        message(4, datetime(2025, 6, 22, 9, 0, tzinfo=UTC), "morning", offset=120),  # stated +02:00
    ]
    items = transcript_items(messages, CHICAGO, today=date(2025, 6, 22))
    assert items == [
        TranscriptItem("day", "Wednesday 18 June 2025"),
        TranscriptItem("text", "you're coming?", sender="Maya", time="20:30"),
        TranscriptItem("media", "<image>", sender="Alex", time="20:41", is_me=True),
        TranscriptItem("day", "Yesterday"),
        TranscriptItem("system", "Maya joined", sender="Maya", time="10:00"),
        TranscriptItem("day", "Today"),
        TranscriptItem("text", "morning", sender="Maya", time="11:00"),
    ]


def test_transcript_shows_the_latest_messages_and_says_how_many_came_before():
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    messages = [message(i, start + timedelta(minutes=i), f"m{i}") for i in range(10)]
    items = transcript_items(messages, UTC, today=date(2025, 1, 1), limit=3)
    assert [i.text for i in items] == ["7 earlier messages not shown", "Today", "m7", "m8", "m9"]
    assert day_label(date(2024, 2, 29), date(2025, 1, 1)) == "Thursday 29 February 2024"


def item(i: int, title: str, pending: bool = False) -> ThreadItem:
    return ThreadItem(id=i, title=title, platform="whatsapp", is_group=False, messages=3, last_at=None,
                      last_is_me=False, excluded=False, pending=pending)


def test_thread_search_and_next_pending_wraps_around():
    items = [item(1, "Maya Chen", True), item(2, "Sam Okafor"), item(3, "Climbing Crew", True)]
    assert [i.id for i in items if matches(i, "chen")] == [1]
    assert [i.id for i in items if matches(i, "whatsapp crew")] == [3]
    assert next_pending(items, 1).id == 3
    assert next_pending(items, 3).id == 1
    assert next_pending(items, 2).id == 3
    assert next_pending([item(1, "Maya Chen", True)], 1) is None


@pytest.mark.parametrize(("seconds", "label"), [(30, "now"), (300, "5m"), (7200, "2h"), (3 * 86400, "3d"),
                                                (15 * 86400, "2w"), (70 * 86400, "2mo"), (800 * 86400, "2y")])
def test_relative_age(seconds, label):
    now = datetime(2025, 6, 22, tzinfo=UTC)
    assert relative_age(now - timedelta(seconds=seconds), now) == label


def test_autosave_writes_atomically_restores_and_discards(tmp_path: Path):
    saves = EditAutosave(tmp_path)
    saves.save("3-abc", 1, 3, "first", 0)
    path = saves.save("3-abc", 1, 3, "first draft, edited", 1)
    assert json.loads(path.read_text())["text"] == "first draft, edited"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    restored = saves.load("3-abc", 1)
    assert (restored.text, restored.chosen_index, restored.thread_id) == ("first draft, edited", 1, 3)
    saves.save("4/../x", 0, 4, "other", None)  # a chain id is never a path
    assert {e.chain_id for e in saves.pending()} == {"3-abc", "4/../x"}
    saves.discard("3-abc", 1)
    assert saves.load("3-abc", 1) is None and [e.text for e in saves.pending()] == ["other"]


def test_a_write_that_fails_leaves_the_previous_version(tmp_path: Path, monkeypatch):
    target = write_atomic(tmp_path / "draft.json", "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["draft.json"]


def view(**kw) -> ChainView:
    base = dict(chain_id="c", thread_id=1, step=1, status="awaiting_review", confidence=0.62, evidence=[],
                predicted_incoming="see you at 7", predraft=[], prompt="", history=[], depth=2,
                candidates=[Candidate("yes! bringing dessert", -0.5, 0.4, 0.62), Candidate("ok", -0.2, 0.1, 0.5)],
                context=[{"speaker": "Maya", "text": "dinner?", "source": "corpus"},
                         {"speaker": "Me", "text": "yes", "source": "accepted"},
                         {"speaker": "Maya", "text": "see you at 7", "source": "predicted"}])
    return ChainView(**(base | kw))


def test_chain_lines_show_what_was_sent_predicted_and_predrafted():
    assert [(line.role, line.speaker, line.text) for line in chain_lines(view())] == [
        ("sent", "Me", "yes"), ("predicted", "Maya", "see you at 7"), ("predraft", "Me", "yes! bringing dessert"),
    ]
    assert [line.role for line in chain_lines(view(status="done"))] == ["sent", "predicted"]
    also = chain_lines(view(alternatives=["running late!", "can't make it"], contact="Maya"))
    assert [(line.role, line.text) for line in also][1:3] == [("predicted", "see you at 7"),
                                                              ("alternatives", "running late! | can't make it")]
    assert "alternatives" not in [line.role for line in chain_lines(view(alternatives=["x"], incoming="hi"))]
    assert status_text(view(), 0.35) == "step 2/2 · confidence 0.62"
    assert status_text(view(status="low_confidence", confidence=0.2), 0.35) == \
        "step 2/2 · confidence 0.20 · below the 0.35 gate"
    assert status_text(view(candidates=[]), 0.35) == "step 2/2 · no drafts"
    assert (cycle(1, 2), cycle(0, 3), cycle(0, 0)) == (0, 1, 0)


def test_chat_prompt_is_the_training_format_and_replies_are_parsed(tmp_path: Path):
    settings = load_settings(tmp_path)
    chat = ChatSession(contact="Maya Chen", as_of=date(2022, 12, 31))
    chat.say("are you coming tonight?\nbring the speaker")
    assert chat.prompt(settings, today=date(2025, 1, 1)) == (
        "### WhatsApp chat with Maya Chen · Saturday 2022-12-31\n"
        "Maya Chen: are you coming tonight?\nMaya Chen: bring the speaker\nMe:"
    )
    assert chat.answer(" yes!\nMe: on my way\nMaya Chen: great") == ["yes!", "on my way"]
    assert "\nMaya Chen:" in chat.options(settings).stop
    rating = chat.rating(4, "gemma", "")
    assert (rating.rating, rating.as_of, [t["speaker"] for t in rating.turns]) == \
        (4, "2022-12-31", ["Maya Chen", "Maya Chen", "Me", "Me"])
