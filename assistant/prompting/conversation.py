"""From a thread's messages to the turns a prompt shows: which messages count, where the conversation
starts, how a message reads, who the header names and on which day.

The draft graph, the retrieval index and the dataset builder all go through these rules, so a
training prompt, an indexed exchange and the prompt `predraft draft` builds see a thread alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Literal, TypedDict

from assistant.corpus.models import Kind, Message, Thread
from assistant.prompting.transcript import ME, NEUTRAL_CONTACT, media_placeholder

Source = Literal["corpus", "accepted", "predicted", "incoming"]
MediaRule = Literal["placeholder", "drop"]  # dataset.media: what a message without text becomes
_NOT_WORDS = (Kind.SYSTEM, Kind.REACTION)


class Turn(TypedDict):
    """One message of a working conversation. Only "corpus" turns are real past messages.

    A TypedDict, not a dataclass: the draft graph keeps turns in its checkpoints, which hold plain data.
    """

    speaker: str  # a display name, or ME
    text: str
    source: Source


def spoken(messages: Iterable[Message]) -> list[Message]:
    """Messages that are somebody's words: no system lines, reactions or unsent messages."""
    return [m for m in messages if m.kind not in _NOT_WORDS and not m.unsent]


def conversations(messages: Iterable[Message], gap: timedelta | None) -> list[list[Message]]:
    """The spoken messages, split at silences longer than `gap` (None: never): context never reaches across one."""
    out: list[list[Message]] = []
    for m in spoken(messages):
        if not out or (gap is not None and m.timestamp - out[-1][-1].timestamp > gap):
            out.append([])
        out[-1].append(m)
    return out


def speaker(m: Message) -> str:
    """The name the transcript gives the message's sender."""
    return ME if m.is_me else (m.sender or "Someone")


def message_text(m: Message, media: MediaRule) -> str:
    """What the transcript line says: the text, else the media placeholder, or "" when media are dropped."""
    if m.text.strip():
        return m.text
    return media_placeholder(m.media) if media == "placeholder" else ""


def message_turns(messages: Iterable[Message], media: MediaRule) -> list[Turn]:
    """Spoken messages as corpus turns, in order; a message that says nothing makes none."""
    return [Turn(speaker=speaker(m), text=text, source="corpus") for m in messages if (text := message_text(m, media))]


def current_conversation(messages: Iterable[Message], gap_hours: float) -> list[Message]:
    """The conversation going on now: the messages after the last silence longer than `gap_hours`."""
    found = conversations(messages, timedelta(hours=gap_hours))
    return found[-1] if found else []


def other_speaker(thread: Thread, turns: Sequence[Turn], my_name: str, before: int | None = None) -> str:
    """Who speaks after the first `before` turns (all by default): the last other speaker, else the other
    participant, else the title. `before` spares the dataset a copy of the conversation per example."""
    for i in range((len(turns) if before is None else before) - 1, -1, -1):
        if turns[i]["speaker"] != ME:
            return turns[i]["speaker"]
    others = [p for p in thread.participants if p != my_name]
    return others[0] if others else thread.title


def contact_label(thread: Thread, other: str, redact_names: bool) -> str:
    """Whom the header names: the group's title, else the other person (`other`), who stays unnamed
    under privacy.redact_names."""
    if thread.is_group:
        return thread.title
    return NEUTRAL_CONTACT if redact_names else other


def local_date(m: Message) -> date:
    """The day as the user lived it, in the offset the export stated (UTC when it stated none)."""
    return (m.timestamp + timedelta(minutes=m.utc_offset_min or 0)).date()
