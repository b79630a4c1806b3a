"""Chat threads written as conversations, turned into the events a parser would yield."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from assistant.corpus import Corpus, Kind, ParsedMessage, ParsedThread

Line = tuple[str | None, str]  # (sender, text); no sender: a system line ("Maya added Jordan")
Conversation = tuple[datetime, list[Line]]  # when it starts, and its lines in order


@dataclass(frozen=True)
class ChatThread:
    key: str
    platform: str
    title: str
    participants: tuple[str, ...]
    conversations: list[Conversation]
    is_group: bool = False

    def events(self, gap: timedelta) -> Iterator[ParsedThread | ParsedMessage]:
        """The thread, then each conversation's lines `gap` apart from its start."""
        yield ParsedThread(key=self.key, platform=self.platform, title=self.title, participants=self.participants,
                           is_group=self.is_group)
        for start, lines in self.conversations:
            for i, (sender, text) in enumerate(lines):
                yield ParsedMessage(thread_key=self.key, sender=sender, timestamp=start + i * gap, text=text,
                                    kind=Kind.TEXT if sender is not None else Kind.SYSTEM)


def import_threads(corpus: Corpus, threads: Sequence[ChatThread], tz: tzinfo, gap: timedelta) -> None:
    """Each thread as its own export `<key>.txt`, in order: in a fresh corpus, thread ids follow the list."""
    for thread in threads:
        corpus.import_events(f"{thread.key}.txt", f"sha-{thread.key}", thread.platform, thread.events(gap), tz)
