"""WhatsApp chat exports: the `.txt`, the `.zip` the app shares (chat plus media), or that zip unpacked.

Parsing streams the text a block at a time, so memory stays flat however long the chat is. Before it,
two cheap reads: the first lines pick the layout (Android, iOS, time first), and a block-wise regex
scan of the whole file settles day/month order (see whatsapp_layout).

The thread is announced before its messages and announced again after them with its participants and
whether it is a group: both are only known at the end, and the corpus merges the two announcements.
The thread key is the chat's name from the export's file name ("WhatsApp Chat with Maya.txt",
"WhatsApp Chat - Maya.zip"), which every re-export of the chat repeats; when the file was renamed,
the sorted participants stand in for it.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Literal, TextIO

from assistant.corpus.models import Event, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.parsers.whatsapp_layout import (
    EXPECTED_LINE,
    DateOrder,
    Layout,
    Shape,
    header_of,
    infer_date_order,
    parse_date,
    parse_time,
    sniff,
    year_first,
)
from assistant.ingest.parsers.whatsapp_phrases import (
    GROUP_EVENT,
    MARKS,
    SYSTEM,
    SYSTEM_EVENT,
    TEXT,
    classify,
    needs_classifying,
)
from assistant.ingest.registry import register

SNIFF_LINES = 200
BLOCK_CHARS = 1 << 18  # characters read at a time: memory holds a few blocks, whatever the file's size
# "WhatsApp Chat with Maya", "WhatsApp Chat - Maya", "WhatsApp-Chat mit Maya", "Chat de WhatsApp con Maya (1)"...
_CHAT_NAME = re.compile(
    r"(?:WhatsApp[ -]Chat(?: with| mit| met| con| avec| com)?|Chat de WhatsApp con|Conversa do WhatsApp com"
    r"|Discussion WhatsApp avec|Chat WhatsApp con)(?: -)? (.+?)(?: \(\d+\))?",
    re.IGNORECASE,
)
_CHAT_FILE = "_chat.txt"  # the name iOS gives the chat inside its zip


def chat_name(stem: str) -> str | None:
    """The chat's name from an export's file name (without extension), if it follows WhatsApp's naming."""
    match = _CHAT_NAME.fullmatch(stem.strip())
    return match.group(1).strip(MARKS + " ") if match else None


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
    def open(self) -> Iterator[TextIO]:
        """The chat's text, BOM dropped, every line ending read as "\\n", undecodable bytes replaced."""
        if self.member is None:
            with self.text.open(encoding="utf-8-sig", errors="replace", newline=None) as fh:
                yield fh
            return
        with zipfile.ZipFile(self.text) as zf, zf.open(self.member) as raw:
            yield io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline=None)

    def blocks(self) -> Iterator[str]:
        with self.open() as fh:
            while block := fh.read(BLOCK_CHARS):
                yield block

    def name(self) -> str | None:
        """The chat's name from the file names: the .txt's, else its zip's or folder's."""
        container = self.text.parent if self.origin == self.text and self.member is None else self.origin
        return chat_name(Path(self.member or self.text.name).stem) or chat_name(container.stem)


class _BadHeader(Exception):
    """A header whose date or time cannot be read; the reader turns it into a ParseError with the line."""


class _Reader:
    """One pass over a chat's text, turning it into messages and noting who wrote in it."""

    def __init__(self, chat: ChatFile, key: str, layout: Layout, shape: Shape, order: DateOrder):
        self.chat, self.key, self.header, self.shape, self.order = chat, key, header_of(layout), shape, order
        self.senders: dict[str, str] = {}  # name as written -> cleaned name, for everyone who wrote
        self.system_senders: set[str] = set()  # iOS writes a group's system lines "from" the group
        self.group_event = False
        self.skipped_lines = 0  # text before the first header
        self.lines_read = 0  # lines before the current block, to say where an error is
        # Date and time strings already read, keyed as `str.partition` cuts them from a stamp.
        self.firsts: dict[str, datetime | timedelta] = {}
        self.seconds: dict[str, datetime | timedelta] = {}

    def participants(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.senders.values()))

    def is_group(self, title: str) -> bool:
        strangers = self.system_senders - set(self.senders) - {title}
        return self.group_event or len(self.participants()) > 2 or bool(strangers)

    def messages(self, blocks: Iterable[str]) -> Iterator[ParsedMessage]:
        """The chat's messages, in file order.

        The hot loop, so locals only and one cheap helper call on the common path. Consecutive messages often
        share a stamp; a new stamp is cut into date and time with `str.partition` and both looked up in
        caches that only the regex (`_stamp_of`) fills. A known sender's one-line plain text, nearly
        every message, is built right here; everything else goes through `_message`.
        """
        senders, key, message, special = self.senders, self.key, self._message, needs_classifying
        firsts, seconds, closer, separator = self.firsts, self.seconds, self.shape.closer, self.shape.separator
        last_stamp, stamp = "", datetime.min
        for pieces in self._batches(blocks):
            piece = ""
            try:
                for piece in pieces:
                    stamp_text, _, rest = piece.partition(closer)
                    if stamp_text != last_stamp:
                        first, _, second = stamp_text.partition(separator)
                        day_or_time, time_or_day = firsts.get(first), seconds.get(second)
                        if day_or_time is None or time_or_day is None:
                            stamp = self._stamp_of(piece, first, second)
                        else:
                            stamp = day_or_time + time_or_day
                        last_stamp = stamp_text
                    name, colon, body = rest.partition(": ")
                    if not colon:
                        yield message("", rest, stamp)
                    elif special(body) or (sender := senders.get(name)) is None:
                        yield message(name, body, stamp)
                    else:
                        yield ParsedMessage(key, sender, stamp, body)
            except _BadHeader as bad:
                line = self.lines_read + 1 + sum(p.count("\n") + 1 for p in pieces[: pieces.index(piece)])
                first_line = piece.split("\n")[0]
                raise ParseError(self.chat.origin, str(bad), location=f"line {line}", found=first_line) from None

    def _batches(self, blocks: Iterable[str]) -> Iterator[list[str]]:
        """Whole messages, a block's worth at a time: one regex call splits a block at every header.

        The last message of a block may go on in the next one, so it is carried over.
        """
        splitter = self.shape.splitter()
        carry, first = "", True
        for block in blocks:
            text = carry + block
            if first:
                text, first = self._skip_preamble(text, splitter), False
            pieces = splitter.split(text)
            carry = pieces.pop()
            yield pieces
            self.lines_read += text.count("\n", 0, len(text) - len(carry))
        if carry:
            yield [carry]

    def _skip_preamble(self, text: str, splitter: re.Pattern[str]) -> str:
        """Lines before the first header belong to no message: counted, reported, skipped."""
        if self.header.match(text) is not None:
            return text
        cut = splitter.search(text)
        preamble, text = (text[: cut.start()], text[cut.end() :]) if cut else (text, "")
        self.skipped_lines += sum(1 for line in preamble.split("\n") if line.strip())
        self.lines_read += preamble.count("\n") + 1
        return text

    def _stamp_of(self, piece: str, first: str, second: str) -> datetime:
        """A header's date and time by the layout's regex, remembered under the parts `_read` cuts."""
        found = self.header.match(piece)
        if found is None:
            raise _BadHeader(f"a WhatsApp line like {EXPECTED_LINE}")
        day_text, time_text = found.group("date", "time")
        try:
            day = parse_date(day_text, self.order)
        except ValueError:
            raise _BadHeader(
                f"a calendar date read as {'/'.join(self.order)} (the order this file's dates imply); "
                "if the export uses another order, set ingest.whatsapp_date_order"
            ) from None
        try:
            clock = parse_time(time_text)
        except ValueError:
            raise _BadHeader("a time of day such as 23:06 or 11:06 PM") from None
        date_first = self.shape.date_first
        texts, values = ((day_text, time_text), (day, clock)) if date_first else ((time_text, day_text), (clock, day))
        # Only cache parts that are exactly the date and the time (a space inside a date would cut elsewhere).
        if first.lstrip(MARKS) == self.shape.opener + texts[0] and second == texts[1]:
            self.firsts[first], self.seconds[second] = values
        return day + clock

    def _message(self, name: str, text: str, stamp: datetime) -> ParsedMessage:
        """Any message but a known sender's plain one-liner: system lines, media, edits, new senders."""
        text = text.rstrip("\n")  # blank lines before the next header
        if not name or (name not in self.senders and SYSTEM_EVENT.search(name)):
            # Android system lines have no "Name:"; a colon inside one (a new subject) is no sender.
            text, kind, media, edited, unsent = f"{name}: {text}" if name else text, SYSTEM, None, False, False
        elif needs_classifying(text):
            text, kind, media, edited, unsent = classify(text)
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


@register
class WhatsAppParser(Parser):
    name = "whatsapp"
    platform = "whatsapp"
    description = "WhatsApp chat export: .txt or .zip from Android or iOS, any date style, EN/ES/DE/PT/FR"

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

    def parse(self, path: Path) -> Iterator[Event]:
        # Messages come straight from the reader's generator: each extra generator level they passed
        # through would cost time on every message.
        try:
            chat, reader, title = self._prepare(path)
            yield ParsedThread(reader.key, self.platform, title)
            yield from reader.messages(chat.blocks())
        except (OSError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as exc:
            raise ParseError(path, "a readable WhatsApp export (.txt or .zip)", found=str(exc)) from exc
        if reader.skipped_lines:
            yield ParseWarning("line 1", f"{reader.skipped_lines} line(s) before the first message were skipped")
        yield ParsedThread(reader.key, self.platform, title, reader.participants(), reader.is_group(title))

    def _prepare(self, path: Path) -> tuple[ChatFile, _Reader, str]:
        """Find the chat text, sniff its layout, settle its date order and name the thread."""
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
            order: DateOrder = "ymd"
        else:
            order = infer_date_order(chat.blocks(), layout, "dmy" if self.date_order == "auto" else self.date_order)
        title = key = chat.name()
        if title is None:  # a renamed file: name the thread after who writes in it (costs one extra pass)
            probe = _Reader(chat, "", layout, shape, order)
            for _ in probe.messages(chat.blocks()):
                pass
            names = probe.participants()
            title = ", ".join(names) or path.stem
            key = "participants:" + "|".join(sorted(names)) if names else title
        return chat, _Reader(chat, key, layout, shape, order), title
