"""Read/write API over corpus.sqlite. Writes of one source happen in one transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from assistant.corpus.importing import CorpusError, DateOrderRead, SourceImport
from assistant.corpus.models import Event, Kind, Message, ParseWarning, Person, Thread
from assistant.corpus.sanity import SourceTally, iso
from assistant.corpus.schema import migrate
from assistant.databases import connect

BULK_CACHE_KIB = 64 * 1024  # page cache while importing: the dedupe index is written all over


@dataclass
class ImportReport:
    path: str
    format: str
    skipped: bool = False  # the same file (by sha256) was imported before
    threads: int = 0
    messages_seen: int = 0
    messages_added: int = 0
    messages_updated: int = 0
    warnings: list[ParseWarning] = field(default_factory=list)  # the parser's, then the sanity checks'
    by_kind: dict[str, int] = field(default_factory=dict)  # of the messages seen
    senders: list[str] = field(default_factory=list)
    first: str | None = None  # ISO dates (UTC) of the first and last message seen
    last: str | None = None
    lines: int | None = None  # for chat logs: the file's lines, against which few messages are suspicious
    date_orders: list[DateOrderRead] = field(default_factory=list)  # how its dates were read, where a parser says
    thread_keys: list[tuple[str, str]] = field(default_factory=list)  # (platform, key) of each thread it names
    timezone: str | None = None  # the zone its times without an offset were read in

    def details(self) -> dict:
        """What `sources.report` keeps for `stats --json`, for reading later files of the same chats, and for
        reading this one again as it was read (`predraft sources remove` of another file of its chats)."""
        details = {"by_kind": self.by_kind, "senders": self.senders, "first": self.first, "last": self.last,
                   "lines": self.lines, "thread_keys": self.thread_keys, "timezone": self.timezone,
                   "warnings": [{"location": w.location, "message": w.message} for w in self.warnings]}
        if self.date_orders:
            details["date_orders"] = {r.thread_key: {"order": r.order, "proven": r.proven} for r in self.date_orders}
        return details


@dataclass(frozen=True)
class ChatHistory:
    """What the corpus knows of the chats of one format, for its parser reading another file of one of them."""

    db: sqlite3.Connection
    fmt: str  # the parser's name, as sources record it
    platform: str

    def has_thread(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM threads WHERE platform = ? AND key = ?",
                               (self.platform, key)).fetchone() is not None

    def date_orders(self, thread_key: str) -> list[DateOrderRead]:
        """How the day/month order of the chat's earlier files was settled, oldest first."""
        rows = self.db.execute(
            """SELECT s.path, json_extract(d.value, '$.order'), json_extract(d.value, '$.proven')
               FROM sources s, json_each(s.report, '$.date_orders') d
               WHERE s.format = ? AND d.key = ? ORDER BY s.id""", (self.fmt, thread_key))
        return [DateOrderRead(thread_key, order, bool(proven), path) for path, order, proven in rows]


@dataclass(frozen=True)
class RecordedReading(ChatHistory):
    """The history a recorded source is read again with: its own day/month orders, as settled, so that its
    dates come out as they did at its import, whichever files of its chats came or went since."""

    source_id: int = 0

    def date_orders(self, thread_key: str) -> list[DateOrderRead]:
        rows = self.db.execute(
            """SELECT s.path, json_extract(d.value, '$.order') FROM sources s, json_each(s.report, '$.date_orders') d
               WHERE s.id = ? AND d.key = ?""", (self.source_id, thread_key))
        return [DateOrderRead(thread_key, order, True, path) for path, order in rows]


class Corpus:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A locked, damaged or full corpus fails as one DatabaseFileError naming it and what to do.
        self.db = connect(self.path)
        self.db.isolation_level = None  # autocommit: transactions are explicit (`transaction`), one per file
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA synchronous=NORMAL")
        migrate(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction; inside another, a savepoint that rolls back alone (one file read again of several)."""
        nested = self.db.in_transaction
        self.db.execute("SAVEPOINT nested" if nested else "BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:  # SQLite has rolled back already after some errors (a full disk)
                self.db.execute("ROLLBACK TO nested" if nested else "ROLLBACK")
                if nested:
                    self.db.execute("RELEASE nested")
            raise
        self.db.execute("RELEASE nested" if nested else "COMMIT")

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Settings for storing many messages at once, undone afterwards.

        CHECK constraints are skipped: `kind IN (...)` builds its list anew for every row, a quarter of
        SQLite's work on a row, and the importer checks kinds itself. A larger page cache keeps the dedupe
        index, written at random places, in memory. Durability is unchanged (WAL, synchronous=NORMAL).
        """
        cache_size = self.db.execute("PRAGMA cache_size").fetchone()[0]  # pages, or KiB when negative
        self.db.execute("PRAGMA ignore_check_constraints=ON")
        self.db.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB:d}")
        try:
            yield
        finally:
            self.db.execute("PRAGMA ignore_check_constraints=OFF")
            self.db.execute(f"PRAGMA cache_size={cache_size:d}")

    # ---- writing -------------------------------------------------------------------------

    def history(self, fmt: str, platform: str) -> ChatHistory:
        return ChatHistory(self.db, fmt, platform)

    def source_imported(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM sources WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def import_events(
        self, path: str, sha256: str, fmt: str, events: Iterable[Event | DateOrderRead], local_tz: tzinfo,
        lines: int | None = None,
    ) -> ImportReport:
        """Store one source's parsed events atomically. Re-importing adds only what is new.

        If `events` raises (bad input), the transaction rolls back and the corpus is as before.
        `lines`, given for chat logs, lets the report flag a file that gave too few messages for its length.
        """
        report = ImportReport(path=path, format=fmt, lines=lines)
        if self.source_imported(sha256):
            report.skipped = True
            return report
        now = datetime.now(UTC)
        tally = SourceTally(now_ms=int(now.timestamp() * 1000))
        with self.transaction() as db, self.bulk_load():
            source_id = db.execute(
                "INSERT INTO sources (path, sha256, format, imported_at) VALUES (?, ?, ?, ?)",
                (path, sha256, fmt, now.isoformat(timespec="seconds")),
            ).lastrowid
            job = SourceImport(db, path, source_id, local_tz, tally)
            job.run(events)
            report.threads, report.date_orders, report.thread_keys = len(job.threads), job.date_orders, job.thread_keys
            report.timezone = getattr(local_tz, "key", None)  # a ZoneInfo's name; a fixed offset is not recorded
            report.messages_seen, report.messages_added, report.messages_updated = job.seen, job.added, job.updated
            report.warnings = job.warnings + tally.warnings(job.seen, lines)
            report.by_kind, report.senders = tally.by_kind(), tally.senders()
            report.first, report.last = iso(tally.first_ms), iso(tally.last_ms)
            db.execute(
                "UPDATE sources SET messages_added = ?, messages_seen = ?, report = ? WHERE id = ?",
                (report.messages_added, report.messages_seen, json.dumps(report.details(), ensure_ascii=False), source_id),
            )
        return report

    # ---- people: who is "me", and consent ------------------------------------------------------

    def people(self) -> list[Person]:
        rows = self.db.execute("SELECT id, name, is_me, consent FROM people ORDER BY name").fetchall()
        return [Person(r["id"], r["name"], bool(r["is_me"]), r["consent"]) for r in rows]

    def person(self, name: str) -> Person:
        row = self.db.execute("SELECT id, name, is_me, consent FROM people WHERE name = ?", (name,)).fetchone()
        if row is None:
            row = self.db.execute(
                """SELECT p.id, p.name, p.is_me, p.consent FROM identities i JOIN people p ON p.id = i.person_id
                   WHERE i.handle = ? LIMIT 1""",
                (name,),
            ).fetchone()
        if row is None:
            raise CorpusError(f"no contact named {name!r} in the corpus; `predraft stats` lists contacts")
        return Person(row["id"], row["name"], bool(row["is_me"]), row["consent"])

    def me(self) -> Person | None:
        row = self.db.execute("SELECT id, name, is_me, consent FROM people WHERE is_me = 1").fetchone()
        return Person(row["id"], row["name"], True, row["consent"]) if row else None

    def set_me(self, name: str, aliases: Iterable[str] = ()) -> Person:
        """Mark `name` as the user; each alias (another display name of theirs) is merged into it."""
        me = self.person(name)
        alias_people = [self.person(a) for a in aliases]
        with self.transaction() as db:
            db.execute("UPDATE people SET is_me = 0")
            db.execute("UPDATE people SET is_me = 1, consent = NULL WHERE id = ?", (me.id,))
            for alias in alias_people:
                if alias.id == me.id:
                    continue
                db.execute("UPDATE identities SET person_id = ? WHERE person_id = ?", (me.id, alias.id))
                db.execute("UPDATE messages SET sender_id = ? WHERE sender_id = ?", (me.id, alias.id))
                db.execute("DELETE FROM people WHERE id = ?", (alias.id,))
        return self.person(name)

    def suggest_me(self, limit: int = 5) -> list[tuple[Person, int, int]]:
        """Senders ranked by how many threads they write in, then by message count: the user is in all of them."""
        rows = self.db.execute(
            """SELECT sender_id, count(DISTINCT thread_id) AS threads, count(*) AS messages FROM messages
               WHERE sender_id IS NOT NULL AND kind != 'system' GROUP BY sender_id
               ORDER BY threads DESC, messages DESC LIMIT ?""",
            (limit,),
        ).fetchall()
        people = {p.id: p for p in self.people()}
        return [(people[r["sender_id"]], r["threads"], r["messages"]) for r in rows]

    def set_consent(self, name: str, excluded: bool) -> Person:
        person = self.person(name)
        if person.is_me and excluded:
            raise CorpusError(f"{name!r} is you; pick another `predraft me set` first")
        with self.transaction() as db:
            db.execute("UPDATE people SET consent = ? WHERE id = ?", ("exclude" if excluded else None, person.id))
        return self.person(person.name)

    def excluded_ids(self) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT id FROM people WHERE consent = 'exclude'")}

    # ---- reading ---------------------------------------------------------------------------

    def threads(self) -> list[Thread]:
        rows = self.db.execute("SELECT * FROM threads ORDER BY id").fetchall()
        return [self._thread(r) for r in rows]

    def thread(self, ref: str | int) -> Thread:
        """A thread by id, key or title (exact, then case-insensitive prefix)."""
        row = None
        if isinstance(ref, int) or str(ref).isdigit():
            row = self.db.execute("SELECT * FROM threads WHERE id = ?", (int(ref),)).fetchone()
        if row is None:
            row = self.db.execute("SELECT * FROM threads WHERE key = ? OR title = ? ORDER BY id", (ref, ref)).fetchone()
        if row is None:
            rows = self.db.execute("SELECT * FROM threads WHERE title LIKE ? || '%' ORDER BY id", (ref,)).fetchall()
            if len(rows) > 1:
                names = ", ".join(repr(r["title"]) for r in rows[:5])
                raise CorpusError(f"{ref!r} matches several threads ({names}); use the thread id")
            row = rows[0] if rows else None
        if row is None:
            raise CorpusError(f"no thread {ref!r}; `predraft threads` lists them with their ids")
        return self._thread(row)

    @staticmethod
    def _thread(r: sqlite3.Row) -> Thread:
        return Thread(r["id"], r["platform"], r["key"], r["title"], bool(r["is_group"]), tuple(json.loads(r["participants"])))

    _MESSAGE_SQL = """SELECT m.*, coalesce(p.name, m.sender_name) AS person_name, coalesce(p.is_me, 0) AS me
                      FROM messages m LEFT JOIN people p ON p.id = m.sender_id"""

    def last_message_id(self, thread_id: int) -> int | None:
        """The thread's newest message id: a change says something arrived (read from the messages_thread_ts index)."""
        return self.db.execute("SELECT max(id) FROM messages WHERE thread_id = ?", (thread_id,)).fetchone()[0]

    def messages(self, thread_id: int, until_ms: int | None = None) -> list[Message]:
        """A thread's messages in time order; `until_ms` cuts off anything later (for as-of views)."""
        sql = self._MESSAGE_SQL + " WHERE m.thread_id = ?"
        params: list = [thread_id]
        if until_ms is not None:
            sql += " AND m.ts <= ?"
            params.append(until_ms)
        rows = self.db.execute(sql + " ORDER BY m.ts, m.id", params).fetchall()
        return [self._message(r) for r in rows]

    def my_texts(self, limit: int = 5000) -> list[str]:
        """The user's latest text messages, newest first: how long they usually write, which words they use."""
        rows = self.db.execute(
            """SELECT m.text FROM messages m JOIN people p ON p.id = m.sender_id
               WHERE p.is_me = 1 AND m.kind = 'text' AND m.text != '' ORDER BY m.ts DESC LIMIT ?""",
            (limit,),
        ).fetchall()
        return [r[0] for r in rows]

    def iter_thread_messages(self) -> Iterator[tuple[Thread, list[Message]]]:
        """Every thread with its messages, one thread in memory at a time."""
        for thread in self.threads():
            yield thread, self.messages(thread.id)

    @staticmethod
    def _message(r: sqlite3.Row) -> Message:
        return Message(
            id=r["id"],
            thread_id=r["thread_id"],
            sender_id=r["sender_id"],
            sender=r["person_name"],
            timestamp=datetime.fromtimestamp(r["ts"] / 1000, UTC),
            utc_offset_min=r["utc_offset_min"],
            text=r["text"],
            kind=Kind(r["kind"]),
            media=r["media"],
            message_id=r["message_id"],
            reply_to=r["reply_to"],
            edited=bool(r["edited"]),
            unsent=bool(r["unsent"]),
            forwarded=bool(r["forwarded"]),
            is_me=bool(r["me"]),
        )
