"""A thread as the transcript pane shows it: day separators, then each message with its sender and time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Literal

from assistant.corpus.models import Kind, Message
from assistant.prompting import media_placeholder

ItemKind = Literal["day", "earlier", "text", "media", "system", "reaction"]
DEFAULT_LIMIT = 200  # the latest messages; a long thread's start is not what a reply is about


@dataclass(frozen=True, slots=True)
class TranscriptItem:
    kind: ItemKind
    text: str
    sender: str = ""
    time: str = ""  # HH:MM in the message's own zone
    is_me: bool = False


def local_time(m: Message, tz: tzinfo) -> datetime:
    """The message's time as the user lived it: the export's stated offset, else `tz`."""
    if m.utc_offset_min is not None:
        return m.timestamp.astimezone(timezone(timedelta(minutes=m.utc_offset_min)))
    return m.timestamp.astimezone(tz)


def day_label(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return f"{day:%A %d %B %Y}"


def _body(m: Message) -> str:
    if m.unsent:
        return "(message deleted)"
    if m.kind == Kind.MEDIA:
        return media_placeholder(m.media) + (f" {m.text}" if m.text.strip() else "")
    return m.text


def transcript_items(
    messages: Sequence[Message], tz: tzinfo, today: date, limit: int = DEFAULT_LIMIT
) -> list[TranscriptItem]:
    """Day separators and messages, the latest `limit` messages only (a line says how many came before)."""
    shown = messages[-limit:] if limit else messages
    items: list[TranscriptItem] = []
    if len(shown) < len(messages):
        items.append(TranscriptItem("earlier", f"{len(messages) - len(shown)} earlier messages not shown"))
    current_day: date | None = None
    for m in shown:
        when = local_time(m, tz)
        if when.date() != current_day:
            current_day = when.date()
            items.append(TranscriptItem("day", day_label(current_day, today)))
        kind: ItemKind = "text" if m.kind == Kind.TEXT else m.kind.value  # type: ignore[assignment]
        items.append(TranscriptItem(kind, _body(m), sender=m.sender or "", time=f"{when:%H:%M}", is_me=m.is_me))
    return items
