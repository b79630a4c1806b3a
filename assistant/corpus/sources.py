"""The imported files (the `sources` table): listing them, and taking one back with what it stored.

A message is stored once, under the file that held it first (`messages.source_id`): a later export of the
same chat stores only what is new. So other recorded files may hold messages of the one removed. Removing
it deletes its messages and its record; then each file that shares a thread with it is read again
(`restore`) and stores, as its own, what it holds of what was deleted. All of it runs in the caller's one
transaction (see `assistant.ingest.runner.remove_source`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from assistant.corpus.importing import CorpusError, DateOrderRead, SourceRestore
from assistant.corpus.models import Event
from assistant.corpus.sanity import SourceTally
from assistant.corpus.store import Corpus

NAMED_IN_ERRORS = 10  # imported files an "unknown file" error lists

# The threads each source stored messages in, and those its record names (it may hold messages of a thread
# without having stored any: an older export of a chat imported after a newer one).
THREADS_OF_SOURCES = """
    SELECT x.source_id, t.id, t.title FROM (
        SELECT source_id, thread_id FROM messages WHERE source_id IN ({marks})
        UNION
        SELECT s.id, t.id FROM sources s, json_each(s.report, '$.thread_keys') k
        JOIN threads t ON t.platform = json_extract(k.value, '$[0]') AND t.key = json_extract(k.value, '$[1]')
        WHERE s.id IN ({marks})
    ) x JOIN threads t ON t.id = x.thread_id ORDER BY x.source_id, t.id"""


@dataclass(frozen=True)
class ThreadRef:
    id: int
    title: str


@dataclass(frozen=True)
class SourceRecord:
    """One imported file, as recorded at its import."""

    id: int
    path: str  # as the user named it to `predraft ingest` (relative to the folder it ran in, if so given)
    sha256: str
    format: str
    imported_at: str
    messages_added: int  # stored under it: the messages no file imported before held
    messages_seen: int  # all it held
    threads: tuple[ThreadRef, ...]  # it stored messages in, or named
    timezone: str | None  # its times without an offset were read in; None: imported before predraft kept it
    names_its_threads: bool  # its record lists every thread it named (else only those it stored in are known)

    def as_json(self) -> dict:
        fields = asdict(self)
        del fields["names_its_threads"]
        return fields


@dataclass(frozen=True)
class RemovalPlan:
    """What removing a file takes, as far as the corpus can tell before other files are read again."""

    source: SourceRecord
    messages: int  # stored under it: they go
    threads: tuple[ThreadRef, ...]  # holding those messages
    emptied: tuple[ThreadRef, ...]  # of those, holding no other file's message: removed, unless a file below holds some
    sharing: tuple[SourceRecord, ...]  # other files that hold, or may hold, messages of those threads; newest first


@dataclass(frozen=True)
class RemovalOutcome:
    lost: dict[int, int]  # thread id -> its messages deleted that no file read again held
    emptied: tuple[ThreadRef, ...]  # threads left with no message, removed


def list_sources(corpus: Corpus) -> list[SourceRecord]:
    return _records(corpus, [r[0] for r in corpus.db.execute("SELECT id FROM sources ORDER BY id")])


def find_source(corpus: Corpus, ref: str) -> SourceRecord:
    """An imported file by its id, or by its path (as recorded, or the same file named another way)."""
    rows = corpus.db.execute("SELECT id, path FROM sources ORDER BY id").fetchall()
    found = [i for i, _ in rows if ref.isdigit() and i == int(ref)]
    found = found or [i for i, path in rows if path == ref] or [i for i, path in rows if _same_path(path, ref)]
    if len(found) > 1:
        raise CorpusError(f"{ref!r} was imported {len(found)} times (ids {', '.join(map(str, found))}): "
                          "name one by its id")
    if not found:
        raise CorpusError(f"no imported file {ref!r}; " + _known(rows))
    return _records(corpus, found)[0]


def _same_path(recorded: str, ref: str) -> bool:
    return Path(recorded).expanduser().resolve() == Path(ref).expanduser().resolve()


def _known(rows: list) -> str:
    if not rows:
        return "nothing is imported yet"
    listed = "; ".join(f"{i}: {path}" for i, path in rows[:NAMED_IN_ERRORS])
    more = f" and {len(rows) - NAMED_IN_ERRORS} more" if len(rows) > NAMED_IN_ERRORS else ""
    return f"imported: {listed}{more} (`predraft sources` lists them)"


def _records(corpus: Corpus, ids: list[int]) -> list[SourceRecord]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    threads: dict[int, list[ThreadRef]] = {}
    for source_id, thread_id, title in corpus.db.execute(THREADS_OF_SOURCES.format(marks=marks), [*ids, *ids]):
        threads.setdefault(source_id, []).append(ThreadRef(thread_id, title))
    rows = corpus.db.execute(
        f"""SELECT *, json_extract(report, '$.timezone') AS timezone,
                   json_type(report, '$.thread_keys') IS NOT NULL AS names_its_threads
            FROM sources WHERE id IN ({marks}) ORDER BY id""", ids)
    return [SourceRecord(r["id"], r["path"], r["sha256"], r["format"], r["imported_at"], r["messages_added"],
                         r["messages_seen"], tuple(threads.get(r["id"], ())), r["timezone"],
                         bool(r["names_its_threads"])) for r in rows]


def plan_removal(corpus: Corpus, source: SourceRecord, platform_of: Mapping[str, str]) -> RemovalPlan:
    """What removing `source` deletes, and the files to read again for what it deleted that they hold.

    `platform_of` (format -> platform): a file recorded before records named their threads may hold messages
    of any thread of its platform, so each such file of the platforms of the threads concerned is read again.
    """
    db = corpus.db
    stored = dict(db.execute("SELECT thread_id, count(*) FROM messages WHERE source_id = ? GROUP BY 1",
                             (source.id,)).fetchall())
    threads = tuple(t for t in source.threads if t.id in stored)
    ids = [t.id for t in threads]
    marks = ",".join("?" * len(ids))
    platforms = {r[0] for r in db.execute(f"SELECT DISTINCT platform FROM threads WHERE id IN ({marks})", ids)}
    may_hold = {i for i, fmt, named in db.execute(
        "SELECT id, format, json_type(report, '$.thread_keys') IS NOT NULL FROM sources WHERE id != ?", (source.id,))
        if not named and platform_of.get(fmt) in platforms}
    holding = {i for (i,) in db.execute(
        f"SELECT DISTINCT source_id FROM messages WHERE thread_id IN ({marks}) AND source_id != ?", [*ids, source.id])}
    # Newest first: a message several files hold is stored again from the newest, with its latest edit.
    others = _records(corpus, sorted(holding | may_hold | _naming(corpus, ids, source.id)))[::-1]
    held_elsewhere = {t.id for r in others for t in r.threads}
    emptied = tuple(t for t in threads if t.id not in held_elsewhere)
    return RemovalPlan(source, sum(stored.values()), threads, emptied, tuple(others))


def _naming(corpus: Corpus, thread_ids: list[int], but: int) -> set[int]:
    """The files whose records name one of these threads."""
    marks = ",".join("?" * len(thread_ids))
    return {i for (i,) in corpus.db.execute(
        f"""SELECT DISTINCT s.id FROM sources s, json_each(s.report, '$.thread_keys') k
            JOIN threads t ON t.platform = json_extract(k.value, '$[0]') AND t.key = json_extract(k.value, '$[1]')
            WHERE t.id IN ({marks}) AND s.id != ?""", [*thread_ids, but])}


def delete_source(corpus: Corpus, source: SourceRecord) -> set[tuple[int, str]]:
    """Delete the file's messages and its record (in the caller's transaction). Returns the (thread id, dedupe
    key) of each message deleted: what `restore` may store again."""
    deleted = corpus.db.execute("DELETE FROM messages WHERE source_id = ? RETURNING thread_id, dedupe_key",
                                (source.id,)).fetchall()
    corpus.db.execute("DELETE FROM sources WHERE id = ?", (source.id,))
    return {(thread_id, key) for thread_id, key in deleted}


def restore(corpus: Corpus, source: SourceRecord, events: Iterable[Event | DateOrderRead], local_tz: tzinfo,
            missing: set[tuple[int, str]]) -> tuple[int, int]:
    """Store, as `source`'s own, the messages of its `events` that are `missing` (deleted with another file).

    Runs in the caller's transaction. Returns (restored, unmatched): unmatched are messages of the file that the
    corpus held under no key before (an edit a newer export made since, or dates read otherwise than at its
    import); they are not stored.
    """
    db = corpus.db
    last = db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
    tally = SourceTally(now_ms=int(datetime.now(UTC).timestamp() * 1000))
    SourceRestore(db, source.path, source.id, local_tz, tally).run(events)
    new = db.execute("SELECT id, thread_id, dedupe_key FROM messages WHERE id > ?", (last,)).fetchall()
    unmatched = [(row_id,) for row_id, thread_id, key in new if (thread_id, key) not in missing]
    db.executemany("DELETE FROM messages WHERE id = ?", unmatched)
    restored = len(new) - len(unmatched)
    db.execute("UPDATE sources SET messages_added = messages_added + ? WHERE id = ?", (restored, source.id))
    return restored, len(unmatched)


def finish_removal(corpus: Corpus, plan: RemovalPlan, missing: set[tuple[int, str]], threads_before: int
                   ) -> RemovalOutcome:
    """Count what no file read again held, and remove the threads left empty: those of the removed file, and
    any a file read again declared anew (ids above `threads_before`, the largest before). People stay."""
    db = corpus.db
    lost = Counter(thread_id for thread_id, key in missing if db.execute(
        "SELECT 1 FROM messages WHERE thread_id = ? AND dedupe_key = ?", (thread_id, key)).fetchone() is None)
    candidates = [t.id for t in plan.threads]
    marks = ",".join("?" * len(candidates))
    emptied = tuple(ThreadRef(i, title) for i, title in db.execute(
        f"""SELECT id, title FROM threads t WHERE (id IN ({marks}) OR id > ?)
            AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id) ORDER BY id""",
        [*candidates, threads_before]))
    db.executemany("DELETE FROM threads WHERE id = ?", [(t.id,) for t in emptied])
    return RemovalOutcome(dict(lost), emptied)
