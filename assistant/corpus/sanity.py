"""What one imported file held, and warnings when that looks wrong: the report `ingest` prints per file.

The tally is fed a batch at a time while the messages are stored (C-level counting over the batch's
columns), so it costs next to nothing; `stats --json` reads it back from `sources.report`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from assistant.corpus.models import Kind, ParseWarning

MANY_LINES = 20  # a file this long that gives almost no messages was most likely misread
LINES_PER_MESSAGE = 10  # chat logs have one to two lines a message; ten is a sign of lines not understood
MINUTE_MS = 60_000
DAY_MS = 86_400_000


@dataclass
class SourceTally:
    """Counts over one file's messages, kept while they are stored."""

    now_ms: int  # when the import started
    kinds_by_sender: Counter[tuple[str | None, str]] = field(default_factory=Counter)
    first_ms: int | None = None
    last_ms: int | None = None
    at_import_time: int = 0  # dated within a minute of the import: a date the parser did not read, most likely
    in_future: int = 0  # dated more than a day ahead (a day allows for any timezone mix-up)

    def add(self, senders: Sequence[str | None], kinds: Sequence[str], ms: Sequence[int]) -> None:
        self.kinds_by_sender.update(zip(senders, kinds))
        low, high = min(ms), max(ms)
        self.first_ms = low if self.first_ms is None else min(low, self.first_ms)
        self.last_ms = high if self.last_ms is None else max(high, self.last_ms)
        if high >= self.now_ms - MINUTE_MS:  # rare: only then look at each date
            self.at_import_time += sum(abs(t - self.now_ms) <= MINUTE_MS for t in ms)
            self.in_future += sum(t > self.now_ms + DAY_MS for t in ms)

    def by_kind(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (_, kind), n in self.kinds_by_sender.items():
            counts[kind] += n
        return dict(counts.most_common())

    def senders(self) -> list[str]:
        return sorted({sender for sender, _ in self.kinds_by_sender if sender is not None})

    def warnings(self, messages: int, lines: int | None) -> list[ParseWarning]:
        """The signs of a file read wrong; `lines` is given for chat logs only (see the runner)."""
        found = []
        if lines is not None and lines >= MANY_LINES and messages * LINES_PER_MESSAGE <= lines:
            found.append(ParseWarning("file", f"{lines} lines gave only {messages} message(s): most lines were not "
                                      "read as messages; check the file's format (or pass --format)"))
        if self.at_import_time:
            found.append(ParseWarning("file", f"{self.at_import_time} message(s) dated at the time of this import: "
                                      "their dates were probably not read"))
        if self.in_future:
            found.append(ParseWarning("file", f"{self.in_future} message(s) dated more than a day in the future "
                                      f"(latest {iso(self.last_ms)[:10]}): check the day/month order (--date-order)"))
        for sender in self._system_only_senders():
            found.append(ParseWarning(f"sender {sender!r}", "every line of theirs was read as a system line "
                                      "(joins, leaves, notices), none as a message"))
        return found

    def _system_only_senders(self) -> list[str]:
        writers = {s for (s, kind), _ in self.kinds_by_sender.items() if kind != Kind.SYSTEM.value}
        return sorted({s for s, _ in self.kinds_by_sender if s is not None and s not in writers})


def iso(ms: int | None) -> str | None:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat() if ms is not None else None
