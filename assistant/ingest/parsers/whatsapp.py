"""WhatsApp chat exports: the `.txt`, the `.zip` the app shares (chat plus media), or that zip unpacked.

Parsing streams the text a block at a time, so memory stays flat however long the chat is. Before it,
two cheap reads: the first lines pick the layout (Android, iOS, time first), and a block-wise regex
scan of the whole file settles day/month order (see whatsapp_layout).

The thread is announced before its messages and announced again after them with its participants and
whether it is a group: both are only known at the end, and the corpus merges the two announcements.
The thread key is the chat's name from the export's file name ("WhatsApp Chat with Maya.txt",
"WhatsApp Chat - Maya.zip"), which every re-export of the chat repeats. When no file name holds it
(a renamed file, `_chat.txt` out of its zip), the chat's first message with a sender stands in for it:
its time and sender, which re-exports repeat whoever joins since (a corpus holding such a chat under
the key of older versions, its sorted participants, keeps that key).

Dates that read both ways (no field above 12) are read as an earlier file of the chat proved, else by
the setting's fallback, with a warning; so is a file that shows earlier ones were read the other way.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, islice
from pathlib import Path
from typing import BinaryIO, Literal, TextIO

from assistant.corpus.importing import DateOrderRead
from assistant.corpus.models import Event, ParsedMessage, ParsedThread, ParseWarning
from assistant.corpus.store import ChatHistory
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.parsers.whatsapp_layout import (
    EXPECTED_LINE,
    OTHER_LAYOUT_LINE,
    DateOrder,
    Shape,
    UnknownCalendarError,
    infer_date_order,
    parse_date,
    parse_time,
    sniff,
    year_first,
)
from assistant.ingest.parsers.whatsapp_phrases import (
    GROUP_EVENT,
    LOOKS_LIKE_PLACEHOLDER,
    MARKS,
    MEDIA,
    PLACEHOLDERS,
    SYSTEM,
    SYSTEM_EVENT,
    TEXT,
    classify,
    line_needs_classifying,
    needs_classifying,
)
from assistant.ingest.registry import register

SNIFF_LINES = 200
ENCODING = "utf-8-sig"  # a BOM, if any, is dropped
# Bytes read at a time, so at most as many characters: memory holds a few blocks, whatever the file's size.
# 16 KiB parsed faster than 8 or 64 KiB (a block, its lines and its messages stay in the processor's cache).
BLOCK_CHARS = 1 << 14
# "WhatsApp Chat with Maya", "WhatsApp Chat - Maya", "WhatsApp-Chat mit Maya", "Chat de WhatsApp con Maya (1)"...
_CHAT_NAME = re.compile(
    r"(?:WhatsApp[ -]Chat(?: with| mit| met| con| avec| com)?|Chat de WhatsApp con|Conversa do WhatsApp com"
    r"|Discussion WhatsApp avec|Chat WhatsApp con|Chat WhatsApp s uživatelem|Чат WhatsApp с контактом)"
    r"(?: -)? (.+?)(?: \(\d+\))?",
    re.IGNORECASE,
)
_CHAT_FILE = "_chat.txt"  # the name iOS gives the chat inside its zip
REPLACEMENT = "\ufffd"  # what a byte that is not UTF-8 becomes


def chat_name(stem: str) -> str | None:
    """The chat's name from an export's file name (without extension), if it follows WhatsApp's naming."""
    match = _CHAT_NAME.fullmatch(stem.strip())
    return match.group(1).strip(MARKS + " ") if match else None


# What reading an export can raise, besides ParseError: a vanished file, a corrupt or unsupported zip.
_READ_ERRORS = (OSError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError)


def _unreadable(path: Path, exc: Exception) -> ParseError:
    return ParseError(path, "a readable WhatsApp export (.txt or .zip)", found=str(exc))


def _is_chat_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base == _CHAT_FILE or (base.lower().endswith(".txt") and chat_name(base[:-4]) is not None)


@dataclass(frozen=True)
class ChatFile:
    """Where the chat's text lives: a .txt on disk, or a member of a zip."""

    origin: Path  # what was given: the .txt, the .zip or the folder
    text: Path  # the .txt on disk, or the zip itself
    member: str | None = None  # the .txt inside the zip

    @classmethod
    def locate(cls, path: Path) -> ChatFile | None:
        if path.is_dir():
            found = [p for p in sorted(path.iterdir()) if p.is_file() and _is_chat_file(p.name)]
            return cls(path, found[0]) if len(found) == 1 else None
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                texts = [n for n in zf.namelist() if n.lower().endswith(".txt") and "__MACOSX" not in n]
                chats = [n for n in texts if _is_chat_file(n)] or texts
                if len(chats) != 1 or zf.getinfo(chats[0]).flag_bits & 0x1:  # none, several, or encrypted
                    return None
            return cls(path, path, chats[0])
        return cls(path, path)

    @contextmanager
    def open_bytes(self) -> Iterator[BinaryIO]:
        if self.member is None:
            with self.text.open("rb") as fh:
                yield fh
            return
        with zipfile.ZipFile(self.text) as zf, zf.open(self.member) as fh:
            yield fh

    @contextmanager
    def open(self) -> Iterator[TextIO]:
        """The chat's text, BOM dropped, every line ending read as "\\n", undecodable bytes replaced."""
        with self.open_bytes() as raw:
            yield io.TextIOWrapper(raw, encoding=ENCODING, errors="replace", newline=None)

    def blocks(self) -> Iterator[str]:
        """The text as `open` reads it, a block at a time; a failing read raises ParseError.

        Decoding bytes read by size is several times faster than a text stream's `read`, which counts characters.
        """
        decoder = io.IncrementalNewlineDecoder(codecs.getincrementaldecoder(ENCODING)("replace"), translate=True)
        try:
            with self.open_bytes() as raw:
                while chunk := raw.read(BLOCK_CHARS):
                    yield decoder.decode(chunk)
        except _READ_ERRORS as exc:
            raise _unreadable(self.origin, exc) from exc
        yield decoder.decode(b"", final=True)  # a line ending or a character cut off at the end

    def name(self) -> str | None:
        """The chat's name from the file names: the .txt's, else its zip's or folder's."""
        container = self.text.parent if self.origin == self.text and self.member is None else self.origin
        return chat_name(Path(self.member or self.text.name).stem) or chat_name(container.stem)


class _BadHeader(Exception):
    """A header whose date or time cannot be read; the reader turns it into a ParseError with the line."""


class _Reader:
    """One pass over a chat's text, turning it into messages and noting who wrote in it."""

    def __init__(self, chat: ChatFile, key: str, shape: Shape, order: DateOrder):
        self.chat, self.key, self.shape, self.order, self.header = chat, key, shape, order, shape.header()
        self.senders: dict[str, str] = {}  # name as written -> cleaned name, for everyone who wrote
        self.system_senders: set[str] = set()  # iOS writes a group's system lines "from" the group
        self.group_event = False
        self.skipped_lines = 0  # text before the first header
        self.messages = 0
        self.misread: list[tuple[int, str]] = []  # (line number, line) of dated lines this layout did not read
        self.misread_count = 0
        self.placeholders: dict[str, int] = {}  # texts shaped like a placeholder whose wording is unknown
        self.unknown_marked = 0  # iOS-marked placeholders in no known wording, kept as media of unknown type
        self.first_unknown_marked = ""  # the first of them, as "stamp sender: phrase", for the warning
        self.replaced = 0  # characters that were not UTF-8
        self.lines_read = 0  # lines before the current block, to say where an error is
        # Dates and times already read, keyed as `str.partition` cuts them from a header.
        self.days: dict[str, datetime] = {}
        self.clocks: dict[str, timedelta] = {}
        self.header_starts = frozenset(MARKS + shape.opener[:1])  # what a header starts with, if not a digit

    def participants(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.senders.values()))

    def is_group(self, title: str) -> bool:
        strangers = self.system_senders - set(self.senders) - {title}
        return self.group_event or len(self.participants()) > 2 or bool(strangers)

    def message_batches(self, blocks: Iterable[str]) -> Iterator[list[ParsedMessage]]:
        """The chat's messages in file order, a block's worth at a time.

        A list per block is cheaper to hand on than a `yield` per message: `chain` flattens the lists at C speed.

        The hot loop, so locals only and one cheap helper call on the common path. Each line is cut with
        `str.partition` into stamp and rest, and a new stamp into its two parts, both looked up in caches
        that only the header regex fills (`_read_header`): a line whose parts are both known is a header,
        so the regex runs once per new date or time, and on the few lines that continue a message.
        A message is complete when the next header comes. A known sender's one-line plain text (nearly
        every message) or placeholder is built right here, everything else in `_message`.
        """
        senders, key, message, special, placeholders, read_header, looks_dated = (
            self.senders, self.key, self._message, line_needs_classifying, PLACEHOLDERS, self._read_header,
            OTHER_LAYOUT_LINE.match)  # a header in some layout, if not this file's
        firsts, seconds = (self.days, self.clocks) if self.shape.date_first else (self.clocks, self.days)
        closer, separator = self.shape.closer, self.shape.separator
        last_stamp: str | None = None  # the stamp text of the last header whose parts were both cached
        stamp = held_stamp = datetime.min
        held: str | None = None  # the message being read: its first line after the header's stamp
        more: list[str] = []  # and its other lines, if any
        for lines in self._lines(blocks):
            batch: list[ParsedMessage] = []
            add = batch.append
            line = ""
            try:
                for line in lines:
                    stamp_text, _, rest = line.partition(closer)
                    if stamp_text != last_stamp:
                        first, _, second = stamp_text.partition(separator)
                        day_or_time, time_or_day = firsts.get(first), seconds.get(second)
                        if day_or_time is not None and time_or_day is not None:
                            stamp, last_stamp = day_or_time + time_or_day, stamp_text
                        elif (header := read_header(line)) is not None:
                            (stamp, rest), last_stamp = header, None
                        elif held is None:  # before the first header
                            self.skipped_lines += bool(line.strip())
                            continue
                        else:
                            if looks_dated(line):
                                self._misread(line, lines)
                            more.append(line)
                            continue
                    if more:
                        add(message(held, held_stamp, more))
                        more = []
                    elif held is not None:
                        name, colon, body = held.partition(": ")
                        if not colon or (sender := senders.get(name)) is None:
                            add(message(held, held_stamp))
                        elif not special(body):
                            add(ParsedMessage(key, sender, held_stamp, body))
                        elif (placeholder := placeholders.get(body)) is not None:  # a known sender's media, deletion
                            kind, media, unsent = placeholder
                            add(ParsedMessage(key, sender, held_stamp, "", kind, media, None, None, False, unsent))
                        else:
                            add(message(held, held_stamp))
                    held, held_stamp = rest, stamp
            except _BadHeader as bad:
                if held is not None:  # complete, as the bad line starts the next message
                    add(message(held, held_stamp, more))
                yield batch
                location = f"line {self.lines_read + lines.index(line) + 1}"
                raise ParseError(self.chat.origin, str(bad), location=location, found=line) from None
            yield batch
        if held is not None:
            yield [message(held, held_stamp, more)]

    def _misread(self, line: str, lines: list[str]) -> None:
        self.misread_count += 1
        if len(self.misread) < 3:
            self.misread.append((self.lines_read + lines.index(line) + 1, line))

    def _lines(self, blocks: Iterable[str]) -> Iterator[list[str]]:
        """The text's lines, a block's worth at a time; a block's last line may go on in the next one."""
        carry = ""
        for block in blocks:
            self.replaced += block.count(REPLACEMENT)
            lines = block.split("\n")
            lines[0] = carry + lines[0]
            carry = lines.pop()
            yield lines
            self.lines_read += len(lines)
        if carry:
            yield [carry]

    def _read_header(self, line: str) -> tuple[datetime, str] | None:
        """The stamp and the rest (sender and text) of a line that starts a message, None for any other line.

        The stamp's parts are remembered for the next lines, under exactly the texts the regex matched, so
        that a line whose parts are both known is a header: it starts with a known date and a known time
        joined by the separator. The rest is cut where the regex ends, not by `partition`: a header whose
        direction marks differ from the first one's does not hold the file's closer as written.
        """
        start = line[:1]
        if not start.isdecimal() and start not in self.header_starts:  # most lines that go on a message
            return None
        found = self.header.match(line)
        if found is None:
            return None
        # The part that comes first is keyed with the marks and opener before it, as `partition` cuts it.
        if self.shape.date_first:
            date_key, time_key = line[: found.end("date")], found["time"]
        else:
            date_key, time_key = found["date"], line[: found.end("time")]
        day = self.days.get(date_key)
        if day is None:
            day = self.days[date_key] = self._day(found["date"])
        clock = self.clocks.get(time_key)
        if clock is None:
            clock = self.clocks[time_key] = self._clock(found["time"])
        return day + clock, line[found.end() :]

    def _day(self, text: str) -> datetime:
        try:
            return parse_date(text, self.order)
        except UnknownCalendarError as unknown:
            raise _BadHeader(
                f"a date of the Gregorian, Thai Buddhist or Persian calendar, but the year {unknown.year} is in "
                "none of them (an Islamic Hijri year?): set the phone's calendar to Gregorian and export again"
            ) from None
        except ValueError:
            raise _BadHeader(
                f"a calendar date read as {'/'.join(self.order)} (the order this file's dates imply); "
                "if the export uses another order, set ingest.whatsapp_date_order"
            ) from None

    @staticmethod
    def _clock(text: str) -> timedelta:
        try:
            return parse_time(text)
        except ValueError:
            raise _BadHeader("a time of day such as 23:06 or 11:06 PM") from None

    def _note_unknown_marked(self, stamp: datetime, name: str, text: str) -> None:
        self.unknown_marked += 1
        if self.unknown_marked == 1:
            phrase = text.partition("\n")[0].strip(MARKS)
            self.first_unknown_marked = f"{stamp:%Y-%m-%d %H:%M:%S} {name.strip(MARKS)}: {phrase!r}"

    def _message(self, first_line: str, stamp: datetime, more_lines: list[str] | None = None) -> ParsedMessage:
        """Any message the hot loop leaves: system lines, attachments, edits, new senders, several lines...

        `first_line` is what follows the header's stamp.
        """
        held = "\n".join([first_line, *more_lines]) if more_lines else first_line
        name, colon, text = held.partition(": ")
        if not colon:
            name, text = "", held
        text = text.rstrip("\n")  # blank lines before the next header
        if not name or (name not in self.senders and SYSTEM_EVENT.search(name)):
            # Android system lines have no "Name:"; a colon inside one (a new subject) is no sender.
            text, kind, media, edited, unsent = f"{name}: {text}" if name else text, SYSTEM, None, False, False
        elif needs_classifying(text):
            marked = text
            text, kind, media, edited, unsent = classify(text)
            if kind is TEXT and LOOKS_LIKE_PLACEHOLDER.fullmatch(text):
                self.placeholders[text] = self.placeholders.get(text, 0) + 1
            elif kind is MEDIA and media is None:  # iOS-marked, in a wording the tables lack
                if name == self.key and name not in self.senders:
                    # iOS writes a group's events "from" the group's name, which never writes a message
                    text, kind = marked, SYSTEM
                else:
                    self._note_unknown_marked(stamp, name, marked)
        else:
            kind, media, edited, unsent = TEXT, None, False, False
        if kind is SYSTEM:
            if name:
                self.system_senders.add(name)
            self.group_event = self.group_event or GROUP_EVENT.search(text) is not None
            return ParsedMessage(self.key, None, stamp, text.strip(MARKS), SYSTEM)
        sender = self.senders.get(name)
        if sender is None:
            sender = self.senders[name] = name.strip(MARKS + " ")
        return ParsedMessage(self.key, sender, stamp, text, kind, media, None, None, edited, unsent)


ORDER_NAMES = {"dmy": "day first", "mdy": "month first", "ymd": "year first"}
START_OVER = ("To {}, take each misread file back and import it again: "
              "`predraft sources remove FILE --yes && predraft ingest --date-order {} FILE`.")


def _settle_date_order(key: str, in_file: DateOrder | None, setting: str, example: str,
                       earlier: list[DateOrderRead]) -> tuple[DateOrderRead, list[ParseWarning]]:
    """The order to read a file's dates in, as a record for its report, and warnings when it may be wrong.

    A file that shows no day above 12 is read as the chat's earlier files proved, else by the setting's fallback.
    Files read by the fallback since the chat's last proof, in another order than this one, were misread
    (or this one is): both readings of their messages may now be stored.
    """
    proof = next((r.order for r in reversed(earlier) if r.proven), None)
    read = DateOrderRead(key, in_file or proof or ("dmy" if setting == "auto" else setting), bool(in_file or proof))
    order, other = read.order, "mdy" if read.order == "dmy" else "dmy"
    why = "the default for such files" if setting == "auto" else "as --date-order (ingest.whatsapp_date_order) says"
    warnings = []
    if not read.proven:
        warnings.append(ParseWarning("dates", (
            f"no date has a day above 12, so the file does not show whether {example} is day or month first: it was "
            f"read {ORDER_NAMES[order]}, {why}. If the chat's phone writes {ORDER_NAMES[other]}, the dates stored "
            f"are wrong. {START_OVER.format('mend them', other)} A later export that shows a day above 12 settles "
            "the order.")))
    last_proof = max((n for n, r in enumerate(earlier) if r.proven), default=-1)
    # A year-first file says nothing about how earlier files in a day/month layout should have been read.
    misread = ", ".join(r.path for r in earlier[last_proof + 1 :] if r.order != order and order != "ymd")
    if misread and in_file:
        warnings.append(ParseWarning("dates", (
            f"this file proves the chat's dates are {ORDER_NAMES[order]}, but earlier files of it were read "
            f"{ORDER_NAMES[other]} without proof ({misread}): the messages they stored from days 1 to 12 of a month "
            "have day and month swapped, and this file stored them again on the right dates. "
            + START_OVER.format("keep one copy of each", order))))
    elif misread:
        warnings.append(ParseWarning("dates", (
            f"this file was read {ORDER_NAMES[order]}, {why}, but earlier files of the chat were read "
            f"{ORDER_NAMES[other]} ({misread}): one of the two is wrong, and the messages from days 1 to 12 of a "
            "month they share are stored under both readings. "
            + START_OVER.format("keep one copy of each", "dmy (or mdy)"))))
    return read, warnings


def _first_message_key(first: ParsedMessage) -> str:
    """The key of a chat no file name names, from its first message that has a sender (system lines such as the
    encryption notice may share their time with other chats'): every re-export holds it, whoever joined since.
    Day and month are sorted, so that a file whose dates read both ways keys the chat as one that proves the order.
    """
    stamp = first.timestamp
    low, high = sorted((stamp.month, stamp.day))
    return f"first:{first.sender}|{stamp.year}|{low}|{high}|{stamp:%H:%M:%S}"


def _warnings(reader: _Reader, chat: ChatFile) -> Iterator[ParseWarning]:
    """What the user should hear about a file that parsed: or a ParseError when most of it did not."""
    if reader.misread_count:
        number, line = reader.misread[0]
        first_lines = ", ".join(str(n) for n, _ in reader.misread)
        if reader.misread_count >= reader.messages:  # most dated lines were not read as messages
            raise ParseError(
                chat.origin, f"lines in the layout of the first message; {reader.misread_count} dated lines are in "
                f"another (lines {first_lines}...), so nothing was stored", location=f"line {number}", found=line)
        yield ParseWarning(f"line {number}", f"{reader.misread_count} line(s) that start with a date do not match "
                           f"this file's layout (lines {first_lines}...); each was kept in the message before it")
    if reader.skipped_lines:
        yield ParseWarning("line 1", f"{reader.skipped_lines} line(s) before the first message were skipped")
    if reader.placeholders:
        common = max(reader.placeholders, key=reader.placeholders.__getitem__)
        count = sum(reader.placeholders.values())
        yield ParseWarning("file", f"{count} message(s) look like a WhatsApp placeholder in a wording predraft does "
                           f"not know (most often {common!r}); they were kept as text")
    if reader.unknown_marked:
        yield ParseWarning("file", f"{reader.unknown_marked} message(s) carry the mark iOS puts on attachments but "
                           f"a wording predraft does not know (the first: {reader.first_unknown_marked}); each was "
                           "kept as its sender's media of unknown type")
    if reader.replaced:
        yield ParseWarning("file", f"{reader.replaced} character(s) were not UTF-8 and were replaced with "
                           f"{REPLACEMENT!r}; re-export the chat if text looks wrong")


@register
class WhatsAppParser(Parser):
    name = "whatsapp"
    platform = "whatsapp"
    description = "WhatsApp chat export: .txt or .zip from Android or iOS, any date style, 60 UI languages"

    def __init__(self, date_order: Literal["auto", "dmy", "mdy", "ymd"] = "auto"):
        # Used when a file's dates never reveal their order (no day above 12); "auto" then means day first.
        self.date_order = date_order

    def detect(self, path: Path) -> float:
        try:
            if path.is_dir() or zipfile.is_zipfile(path):
                chat = ChatFile.locate(path)
                if chat is None:
                    return 0.0
                with chat.open() as fh:
                    return 0.9 if sniff(islice(fh, 20)) else 0.0
            head = read_head(path).decode("utf-8", errors="replace").lstrip("\ufeff")
            lines = head.splitlines()[:-1] or head.splitlines()  # the last line may be cut mid-way
            if sniff(lines[:20]):
                # WhatsApp always writes .txt; other chat logs (Signal's chat.md) can look alike.
                if path.suffix.lower() != ".txt":
                    return 0.4
                return 0.95 if chat_name(path.stem) else 0.9
            # Named like an export but unreadable: claim it so the user hears what a line should look like.
            return 0.3 if chat_name(path.stem) and path.suffix.lower() == ".txt" else 0.0
        except Exception:  # detection must never raise, whatever the file holds
            return 0.0

    def parse(self, path: Path) -> Iterator[Event | DateOrderRead]:
        return self.parse_with_history(path, None)

    def parse_with_history(self, path: Path, history: ChatHistory | None) -> Iterator[Event | DateOrderRead]:
        """The events of one export, read as the corpus's earlier files of the chat were (see the module's doc).

        `chain` (C) hands out the messages of each batch: a generator passing them on one by one would
        cost time on every message. Nothing is read before the first event is asked for.
        """
        return chain.from_iterable(self._batches(path, history))

    def _batches(self, path: Path, history: ChatHistory | None) -> Iterator[Iterable[Event | DateOrderRead]]:
        """The events in runs: the thread and how its dates are read, its messages a block at a time, then what
        only the chat's end tells."""
        try:
            chat, reader, title, date_order, date_warnings = self._prepare(path, history)
        except _READ_ERRORS as exc:
            raise _unreadable(path, exc) from exc
        yield (ParsedThread(reader.key, self.platform, title), date_order, *date_warnings)
        for batch in reader.message_batches(chat.blocks()):
            reader.messages += len(batch)
            yield batch
        closing: list[Event] = [*_warnings(reader, chat)]
        closing.append(ParsedThread(reader.key, self.platform, title, reader.participants(), reader.is_group(title)))
        yield closing

    def _prepare(self, path: Path, history: ChatHistory | None
                 ) -> tuple[ChatFile, _Reader, str, DateOrderRead, list[ParseWarning]]:
        """Find the chat text, sniff its layout, name the thread and settle its date order."""
        chat = ChatFile.locate(path)
        if chat is None:
            raise ParseError(path, "exactly one chat .txt (such as _chat.txt or 'WhatsApp Chat with NAME.txt') in it")
        with chat.open() as fh:
            head = list(islice(fh, SNIFF_LINES))
        sniffed = sniff(head)
        if sniffed is None:
            found = head[0].rstrip("\n") if head else "an empty file"
            raise ParseError(chat.origin, f"a WhatsApp line like {EXPECTED_LINE}", location="line 1", found=found)
        layout, first_header = sniffed
        shape = Shape.of(first_header)
        if year_first(first_header) or self.date_order == "ymd":
            in_file: DateOrder | None = "ymd"
        else:
            in_file = infer_date_order(chat.blocks(), layout, first_header)
        title = key = chat.name()
        if title is None:  # a renamed file, `_chat.txt` alone: key and title the thread by its messages (one more pass)
            # Any order reads a file that proves none, and the key does not depend on it.
            probe = _Reader(chat, "", shape, in_file or "dmy")
            first = None
            for batch in probe.message_batches(chat.blocks()):
                first = first or next((m for m in batch if m.sender is not None), None)
            names = probe.participants()
            title = ", ".join(names) or path.stem
            key = _first_message_key(first) if first else title
            older_key = "participants:" + "|".join(sorted(names))  # how earlier versions keyed it
            if history is not None and not history.has_thread(key) and history.has_thread(older_key):
                key = older_key
        earlier = history.date_orders(key) if history is not None else []
        date_order, warnings = _settle_date_order(key, in_file, self.date_order, first_header["date"].strip(MARKS),
                                                  earlier)
        return chat, _Reader(chat, key, shape, date_order.order), title, date_order, warnings
