"""The live-source contract: new messages as corpus events, a cursor that remembers where it got to.

A source is polled for what arrived since its cursor. Each batch goes into the corpus through
`Corpus.import_events`, so the same dedupe and the same privacy-read rules apply as to an export:
platform ids are the message ids (a re-delivered message is stored once, a later edit replaces the
text), and the batch's source id is derived from the cursors before and after it, so importing the
same batch twice adds nothing. The cursor is written after the import commits: a crash between the
two re-reads a batch that then dedupes.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any, ClassVar

from assistant.corpus.models import Event, ParsedMessage, Thread
from assistant.corpus.store import Corpus, CorpusError, ImportReport
from assistant.errors import PredraftError
from assistant.files import write_atomic

LIVE_DIR = "live"  # under the data dir: cursors, tokens and per-room settings, each file 0600


class LiveError(PredraftError):
    """A live source that cannot be read or written, worded as one line that says what to do."""


@dataclass
class Batch:
    events: list[Event]
    cursor: Any  # where the source got to after these events: JSON-serialisable, opaque to callers
    backfill: bool = False  # the first sync of an account: history to learn from, not news to answer
    notes: list[str] = field(default_factory=list)  # what the user should hear (a room it cannot decrypt)
    me: str | None = None  # the sender name the source knows is the user (the logged-in account)

    @property
    def messages(self) -> int:
        return sum(isinstance(e, ParsedMessage) for e in self.events)


class LiveSource(ABC):
    """One account or folder tree, followed. Subclasses poll and deliver; nothing sends on its own."""

    name: ClassVar[str]  # "maildir", "matrix": the CLI's word and the corpus source's format

    @property
    @abstractmethod
    def account(self) -> str:
        """Which account or folder tree this is: names its cursor and its corpus sources."""

    @abstractmethod
    def poll(self, cursor: Any, wait_s: float = 0.0) -> Batch:
        """What arrived since `cursor` (None: never synced), waiting up to `wait_s` for something new."""

    @abstractmethod
    def deliver(self, corpus: Corpus, thread: Thread, text: str) -> str:
        """Hand a reply the user accepted to their own client (a draft to send, or a send they confirm).
        Returns a line saying where it went."""

    @abstractmethod
    def question(self, thread: Thread) -> str:
        """What `deliver` would do with a reply in `thread`, asked as a yes/no question before it does."""

    def refusal(self, thread: Thread) -> str | None:
        """Why no reply in `thread` may be delivered at all (the person did not allow it); None: one may."""
        return None

    def close(self) -> None:
        """Let go of connections; a source without any has nothing to do."""


def private_dir(data_dir: Path) -> Path:
    path = data_dir / LIVE_DIR
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def state_file(data_dir: Path, source: str, account: str, what: str) -> Path:
    """<data dir>/live/<source>-<hash of the account>-<what>.json: one file per account, no odd characters."""
    digest = hashlib.sha256(account.encode()).hexdigest()[:16]
    return private_dir(data_dir) / f"{source}-{digest}-{what}.json"


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LiveError(f"{path} cannot be read ({exc}): delete it to start that source afresh") from exc


def write_json(path: Path, value: Any) -> None:
    """Atomically, mode 0600 (write_atomic's temp file is private and is renamed into place)."""
    write_atomic(path, json.dumps(value, ensure_ascii=False))
    path.chmod(0o600)


class Cursor:
    """Where a source got to, kept in the data dir."""

    def __init__(self, data_dir: Path, source: LiveSource):
        self.path = state_file(data_dir, source.name, source.account, "cursor")

    def read(self) -> Any:
        return read_json(self.path)

    def write(self, cursor: Any) -> None:
        write_json(self.path, cursor)


def import_batch(
    corpus: Corpus, source: LiveSource, previous: Any, batch: Batch, local_tz: tzinfo
) -> ImportReport | None:
    """Store a batch as one corpus source; None when it holds no events (an idle sync adds no row)."""
    if not batch.events:
        return None
    identity = json.dumps([source.name, source.account, previous, batch.cursor], sort_keys=True, default=str)
    report = corpus.import_events(f"{source.name}:{source.account}", hashlib.sha256(identity.encode()).hexdigest(),
                                  source.name, batch.events, local_tz)
    if batch.me:
        mark_me(corpus, batch.me)
    return report


def mark_me(corpus: Corpus, name: str) -> None:
    """The logged-in account is the user: it becomes the person marked as you, or one of their names."""
    me = corpus.me()
    if me is not None and me.name == name:
        return
    try:
        if me is None:
            corpus.set_me(name)
        else:
            corpus.set_me(me.name, aliases=[name])
    except CorpusError:
        pass  # the account has written nothing in the followed rooms yet: nothing to link
