"""Telegram Desktop JSON export (`result.json`), for one chat or for the whole account.

One chat: {name, type, id, messages: [...]}. Whole account: {..., chats: {list: [chat, ...]},
left_chats: {list: [...]}}. Account exports reach gigabytes, so messages are streamed one at a time.
`date` is the exporting machine's local time and `date_unixtime` the instant; their difference is the
offset the user lived in, kept on each message (it changes with daylight saving time).

Telegram Desktop writes a chat's name, type and id before its messages. Files trimmed or rewritten by
other tools may put them after, or leave the id out; such a chat is read again once its header is known
(`TelegramParser.parse`), so memory stays flat whatever the key order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.jsonstream import BOM, Record, json_items
from assistant.ingest.registry import register
from assistant.ingest.stream_state import StreamedThread

CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")
CHAT_LISTS = ("chats.list", "left_chats.list")
HEADER_KEYS = ("name", "type", "id")
ITEMS = frozenset({f"{p}.{k}".lstrip(".") for p in CHAT_PREFIXES for k in (*HEADER_KEYS, "messages.item")})
ONE_TO_ONE = {"personal_chat", "bot_chat", "saved_messages"}
NAMELESS = ("saved_messages", "replies")  # chat types Telegram writes without a "name"
DELETED_ACCOUNT = "Deleted Account"  # how Telegram shows a deleted account: as a chat's name and as a sender
MEDIA_TYPES = {
    "sticker": "sticker",
    "voice_message": "audio",
    "audio_file": "audio",
    "video_file": "video",
    "video_message": "video",
    "animation": "gif",
}
# Fields that make a message media even without media_type, checked in this order.
MEDIA_FIELDS = (
    ("photo", "image"),
    ("poll", "poll"),
    ("contact_information", "contact"),
    ("location_information", "location"),
    ("game_title", "game"),
    ("invoice_information", "invoice"),
    ("file", "file"),
)
ACTION_PHRASES = {
    "create_group": "created the group",
    "create_channel": "created the channel",
    "invite_members": "added",
    "remove_members": "removed",
    "join_group_by_link": "joined the group via invite link",
    "edit_group_title": "changed the group name to",
    "edit_group_photo": "changed the group photo",
    "delete_group_photo": "removed the group photo",
    "pin_message": "pinned a message",
    "phone_call": "called",
    "group_call": "started a video chat",
    "migrate_to_supergroup": "upgraded the group to a supergroup",
    "migrate_from_group": "upgraded the group to a supergroup",
}
MAX_OFFSET_MIN = 14 * 60  # the widest UTC offset in use (Kiribati)
_MARKERS = re.compile(
    rb'"date_unixtime"|"personal_information"|"from_id"\s*:\s*"user'
    rb'|"type"\s*:\s*"(?:personal_chat|bot_chat|saved_messages|private_group|private_supergroup'
    rb'|public_supergroup|private_channel|public_channel)"'
)


def export_file(path: Path) -> Path:
    return path / "result.json" if path.is_dir() else path


def flatten_text(value: object, rec: Record) -> str:
    """`text` is a string, or a list of strings and entities ({type, text}) such as links and bold runs."""
    if value is None or isinstance(value, str):
        return value or ""
    if not isinstance(value, list):
        raise ParseError(rec.path, '"text" to be text or a list of text parts', location=rec.location)
    parts = []
    for part in value:
        piece = part.get("text") if isinstance(part, dict) else part
        if not isinstance(piece, str):
            raise ParseError(rec.path, 'each "text" part to be text or an entity with "text"', location=rec.location)
        parts.append(piece)
    return "".join(parts)


EPOCH = datetime(1970, 1, 1)


@lru_cache(maxsize=64)
def fixed_zone(minutes: int) -> timezone:
    """One tzinfo per offset: a chat has a handful, and a big export millions of messages."""
    return timezone(timedelta(minutes=minutes))


def message_time(rec: Record) -> datetime:
    """Aware with the writer's offset when both fields are there (exports since 2022), the naive local
    `date` when alone (older exports), UTC when a tool kept only the instant `date_unixtime`."""
    local_text, unix = rec.text("date"), rec.ident("date_unixtime")
    if local_text is None and unix is None:
        raise ParseError(rec.path, 'a "date" or a "date_unixtime"', location=rec.location)
    try:
        local = None if local_text is None else datetime.fromisoformat(local_text).replace(tzinfo=None)
        if unix is None:
            return local
        seconds = int(unix)
        if local is None:
            return datetime.fromtimestamp(seconds, UTC)
        minutes = round(((local - EPOCH).total_seconds() - seconds) / 60)
        if abs(minutes) > MAX_OFFSET_MIN:  # the two fields disagree: trust the instant
            minutes = 0
        return datetime.fromtimestamp(seconds, fixed_zone(minutes))
    except (ValueError, OverflowError, OSError) as exc:
        found = " / ".join(v for v in (local_text, unix) if v is not None)
        raise ParseError(rec.path, 'an ISO "date" and whole seconds in "date_unixtime"', location=rec.location,
                         found=found) from exc


def media_of(rec: Record) -> str | None:
    if rec.has("photo"):
        return "image"
    if (media_type := rec.text("media_type")) is not None:
        return MEDIA_TYPES.get(media_type, media_type)
    return next((label for key, label in MEDIA_FIELDS if rec.has(key)), None)


def describe_action(rec: Record) -> str:
    """'Maya added Jonas, Lea' from a service message's actor, action and details."""
    action = rec.text("action") or "service message"
    words = [rec.text("actor") or "Someone", ACTION_PHRASES.get(action, action.replace("_", " "))]
    members = [m for m in rec.values("members") if isinstance(m, str)]
    if members:
        words.append(", ".join(members))
    if (title := rec.text("title")) and action != "pin_message":
        words.append(f"“{title}”")
    if (seconds := rec.number("duration_seconds")) is not None:
        words.append(f"({int(seconds)} s)")
    elif rec.text("discard_reason") in ("missed", "busy"):
        words.append(f"({rec.text('discard_reason')})")
    return " ".join(words)


@dataclass
class _Chat(StreamedThread):
    """A chat being read: its header fields, then its messages as they stream by."""

    prefix: str  # where the chat sits in the JSON: "" for a one-chat export, else "chats.list.item"...
    # from_id (else name) -> name of each writer, first first: to key, title and tell apart a chat the header
    # says too little about
    writers: dict[str, str] = field(default_factory=dict)

    def label(self) -> str:
        known = self.thread.key if self.thread else self.header.get("id") or self.header.get("name")
        return f"chat {known}" if known else "chat"

    def where(self) -> str:
        return f"{self.label()}, after message id {self.last_id}" if self.last_id else self.label()

    def ready(self) -> bool:
        """Whether the header is whole: its fields are optional and may follow the messages. A null name
        is a deleted account's; a missing or null id is derived by `key`, from all the messages."""
        h = self.header
        return h.get("id") is not None and "type" in h and ("name" in h or h["type"] in NAMELESS)

    def note(self, value: object) -> None:
        """A message passing before the header is whole: only who wrote it is kept, for `start`."""
        rec = self.next_record(value, scope=f"{self.label()}, ")
        writer = rec.data.get("from_id") or rec.data.get("from")
        if isinstance(writer, str):
            name = rec.data.get("from")
            self.writers.setdefault(writer, name if isinstance(name, str) and name else DELETED_ACCOUNT)

    def again(self) -> _Chat:
        """This chat, for the pass that reads its messages once the header is known, counting them anew."""
        chat = _Chat(self.file, self.prefix, self.writers)
        chat.header = self.header
        return chat

    def key(self, kind: str, name: str | None) -> str:
        """The key of a chat without an id, the same when the chat is exported again: its type and name,
        else who wrote in it (else the export's folder). It cannot be taken for an id, which is a number."""
        who = name or ",".join(sorted(self.writers)) or self.file.parent.name
        return f"{kind}:{who}"

    def title(self, kind: str | None, name: str | None) -> str:
        """The chat's name; Telegram writes a null one for a deleted account. A chat with no name at all (a file
        trimmed by some tool) is titled by who wrote in it."""
        if name:
            return name
        if kind in NAMELESS:
            return kind.replace("_", " ").title()  # "Saved Messages", "Replies"
        if kind and "name" in self.header:
            return DELETED_ACCOUNT
        return ", ".join(dict.fromkeys(self.writers.values())) or self.file.parent.name

    def start(self) -> ParsedThread:
        header = Record(self.header, self.file, self.where())
        kind = header.text("type")
        name = header.text("name")
        title = self.title(kind, name)
        # Without a type, a chat where more than two people write is a group: a 1:1 chat has two.
        is_group = kind not in ONE_TO_ONE if kind else len(self.writers) > 2
        participants = (title,) if kind == "personal_chat" and "name" in self.header else ()  # the other person
        key = header.ident("id") or self.key(kind or "personal_chat", name)
        self.thread = ParsedThread(key=key, platform=TelegramParser.platform, title=title,
                                   participants=participants, is_group=is_group)
        return self.thread

    def message(self, value: object) -> ParsedMessage | ParseWarning:
        assert self.thread is not None
        rec = self.next_record(value, scope=f"{self.label()}, ")
        kind = rec.text("type") or "message"
        when = message_time(rec)
        common = dict(thread_key=self.thread.key, timestamp=when, message_id=self.last_id)
        if kind == "service":
            return ParsedMessage(sender=None, text=describe_action(rec), kind=Kind.SYSTEM, **common)
        if kind != "message":
            return ParseWarning(rec.location, f"unknown message type {kind!r} skipped")
        text = flatten_text(rec.data.get("text", rec.data.get("text_entities")), rec)
        media = media_of(rec)
        if media == "poll":
            poll = rec.record("poll")
            text = text or (poll.text("question") if poll else None) or ""
        if not text and media is None:
            return ParseWarning(rec.location, "message with neither text nor media skipped")
        sender = rec.text("from") or DELETED_ACCOUNT
        self.wrote(sender)
        return ParsedMessage(
            sender=sender,
            text=text,
            kind=Kind.MEDIA if media else Kind.TEXT,
            media=media,
            reply_to=rec.ident("reply_to_message_id"),
            edited="edited" in rec.data or "edited_unixtime" in rec.data,
            forwarded="forwarded_from" in rec.data,
            **common,
        )


@register
class TelegramParser(Parser):
    name = "telegram"
    platform = "telegram"
    description = "Telegram Desktop JSON export (result.json): one chat or the whole account"

    def detect(self, path: Path) -> float:
        file = export_file(path)
        head = read_head(file, 16384).removeprefix(BOM).lstrip()
        if not head.startswith(b"{") or not _MARKERS.search(head):
            return 0.0
        return 0.95 if file.name == "result.json" else 0.85

    def parse(self, path: Path) -> Iterator[Event]:
        file = export_file(path)
        later: dict[int, _Chat] = {}
        yield from self._read(file, later)
        if later:  # chats whose messages came before their header was whole: their turn now
            yield from self._read(file, later, again=True)

    def _read(self, file: Path, later: dict[int, _Chat], again: bool = False) -> Iterator[Event]:
        """One pass over the file. The first yields every chat whose header comes whole before its messages
        and puts the others in `later`, by their place in the file; a second pass reads only those."""
        chat: _Chat | None = None
        place = -1
        found = False
        for prefix, event, value in json_items(file, ITEMS, where=lambda: chat.where() if chat else "top level"):
            if prefix in CHAT_PREFIXES and event == "start_map":
                place += 1
                chat = _Chat(file, prefix)
                if again:
                    chat = later[place].again() if place in later else None
            elif prefix in CHAT_LISTS and event == "start_array":
                found = True
            elif chat is None:
                continue
            elif event == "item" and prefix.endswith("messages.item"):
                if chat.thread is not None:
                    yield chat.message(value)
                else:
                    chat.note(value)
            elif event == "item":
                chat.header[prefix.rpartition(".")[2]] = value
            elif event == "start_array" and prefix == f"{chat.prefix}.messages".lstrip("."):
                found = True
                if again or chat.ready():
                    yield chat.start()
                else:
                    later[place] = chat
            elif event == "end_map" and prefix == chat.prefix:
                if chat.thread is not None:
                    yield chat.finish()
                chat = None
        if not found and not again:
            raise ParseError(file, 'a Telegram export: a chat with "messages", or an account export with "chats"')
