"""The user's own writing: a folder of .txt / .md notes, posts or journal entries.

Each file becomes one single-author thread whose messages are its paragraphs. They are all
attributed to OWNER ("Me (writings)"); link it with `predraft me set NAME --alias "Me (writings)"`.
The date is taken from YAML front matter (`date: 2019-04-02`), else from a file name that starts with
one (2019-04-02-title.md), else from the file's modification time.

Detection stays deliberately low (0.3 at most): a folder of .txt files may hold chat exports that
their own parsers claim more confidently, so the runner looks at such folders file by file.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import ftfy
import yaml

from assistant.corpus.models import Event, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import DATED_LINE, ParseError, Parser, read_head
from assistant.ingest.registry import register

OWNER = "Me (writings)"
SUFFIXES = {".txt": 0.25, ".md": 0.3, ".markdown": 0.3}
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
DATED_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def looks_like_chat(head: bytes) -> bool:
    """Whether most lines start with a date and a time, as chat exports do in any language and script."""
    lines = [line for line in head.decode("utf-8", errors="replace").splitlines() if line.strip()]
    return bool(lines) and sum(DATED_LINE.match(line) is not None for line in lines) >= max(2, len(lines) // 3)


def decode(raw: bytes) -> tuple[str, str | None]:
    """Text of the file, and a warning when it was not UTF-8 (then read as Windows-1252, mojibake fixed)."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        text = ftfy.fix_encoding(raw.decode("cp1252", errors="replace"))
        return text, f"byte {exc.start} is not UTF-8; read the file as Windows-1252"


def split_front_matter(text: str) -> tuple[dict, str, str | None]:
    """(front matter fields, body, a warning when the front matter is not valid YAML)."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text, None
    try:
        fields = yaml.safe_load(match.group(1) or "") or {}
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date YAML reads but the calendar lacks (02-30)
        return {}, text[match.end() :], f"front matter is not valid YAML ({exc.__class__.__name__}); ignored"
    return (fields if isinstance(fields, dict) else {}), text[match.end() :], None


def as_datetime(value: object) -> datetime | None:
    """A front-matter date: YAML gives date/datetime objects, or a string such as '2019-04-02 10:30'."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def paragraphs(body: str) -> list[str]:
    blocks = PARAGRAPH_BREAK.split(body)
    return [text for block in blocks if (text := "\n".join(line.rstrip() for line in block.strip().splitlines()))]


def paragraph_id(file_name: str, text: str, occurrence: int) -> str:
    """An id from the file and the paragraph's words, not its date: a note dated by its modification time
    gets a new date on every edit, and its unchanged paragraphs must still not be imported twice."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
    return f"{file_name}#{digest}" + (f"-{occurrence}" if occurrence > 1 else "")


@register
class WritingsParser(Parser):
    name = "writings"
    platform = "writings"
    description = "Your own notes, posts or journal: a folder of .txt/.md files (one thread per file)"

    def detect(self, path: Path) -> float:
        try:
            if path.is_dir():
                entries = [p for p in path.iterdir() if not p.name.startswith(".")]
                notes = [p for p in entries if p.is_file() and p.suffix.lower() in SUFFIXES]
                return 0.3 if notes and len(notes) == len(entries) else 0.0
            score = SUFFIXES.get(path.suffix.lower(), 0.0)
            head = read_head(path)
            if not score or b"\x00" in head:
                return 0.0
            return 0.05 if looks_like_chat(head) else score
        except OSError:
            return 0.0

    def parse(self, path: Path) -> Iterator[Event]:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES):
                yield from self._document(file)
        else:
            yield from self._document(path)

    def _document(self, path: Path) -> Iterator[Event]:
        try:
            raw = path.read_bytes()
            mtime = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
        except OSError as exc:
            raise ParseError(path, "a readable text file", found=str(exc)) from exc
        text, warning = decode(raw)
        if warning:
            yield ParseWarning(path.name, warning)
        fields, body, warning = split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))
        if warning:
            yield ParseWarning(path.name, warning)
        blocks = paragraphs(body)
        title = str(fields.get("title") or "")
        if blocks and (heading := HEADING.match(blocks[0])):
            title = title or heading.group(1)
            blocks = blocks[1:]  # the title heading is not a paragraph of the text
        if not blocks:
            yield ParseWarning(path.name, "skipped: the file has no text")
            return
        when = as_datetime(fields.get("date")) or self._date_from_name(path.name) or mtime
        key = "writings:" + path.name
        yield ParsedThread(key=key, platform="writings", title=title or path.stem, participants=(OWNER,))
        seen: Counter[str] = Counter()
        for block in blocks:
            seen[block] += 1
            yield ParsedMessage(thread_key=key, sender=OWNER, timestamp=when, text=block,
                                message_id=paragraph_id(path.name, block, seen[block]))

    @staticmethod
    def _date_from_name(name: str) -> datetime | None:
        match = DATED_NAME.match(name)
        try:
            return datetime(*map(int, match.groups())) if match else None
        except ValueError:
            return None
