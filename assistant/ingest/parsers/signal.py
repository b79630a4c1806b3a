"""Signal Desktop chats exported as text (signal-export's `<chat name>/chat.md`, one file per chat).

    [2024-03-02 18:04:11] Maya Kovač: first line of a message
    a continuation line of the same message
    [2019-05-29, 15:04] Me: older versions write the date with a comma and no seconds

Messages are separated by blank lines. A quoted reply opens the body with "> " lines, reactions close it
as "(- Name: emoji -)", attachments are Markdown links into media/, stickers "(( emoji ))". Times are the
exporting machine's local time, with no offset, so they stay naive. The user is always "Me".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.media import media_from_filename
from assistant.ingest.registry import register

CHAT_FILE = "chat.md"
MESSAGE_LINE = re.compile(r"\[(\d{4}-\d{2}-\d{2}),? (\d{2}:\d{2}(?::\d{2})?)\] ([^:\n]+?):(?: (.*))?")
EXPECTED = "a Signal export line like '[2024-03-02 18:04:11] Name: text'"
ATTACHMENT = re.compile(r"!?\[([^\]\n]*)\]\(((?:\./)?media/[^)\n]*|\.\./exported_stickers/[^)\n]*)\)")
STICKER_LINE = re.compile(r"\(\( (.*) \)\)")
REACTIONS_LINE = re.compile(r"\(- .* -\)")
CALL = re.compile(r"(?:Incoming|Outgoing|Missed) (?:voice |video )?call(?: \(.*\))?")
DELETED = "(This message was deleted)"


def chat_file(path: Path) -> Path:
    return path / CHAT_FILE if path.is_dir() else path


def chat_name(file: Path) -> str:
    """signal-export names each chat's folder after the contact or group."""
    return file.parent.name if file.name == CHAT_FILE else file.stem


def message_from(thread_key: str, when: datetime, sender: str, lines: list[str]) -> ParsedMessage:
    """One message from its header's sender and time and its body lines (trailing spaces already gone)."""
    while lines and not lines[-1]:
        lines.pop()
    if lines and REACTIONS_LINE.fullmatch(lines[-1]):  # reactions are not the sender's words
        lines.pop()
    if lines and not lines[0]:  # a quoted reply: blank, "> " lines, blank, then the reply
        while lines and (not lines[0] or lines[0].startswith(">")):
            lines.pop(0)
    media = None
    if lines and STICKER_LINE.fullmatch(lines[-1]):
        lines.pop()
        media = "sticker"
    body = "\n".join(lines).strip()
    links = ATTACHMENT.findall(body)
    if links:
        target = links[0][1]
        media = media or ("sticker" if "exported_stickers/" in target else media_from_filename(target))
        body = ATTACHMENT.sub("", body).strip()
    common = dict(thread_key=thread_key, timestamp=when)
    if CALL.fullmatch(body) and media is None:
        return ParsedMessage(sender=None, text=body, kind=Kind.SYSTEM, **common)
    if body == DELETED and media is None:
        return ParsedMessage(sender=sender, text="", unsent=True, **common)
    return ParsedMessage(sender=sender, text=body, kind=Kind.MEDIA if media else Kind.TEXT, media=media, **common)


@dataclass
class _Pending:
    """The message being read: its header line, then continuation lines until the next header."""

    when: datetime
    sender: str
    lines: list[str] = field(default_factory=list)


def parse_header(file: Path, line_no: int, match: re.Match[str]) -> _Pending:
    date, time, sender, first = match.groups()
    try:
        when = datetime.fromisoformat(f"{date}T{time}")
    except ValueError as exc:
        raise ParseError(file, "a real date and time", location=f"line {line_no}", found=match.group(0)) from exc
    return _Pending(when, sender.strip(), [(first or "").rstrip()])


@register
class SignalParser(Parser):
    name = "signal"
    platform = "signal"
    description = "Signal Desktop chats exported as text/Markdown (signal-export's chat.md)"

    def detect(self, path: Path) -> float:
        file = chat_file(path)
        lines = read_head(file, 4096).decode("utf-8", "replace").removeprefix("\ufeff").splitlines()
        first = next((line for line in lines if line.strip() and not line.startswith("#")), "")
        if not MESSAGE_LINE.fullmatch(first.rstrip()):
            return 0.0
        if file.name == CHAT_FILE:  # signal-export's own name; WhatsApp's ISO-date locales look alike
            return 0.95
        return 0.7 if file.suffix == ".md" else 0.4

    def parse(self, path: Path) -> Iterator[Event]:
        file = chat_file(path)
        name = chat_name(file)
        thread = ParsedThread(key=name, platform=self.platform, title=name)
        senders: list[str] = []
        pending: _Pending | None = None
        line_no = 0
        try:
            with file.open(encoding="utf-8-sig") as fh:
                for line_no, raw in enumerate(fh, start=1):
                    line = raw.rstrip()
                    if match := MESSAGE_LINE.fullmatch(line):
                        if pending is None:
                            yield thread
                        else:
                            yield message_from(thread.key, pending.when, pending.sender, pending.lines)
                        pending = parse_header(file, line_no, match)
                        if pending.sender not in senders:
                            senders.append(pending.sender)
                    elif pending is not None:
                        pending.lines.append(line)
                    elif line.startswith("# "):  # a heading before the first message names the chat
                        thread = ParsedThread(key=name, platform=self.platform, title=line[2:].strip() or name)
                    elif line:
                        raise ParseError(file, EXPECTED, location=f"line {line_no}", found=line)
        except UnicodeDecodeError as exc:
            raise ParseError(file, "UTF-8 text", location=f"near line {line_no + 1}", found=str(exc)) from exc
        except OSError as exc:
            raise ParseError(file, "a readable file", found=str(exc)) from exc
        if pending is None:
            raise ParseError(file, EXPECTED, location="the whole file", found="no message line")
        yield message_from(thread.key, pending.when, pending.sender, pending.lines)
        # The export lists no members: name everyone who wrote, and call it a group past two people.
        yield ParsedThread(key=name, platform=self.platform, title=thread.title, participants=tuple(senders),
                           is_group=len(senders) > 2)
