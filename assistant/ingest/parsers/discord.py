"""DiscordChatExporter JSON or CSV: one channel per file (a server channel, a DM or a group DM).

{guild, channel, dateRange, exportedAt, messages: [...], messageCount}, streamed message by message.
Timestamps carry their offset. System notifications (joins, pins, calls...) come with the exporter's own
wording in `content`. Reactions are counts on a message, not messages, so they are left out.

The exporter writes guild and channel before the messages; a file rewritten by another tool may not, and
is then read twice, the second time with the channel known, rather than keeping its messages in memory.

The CSV export is one row per message (author id and name, date, content, attachment URLs, reactions),
streamed row by row. It names no channel: its file name does ("Guild - Category - channel [id].csv").
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

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
CSV_COLUMNS = ["AuthorID", "Author", "Date", "Content", "Attachments"]  # then "Reactions", left out as in JSON
# The exporter's dates: ISO 8601 with the offset, or, in older versions, this local time without one.
OLD_CSV_DATE = "%d-%b-%y %I:%M %p"  # 04-Mar-21 06:06 PM
# "alice#1234": the CSV names an account with its discriminator, the JSON (and so the corpus) without.
DISCRIMINATOR = re.compile(r"#\d{4}$")
# The exporter's file name: "Guild - Category - channel [channel id]", then the date range it was asked for.
EXPORT_NAME = re.compile(r"(.+?) \[(\d+)\](?: \(.*\))?")
DIRECT_MESSAGES = "Direct Messages"  # the guild name it gives DMs and group DMs


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


def csv_time(text: str) -> datetime | None:
    with suppress(ValueError):
        return datetime.fromisoformat(text)
    with suppress(ValueError):
        return datetime.strptime(text, OLD_CSV_DATE)
    return None


def csv_channel(path: Path) -> ParsedThread:
    """The thread as the JSON export of the same channel would name it, from the CSV's file name."""
    match = EXPORT_NAME.fullmatch(path.stem)
    if match is None:  # renamed: the file is all there is to tell the channel by
        return ParsedThread(key=f"csv:{path.stem}", platform=DiscordParser.platform, title=path.stem)
    place, key = match.groups()
    guild, _, channel = place.partition(" - ")
    if not channel:
        return ParsedThread(key=key, platform=DiscordParser.platform, title=place)
    if guild != DIRECT_MESSAGES:
        return ParsedThread(key=key, platform=DiscordParser.platform,
                            title=f"{guild} / #{channel.rpartition(' - ')[2]}", is_group=True)
    channel = channel.removeprefix("Private - ")  # DM categories, in the versions that write them
    return ParsedThread(key=key, platform=DiscordParser.platform, title=channel.removeprefix("Group - "),
                        is_group=channel.startswith("Group - "))


def csv_message(row: list[str], thread_key: str, path: Path, where: str) -> ParsedMessage | ParseWarning:
    """One CSV row, read as the JSON parser reads the same message."""
    if len(row) < len(CSV_COLUMNS):
        raise ParseError(path, f"{len(CSV_COLUMNS) + 1} fields ({', '.join(CSV_COLUMNS)}, Reactions)",
                         location=where, found=",".join(row))
    author_id, author, date, content, attachments = row[: len(CSV_COLUMNS)]
    timestamp = csv_time(date)
    if timestamp is None:
        raise ParseError(path, "a Date like 2021-03-04T18:06:23.123+00:00 or 04-Mar-21 06:06 PM",
                         location=where, found=date)
    files = [url for url in attachments.split(",") if url]
    media = media_from_filename(files[0]) if files else None
    if not content and media is None:
        return ParseWarning(where, "message with neither content nor attachments skipped")
    author_rec = Record({"id": author_id or None, "name": DISCRIMINATOR.sub("", author)}, path, where)
    return ParsedMessage(thread_key=thread_key, sender=author_name(author_rec), timestamp=timestamp, text=content,
                         kind=Kind.TEXT if content else Kind.MEDIA, media=media)


def utf8_lines(fh: BinaryIO, path: Path) -> Iterator[str]:
    """The file's lines as text, line endings kept for the csv module; a byte that is not UTF-8 is an error
    naming its line (a text stream would fail a block ahead of where the csv module is)."""
    for number, raw in enumerate(fh, 1):
        try:
            yield raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise ParseError(path, "UTF-8 text, as DiscordChatExporter writes", location=f"line {number}",
                             found=raw[:exc.end].decode("utf-8", errors="replace")) from exc


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


@register
class DiscordCsvParser(Parser):
    name = "discord-csv"
    platform = "discord"
    description = "DiscordChatExporter CSV: a server channel, DM or group DM per file"

    def detect(self, path: Path) -> float:
        if not path.is_file():
            return 0.0
        first_line = read_head(path, 512).decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines()[:1]
        return 0.9 if next(csv.reader(first_line), [])[: len(CSV_COLUMNS)] == CSV_COLUMNS else 0.0

    def parse(self, path: Path) -> Iterator[Event]:
        thread = csv_channel(path)
        yield thread
        senders: dict[str, None] = {}  # an ordered set
        for message in self._messages(path, thread.key):
            if isinstance(message, ParsedMessage) and message.sender:
                senders.setdefault(message.sender)
            yield message
        # Who wrote is known only now; a DM where more than two people wrote is a group DM.
        yield replace(thread, participants=tuple(senders), is_group=thread.is_group or len(senders) > 2)

    @staticmethod
    def _messages(path: Path, thread_key: str) -> Iterator[ParsedMessage | ParseWarning]:
        try:
            with path.open("rb") as fh:
                rows = csv.reader(utf8_lines(fh, path))
                try:
                    header = next(rows, [])
                    if header[: len(CSV_COLUMNS)] != CSV_COLUMNS:
                        raise ParseError(path, f"a DiscordChatExporter CSV header: {','.join(CSV_COLUMNS)},Reactions",
                                         location="line 1", found=",".join(header))
                    end = rows.line_num
                    for row in rows:
                        start, end = end + 1, rows.line_num  # a row spans lines when its content does
                        if row:
                            yield csv_message(row, thread_key, path, f"line {start}")
                except csv.Error as exc:
                    raise ParseError(path, "CSV as DiscordChatExporter writes it", location=f"line {rows.line_num}",
                                     found=str(exc)) from exc
        except OSError as exc:
            raise ParseError(path, "a readable file", found=str(exc)) from exc
