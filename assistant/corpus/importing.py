"""Storing one source's parsed events (threads, people, messages) inside the caller's transaction.

A message costs SQLite several microseconds (binding its values, the row, three indexes). The Python
work around it is done a batch at a time, column by column, with C-level iteration (`map`, `zip`):
times converted by arithmetic (`times.UtcColumns`), people looked up once per import, dedupe keys
hashed in a `map`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from functools import lru_cache, partial
from itertools import compress, groupby, islice
from operator import attrgetter, methodcaller

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.corpus.sanity import SourceTally
from assistant.corpus.times import UtcColumns
from assistant.errors import PredraftError

BATCH = 4096  # messages per executemany: long enough to amortize each call, short enough to stay small in memory

# A batch's columns, each read in one pass (no tuple per message: fewer objects for the garbage collector).
MESSAGE_FIELDS = [attrgetter(name) for name in (
    "sender", "timestamp", "text", "kind", "media", "message_id", "reply_to", "edited", "unsent", "forwarded")]
THREAD_KEY = attrgetter("thread_key")
# The stored value of each kind. Looking kinds up here also rejects anything else, as the table's CHECK
# would: the import runs with CHECK constraints off (see `bulk_load`).
KIND_VALUES = {kind: kind.value for kind in Kind}

# The content dedupe key, "h:" + blake2b-128 of sender, time, kind, text and occurrence (see `content_key`),
# as C-level steps for a whole column of first occurrences.
FIRST_OCCURRENCE = "{}\x1f{}\x1f{}\x1f{}\x1f1".format
BLAKE2B_128 = partial(hashlib.blake2b, digest_size=16)
HEXDIGEST = methodcaller("hexdigest")

# Columns a whole batch often leaves empty (WhatsApp has no ids, replies or forwards) are written into the
# statement as their empty value, as are the thread and source ids: fewer values to bind per row.
OPTIONAL_COLUMNS = (("media", "NULL"), ("message_id", "NULL"), ("reply_to", "NULL"),
                    ("edited", "0"), ("unsent", "0"), ("forwarded", "0"))


@lru_cache(maxsize=64)
def insert_sql(thread_id: int, source_id: int, bound: tuple[bool, ...]) -> str:
    """The INSERT for one batch; `bound` says which optional columns have values in it."""
    optional = [name for name, _ in OPTIONAL_COLUMNS]
    values = ["?" if given else empty for (_, empty), given in zip(OPTIONAL_COLUMNS, bound)]
    return f"""INSERT INTO messages (thread_id, source_id, sender_id, sender_name, ts, utc_offset_min, text, kind,
                                    {", ".join(optional)}, dedupe_key)
               VALUES ({thread_id:d}, {source_id:d}, ?, ?, ?, ?, ?, ?, {", ".join(values)}, ?)
               ON CONFLICT (thread_id, dedupe_key) DO NOTHING"""


# A newer export of a message with a platform id carries its latest edit.
UPDATE_EDITED = """
    UPDATE messages SET text = ?1, edited = ?2, unsent = ?3
    WHERE thread_id = ?4 AND dedupe_key = ?5 AND (text != ?1 OR edited != ?2 OR unsent != ?3)"""


# The stored messages an edited message without a platform id may be a newer version of: same thread, time,
# sender and kind, stored by an earlier file (see `SourceImport._replace_edited`).
EARLIER_VERSIONS = """
    SELECT id, text FROM messages WHERE thread_id = ? AND ts = ? AND sender_name IS ? AND kind = ?
    AND message_id IS NULL AND source_id != ?"""


@dataclass(frozen=True, slots=True)
class DateOrderRead:
    """How a file's day/month order was settled, for the dates of one thread.

    A parser sends it among its events (WhatsApp's, before the thread's messages); the file's report keeps
    it, so that a later file of the same chat whose dates read both ways is read as an earlier one proved.
    """

    thread_key: str
    order: str  # "dmy", "mdy" or "ymd"
    proven: bool  # by the file's own dates, or by an earlier file of the chat; False: the setting's fallback
    path: str = ""  # the file's, when read back from the corpus


class CorpusError(PredraftError):
    """A request the corpus cannot satisfy (unknown person or thread, say), worded for the user."""


def content_key(sender: str | None, ts_ms: int, kind: str, text: str, occurrence: int) -> str:
    """The dedupe key of a message without a platform id. Existing corpora hold these: never change it."""
    raw = f"{sender}\x1f{ts_ms}\x1f{kind}\x1f{text}\x1f{occurrence}".encode()
    return "h:" + hashlib.blake2b(raw, digest_size=16).hexdigest()


class Handles(dict):
    """One platform's handles -> person ids, each looked up (or created) once per import."""

    def __init__(self, db: sqlite3.Connection, platform: str):
        super().__init__({None: None})  # system lines have no sender
        self.db, self.platform = db, platform

    def __missing__(self, handle: str) -> int:
        row = self.db.execute(
            "SELECT person_id FROM identities WHERE platform = ? AND handle = ?", (self.platform, handle)
        ).fetchone()
        if row:
            person_id = row[0]
        else:
            # The same display name on two platforms is taken to be the same person; `me set --alias`
            # links names that differ.
            person = self.db.execute("SELECT id FROM people WHERE name = ?", (handle,)).fetchone()
            person_id = person[0] if person else self.db.execute(
                "INSERT INTO people (name) VALUES (?)", (handle,)).lastrowid
            self.db.execute("INSERT INTO identities (person_id, platform, handle) VALUES (?, ?, ?)",
                            (person_id, self.platform, handle))
        self[handle] = person_id
        return person_id


class ThreadState:
    """A thread being imported: its row, its platform's people, the content keys it has had so far."""

    def __init__(self, thread_id: int, handles: Handles, existed: bool):
        self.id, self.handles = thread_id, handles
        self.existed = existed  # in the corpus before this import: earlier files may hold its messages
        # First-occurrence key -> how often it came: two identical "ok"s in one minute are two messages.
        self.occurrences: dict[str, int] = {}


class SourceImport:
    """One source's events into the corpus. The caller holds the transaction; this only writes."""

    def __init__(self, db: sqlite3.Connection, path: str, source_id: int, local_tz: tzinfo, tally: SourceTally):
        self.db, self.path, self.source_id, self.tally = db, path, source_id, tally
        self.utc = UtcColumns(local_tz)
        self.handles: dict[str, Handles] = {}
        self.threads: dict[str, ThreadState] = {}
        self.warnings: list[ParseWarning] = []
        self.date_orders: list[DateOrderRead] = []
        # Edited messages without a platform id, in threads earlier files stored: (thread, key, sender, ms, kind, text)
        self.edits: list[tuple[ThreadState, str, str | None, int, str, str]] = []
        self.seen = self.added = self.updated = 0

    @property
    def thread_keys(self) -> list[tuple[str, str]]:
        """(platform, key) of each thread the source named, whether or not it stored messages in it."""
        return [(thread.handles.platform, key) for key, thread in self.threads.items()]

    def run(self, events: Iterable[Event | DateOrderRead]) -> None:
        for cls, run in groupby(events, type):
            if issubclass(cls, ParsedMessage):
                for batch in _batches(run):
                    for thread_key, messages in groupby(batch, THREAD_KEY):
                        self._write(thread_key, list(messages))
            elif issubclass(cls, ParsedThread):
                for thread in run:
                    self._upsert_thread(thread)
            elif issubclass(cls, DateOrderRead):
                self.date_orders.extend(run)
            else:
                self.warnings.extend(run)
        self._replace_edited()

    def _upsert_thread(self, t: ParsedThread) -> None:
        row = self.db.execute("SELECT id, participants FROM threads WHERE platform = ? AND key = ?",
                              (t.platform, t.key)).fetchone()
        if row is None:
            thread_id = self.db.execute(
                "INSERT INTO threads (platform, key, title, is_group, participants) VALUES (?, ?, ?, ?, ?)",
                (t.platform, t.key, t.title, int(t.is_group), json.dumps(list(t.participants))),
            ).lastrowid
        else:
            thread_id = row[0]
            self._update_thread(thread_id, json.loads(row[1]), t)
        if t.key not in self.threads:
            handles = self.handles.get(t.platform) or self.handles.setdefault(t.platform, Handles(self.db, t.platform))
            self.threads[t.key] = ThreadState(thread_id, handles, existed=row is not None)

    def _update_thread(self, thread_id: int, known: list[str], t: ParsedThread) -> None:
        """The latest file names the thread: its title, and participants it adds to those known."""
        merged = known + [p for p in t.participants if p not in known]
        self.db.execute("UPDATE threads SET title = ?, is_group = max(is_group, ?), participants = ? WHERE id = ?",
                        (t.title, int(t.is_group), json.dumps(merged), thread_id))

    def _write(self, thread_key: str, messages: list[ParsedMessage]) -> None:
        thread = self.threads.get(thread_key)
        if thread is None:
            raise CorpusError(f"{self.path}: message for undeclared thread {thread_key!r}")
        senders, stamps, texts, kinds, media, ids, replies, edited, unsent, forwarded = (
            list(map(field, messages)) for field in MESSAGE_FIELDS)
        try:
            kinds = list(map(KIND_VALUES.__getitem__, kinds))
        except KeyError as exc:
            raise CorpusError(f"{self.path}: a message of unknown kind {exc.args[0]!r}") from None
        ms, offsets = self.utc(stamps)
        keys = self._dedupe_keys(thread, senders, ms, kinds, texts, ids)
        if thread.existed and any(edited):
            self.edits += [(thread, key, sender, t, kind, text) for key, sender, t, kind, text, e, i
                           in zip(keys, senders, ms, kinds, texts, edited, ids) if e and i is None]
        person_ids = list(map(thread.handles.__getitem__, senders))  # before counting changes: may add people
        bound = (media.count(None) < len(media), ids.count(None) < len(ids), replies.count(None) < len(replies),
                 any(edited), any(unsent), any(forwarded))
        optional = (media, ids, replies, map(int, edited), map(int, unsent), map(int, forwarded))
        rows = zip(person_ids, senders, ms, offsets, texts, kinds, *compress(optional, bound), keys)
        before = self.db.total_changes
        self.db.executemany(insert_sql(thread.id, self.source_id, bound), rows)
        added = self.db.total_changes - before
        if added < len(messages) and any(ids):  # some were there already: their newer edits replace the old
            self._update_edited(thread, texts, edited, unsent, keys, ids)
        self.seen += len(messages)
        self.added += added
        self.tally.add(senders, kinds, ms)

    def _update_edited(self, thread: ThreadState, texts: list[str], edited: list[bool], unsent: list[bool],
                       keys: list[str], ids: list[str | None]) -> None:
        before = self.db.total_changes
        self.db.executemany(UPDATE_EDITED, ((text, int(e), int(u), thread.id, key) for text, e, u, key, i
                                            in zip(texts, edited, unsent, keys, ids) if i))
        self.updated += self.db.total_changes - before

    def _replace_edited(self) -> None:
        """An edited message (without a platform id) replaces the text an earlier file of the chat stored for it.

        Its content key is new, so it was stored as a new message beside the old text. The old one is the
        message an earlier file stored at the same time, from the same sender, of the same kind, whose text
        this file no longer has; when exactly one is, it takes the new text and key (so that later exports
        match it) and the new row goes. Two edits of one sender's at the same time stay as stored: which
        replaces which is not known.
        """
        edits_at = Counter((thread.id, sender, ms, kind) for thread, _, sender, ms, kind, _ in self.edits)
        for thread, key, sender, ms, kind, text in self.edits:
            if edits_at[thread.id, sender, ms, kind] > 1:
                continue
            new = self.db.execute("SELECT id FROM messages WHERE thread_id = ? AND dedupe_key = ? AND source_id = ?",
                                  (thread.id, key, self.source_id)).fetchone()
            if new is None:  # an earlier file had this edit already
                continue
            earlier = self.db.execute(EARLIER_VERSIONS, (thread.id, ms, sender, kind, self.source_id))
            gone = [row_id for row_id, old in earlier if content_key(sender, ms, kind, old, 1) not in thread.occurrences]
            if len(gone) == 1:
                self.db.execute("DELETE FROM messages WHERE id = ?", (new[0],))
                self.db.execute("UPDATE messages SET text = ?, edited = 1, dedupe_key = ? WHERE id = ?",
                                (text, key, gone[0]))
                self.added -= 1
                self.updated += 1

    @staticmethod
    def _dedupe_keys(thread: ThreadState, senders: Sequence[str | None], ms: Sequence[int], kinds: Sequence[str],
                     texts: Sequence[str], ids: Sequence[str | None]) -> list[str]:
        """The platform's id where there is one, else the content key numbered by occurrence."""
        if all(ids):
            return ["id:" + i for i in ids]
        keys = list(map("h:".__add__, map(HEXDIGEST, map(BLAKE2B_128, map(
            str.encode, map(FIRST_OCCURRENCE, senders, ms, kinds, texts))))))
        seen = thread.occurrences
        if any(ids):
            renumber: Iterable[int] = range(len(keys))
        else:
            # Only a repeat needs a number other than 1: a key twice in this batch, or one an earlier batch had.
            counts = Counter(keys)
            repeats = set(compress(counts, map((1).__lt__, counts.values()))).union(counts.keys() & seen.keys())
            renumber = list(compress(range(len(keys)), map(repeats.__contains__, keys)))
            seen.update(dict.fromkeys(counts.keys() - repeats, 1))
        for n in renumber:
            if ids[n]:
                keys[n] = "id:" + ids[n]
                continue
            count = seen[keys[n]] = seen.get(keys[n], 0) + 1
            if count > 1:
                keys[n] = content_key(senders[n], ms[n], kinds[n], texts[n], count)
        return keys


class SourceRestore(SourceImport):
    """A recorded source read again after another file was removed (see `assistant.corpus.sources`).

    It only adds the messages it holds that are not stored; what is stored stays as it is: a newer export's
    title, participants and edits are not put back to this file's older ones.
    """

    def _update_thread(self, thread_id: int, known: list[str], t: ParsedThread) -> None:
        pass

    def _update_edited(self, *_: object) -> None:
        pass

    def _replace_edited(self) -> None:
        pass


def _batches(messages: Iterator[ParsedMessage]) -> Iterator[list[ParsedMessage]]:
    return iter(lambda: list(islice(messages, BATCH)), [])
