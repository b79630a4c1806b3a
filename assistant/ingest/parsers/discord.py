"""DiscordChatExporter JSON: one channel per file (a server channel, a DM or a group DM).

{guild, channel, dateRange, exportedAt, messages: [...], messageCount}, streamed message by message.
Timestamps carry their offset. System notifications (joins, pins, calls...) come with the exporter's own
wording in `content`. Reactions are counts on a message, not messages, so they are left out.

The exporter writes guild and channel before the messages; a file rewritten by another tool may not, and
is then read twice, the second time with the channel known, rather than keeping its messages in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.jsonstream import BOM, Record, json_items
from assistant.ingest.media import media_from_filename
from assistant.ingest.registry import register
from assistant.ingest.stream_state import StreamedThread

HEADER_ITEMS = frozenset({"guild.id", "guild.name", "channel.id", "channel.type", "channel.name"})
HEADER_OBJECTS = frozenset({"guild", "channel"})
MESSAGE_ITEM = "messages.item"
USER_MESSAGE_KINDS = {"Default", "Reply"}
DIRECT_CHANNELS = {"DirectTextChat", "DirectGroupTextChat"}
# Discord shows every deleted account as "Deleted User" (newer ones with a random suffix, or the username
# deleted_user_<hex>), but each keeps its own id, except those moved to this one placeholder account.
DELETED_NAME = re.compile(r"Deleted User(?: [0-9a-f]+)?|deleted_user_[0-9a-f]+")
DELETED_PLACEHOLDER_ID = "456226577798135808"
# What the start of a file shows: the header, or, when the messages come first, keys only the exporter writes.
_MARKERS = tuple(tuple(re.compile(p) for p in markers) for markers in (
    (rb'"guild"\s*:\s*\{', rb'"channel"\s*:\s*\{', rb'"exportedAt"|"messages"'),
    (rb'"messages"\s*:\s*\[', rb'"timestampEdited"', rb'"isPinned"'),
))


def is_system(kind: str) -> bool:
    """The exporter names the kinds it knows and writes others as numbers; 1-18 are Discord's notices."""
    if kind.isdigit():
        return 1 <= int(kind) <= 18
    return kind not in USER_MESSAGE_KINDS


def parse_time(rec: Record, key: str) -> datetime | None:
    value = rec.text(key)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ParseError(rec.path, f'"{key}" to be an ISO 8601 time', location=rec.location, found=value) from exc


def author_name(author: Record | None) -> str:
    """The server nickname, else the account name; deleted accounts told apart by their ids."""
    if author is None:
        return "Unknown User"
    name = author.text("nickname") or author.text("name") or "Unknown User"
    if not (DELETED_NAME.fullmatch(name) or DELETED_NAME.fullmatch(author.text("name") or "")):
        return name
    user_id = author.ident("id")
    return "Deleted User" if user_id in (None, DELETED_PLACEHOLDER_ID) else f"Deleted User ({user_id})"


def media_of(rec: Record) -> str | None:
    attachments = rec.records("attachments")
    if attachments:
        return media_from_filename(attachments[0].text("fileName") or "")
    if rec.values("stickers"):
        return "sticker"
    if rec.values("embeds"):
        return "link"
    return None


@dataclass
class _Channel(StreamedThread):
    read: set[str] = field(default_factory=set)  # the HEADER_OBJECTS read whole
    again: bool = False  # the messages came first: read the file again once the header is known

    def where(self) -> str:
        return f"after message id {self.last_id}" if self.last_id else "before the first message"

    def start(self) -> ParsedThread:
        header = Record(self.header, self.file, "header")
        key = header.ident("channel.id")
        if key is None:
            raise ParseError(self.file, 'a "channel" with an "id"', location="header")
        kind = header.text("channel.type") or ""
        channel = header.text("channel.name") or key
        direct = kind in DIRECT_CHANNELS or header.ident("guild.id") == "0"
        title = channel if direct else f"{header.text('guild.name') or 'Server'} / #{channel}"
        self.thread = ParsedThread(key=key, platform=DiscordParser.platform, title=title,
                                   is_group=kind != "DirectTextChat")
        return self.thread

    def message(self, value: object) -> ParsedMessage | ParseWarning:
        assert self.thread is not None
        rec = self.next_record(value)
        timestamp = parse_time(rec, "timestamp")
        if timestamp is None:
            raise ParseError(self.file, 'a "timestamp"', location=rec.location)
        name = author_name(rec.record("author"))
        kind = rec.text("type") or "Default"
        content = rec.text("content") or ""
        common = dict(thread_key=self.thread.key, timestamp=timestamp, message_id=self.last_id)
        if is_system(kind):
            notice = f"{content[:1].lower()}{content[1:]}" if content else kind
            return ParsedMessage(sender=None, text=f"{name} {notice}", kind=Kind.SYSTEM, **common)
        forwarded = rec.record("forwardedMessage")  # a forward's words and files sit in here
        if forwarded is not None:
            content = content or forwarded.text("content") or ""
        media = media_of(forwarded or rec)
        if not content and media is None:
            return ParseWarning(rec.location, "message with neither content nor attachments skipped")
        reference = rec.record("reference")
        reply_to = reference.ident("messageId") if reference and reference.text("type") != "Forward" else None
        self.wrote(name)
        return ParsedMessage(
            sender=name,
            text=content,
            kind=Kind.TEXT if content else Kind.MEDIA,
            media=media,
            reply_to=reply_to,
            edited=rec.has("timestampEdited"),
            forwarded=forwarded is not None,
            **common,
        )


@register
class DiscordParser(Parser):
    name = "discord"
    platform = "discord"
    description = "DiscordChatExporter JSON: a server channel, DM or group DM per file"

    def detect(self, path: Path) -> float:
        if not path.is_file():
            return 0.0
        head = read_head(path, 8192).removeprefix(BOM).lstrip()
        if not head.startswith(b"{") or not any(all(m.search(head) for m in markers) for markers in _MARKERS):
            return 0.0
        return 0.9

    def parse(self, path: Path) -> Iterator[Event]:
        channel = _Channel(path)
        yield from self._read(channel)
        if channel.again:
            yield from self._read(channel)
        if channel.thread is None:
            raise ParseError(path, 'a DiscordChatExporter JSON export: "guild", "channel" and "messages"')
        yield channel.finish()

    @staticmethod
    def _read(channel: _Channel) -> Iterator[Event]:
        """One pass over the file: messages are yielded only once the thread has started."""
        for prefix, event, value in json_items(channel.file, HEADER_ITEMS | {MESSAGE_ITEM}, where=channel.where):
            if event == "item" and prefix == MESSAGE_ITEM:
                if channel.thread is not None:
                    yield channel.message(value)
            elif event == "item":
                channel.header[prefix] = value
            elif event == "end_map" and prefix in HEADER_OBJECTS:
                channel.read.add(prefix)
            elif event == "start_array" and prefix == "messages":
                if channel.again or channel.read == HEADER_OBJECTS:
                    yield channel.start()
                else:
                    channel.again = True
