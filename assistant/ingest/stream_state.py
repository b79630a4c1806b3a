"""What a parser keeps while one conversation of a streamed JSON export goes by (Discord, Telegram).

The header fields arrive first, then the messages one at a time; errors must say how far the stream
got, and the thread learns its participants only from who wrote, once its last message has passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.corpus.models import ParsedThread
from assistant.ingest.jsonstream import Record


@dataclass
class StreamedThread:
    file: Path
    header: dict[str, object] = field(default_factory=dict, init=False)  # header field -> value, as they arrive
    thread: ParsedThread | None = field(default=None, init=False)  # set once the header is complete
    count: int = field(default=0, init=False)
    last_id: str | None = field(default=None, init=False)
    senders: dict[str, None] = field(default_factory=dict, init=False)  # an ordered set: first message first

    def next_record(self, value: object, scope: str = "") -> Record:
        """The next message, located by its id when it has one, else by its position in the stream."""
        self.count += 1
        rec = Record.of(value, self.file, f"{scope}message #{self.count}")
        self.last_id = rec.ident("id")
        if self.last_id is not None:
            rec = Record(rec.data, self.file, f"{scope}message id {self.last_id}")
        return rec

    def wrote(self, sender: str) -> None:
        self.senders.setdefault(sender)

    def finish(self) -> ParsedThread:
        """The thread again, now naming everyone who wrote in it (these exports list no members)."""
        assert self.thread is not None
        known = tuple(p for p in self.thread.participants if p not in self.senders)
        return replace(self.thread, participants=known + tuple(self.senders))
