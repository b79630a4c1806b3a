"""The parser contract: detect a format, stream its events, fail with one error type."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from assistant.corpus.models import Event
from assistant.errors import PredraftError


# Invisible direction marks and embeddings apps wrap around dates, placeholders, names and phone numbers.
MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
# A line that starts with a date and, soon after, a time, in any script's digits: how chat logs start a
# message (WhatsApp, Signal...), whatever their layout.
DATED_LINE = re.compile(rf"[{MARKS}]*\[?[{MARKS}]*\d{{1,4}}[{MARKS}]*[./-][^\n]{{1,30}}?\d{{1,2}}[:.]\d{{2}}")


class ParseError(PredraftError):
    """Bad input, worded for the user: which file, where in it, and what was expected there."""

    def __init__(self, path: Path | str, expected: str, *, location: str | None = None, found: str | None = None):
        self.path = str(path)
        self.location = location
        self.expected = expected
        self.found = found
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}:{self.detail}" if self.location else f"{self.path}: {self.detail}"

    @property
    def detail(self) -> str:
        """The message without the path, for callers that name the file themselves."""
        found = f", found {self.found[:80]!r}" if self.found else ""
        where = f"{self.location}: " if self.location else ""
        return f"{where}expected {self.expected}{found}"


class Parser(ABC):
    """One export format. Subclasses are small: detection plus a streaming parse."""

    name: ClassVar[str]  # the --format value
    platform: ClassVar[str]  # stored on threads; parsers of one platform share it
    description: ClassVar[str]  # one line for `predraft formats`

    @abstractmethod
    def detect(self, path: Path) -> float:
        """Confidence 0..1 that `path` (a file or a folder) is this format. Must not raise."""

    @abstractmethod
    def parse(self, path: Path) -> Iterator[Event]:
        """Yield each ParsedThread before its messages. Raise ParseError, and only it, on bad input."""


def read_head(path: Path, size: int = 4096) -> bytes:
    """The first bytes of a file, or b'' when it cannot be read (detection must not raise)."""
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError:
        return b""
