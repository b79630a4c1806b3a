"""Typed records of the corpus: what parsers produce, and what readers get back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    MEDIA = "media"  # photo, video, voice note, sticker, file, poll...; text holds the caption if any
    SYSTEM = "system"  # "X joined", encryption notices: nobody's words
    REACTION = "reaction"  # tapbacks/emoji reactions to another message


# ---- produced by parsers (pure functions of the export) -------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedThread:
    """A conversation as the export names it. `key` is stable across re-exports of the same chat."""

    key: str
    platform: str
    title: str
    participants: tuple[str, ...] = ()
    is_group: bool = False


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~10x more, a third of a WhatsApp parse
class ParsedMessage:
    """One message. `timestamp` is timezone-aware when the export says the offset, else naive local time."""

    thread_key: str
    sender: str | None  # display name as exported; None for system lines
    timestamp: datetime
    text: str
    kind: Kind = Kind.TEXT
    media: str | None = None  # "image", "video", "audio", "sticker", "file", "poll", ...
    message_id: str | None = None  # the platform's id, when the export has one
    reply_to: str | None = None  # platform id of the message replied to
    edited: bool = False
    unsent: bool = False
    forwarded: bool = False


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something skipped or repaired that the user should hear about (a corrupt MMS part, say)."""

    location: str
    message: str


Event = ParsedThread | ParsedMessage | ParseWarning


# ---- read back from the corpus ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    is_me: bool
    consent: str | None  # None (included) or "exclude"


@dataclass(frozen=True, slots=True)
class Thread:
    id: int
    platform: str
    key: str
    title: str
    is_group: bool
    participants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    thread_id: int
    sender_id: int | None
    sender: str | None
    timestamp: datetime  # UTC, aware
    utc_offset_min: int | None  # offset of the wall-clock time the export wrote (ingest.timezone if unstated)
    text: str
    kind: Kind
    media: str | None
    message_id: str | None
    reply_to: str | None
    edited: bool
    unsent: bool
    forwarded: bool
    is_me: bool
