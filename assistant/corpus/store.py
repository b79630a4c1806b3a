"""Read/write API over corpus.sqlite. Writes of one source happen in one transaction."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from assistant.corpus.models import Event, Kind, Message, ParsedMessage, ParsedThread, ParseWarning, Person, Thread
from assistant.corpus.schema import migrate
from assistant.errors import PredraftError


class CorpusError(PredraftError):
    """A request the corpus cannot satisfy (unknown person or thread, say), worded for the user."""


@dataclass
class ImportReport:
    path: str
    format: str
    skipped: bool = False  # the same file (by sha256) was imported before
    threads: int = 0
    messages_seen: int = 0
    messages_added: int = 0
    messages_updated: int = 0
    warnings: list[ParseWarning] = field(default_factory=list)


def to_utc_ms(ts: datetime, local_tz: tzinfo) -> tuple[int, int]:
    """UTC milliseconds, plus the offset of the wall-clock time the export wrote, in minutes.

    Exports without offsets (WhatsApp, Signal) are read in `ingest.timezone`; storing the offset that
    zone had then keeps the writer's local day for prompt headers and transcripts.
    """
    aware = ts.replace(tzinfo=local_tz) if ts.tzinfo is None or ts.utcoffset() is None else ts
    return int(aware.timestamp() * 1000), int(aware.utcoffset().total_seconds() // 60)


def _content_key(sender: str | None, ts_ms: int, kind: str, text: str, occurrence: int) -> str:
    raw = f"{sender}\x1f{ts_ms}\x1f{kind}\x1f{text}\x1f{occurrence}".encode()
    return "h:" + hashlib.blake2b(raw, digest_size=16).hexdigest()


class Corpus:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are explicit (see `transaction`), so one file = one transaction.
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
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
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ---- writing -------------------------------------------------------------------------

    def source_imported(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM sources WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def import_events(
        self, path: str, sha256: str, fmt: str, events: Iterable[Event], local_tz: tzinfo
    ) -> ImportReport:
        """Store one source's parsed events atomically. Re-importing adds only what is new.

        If `events` raises (bad input), the transaction rolls back and the corpus is as before.
        """
        report = ImportReport(path=path, format=fmt)
        if self.source_imported(sha256):
            report.skipped = True
            return report
        with self.transaction() as db:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            source_id = db.execute(
                "INSERT INTO sources (path, sha256, format, imported_at) VALUES (?, ?, ?, ?)",
                (path, sha256, fmt, now),
            ).lastrowid
            threads: dict[str, tuple[int, str]] = {}  # thread key -> (id, platform)
            occurrences: Counter[tuple] = Counter()
            for event in events:
                if isinstance(event, ParsedThread):
                    threads[event.key] = (self._upsert_thread(event), event.platform)
                elif isinstance(event, ParsedMessage):
                    if event.thread_key not in threads:
                        raise CorpusError(f"{path}: message for undeclared thread {event.thread_key!r}")
                    thread_id, platform = threads[event.thread_key]
                    outcome = self._insert_message(event, thread_id, platform, source_id, local_tz, occurrences)
                    report.messages_seen += 1
                    report.messages_added += outcome == "added"
                    report.messages_updated += outcome == "updated"
                else:
                    report.warnings.append(event)
            report.threads = len(threads)
            db.execute(
                "UPDATE sources SET messages_added = ?, messages_seen = ? WHERE id = ?",
                (report.messages_added, report.messages_seen, source_id),
            )
        return report

    def _upsert_thread(self, t: ParsedThread) -> int:
        row = self.db.execute("SELECT id, participants FROM threads WHERE platform = ? AND key = ?", (t.platform, t.key)).fetchone()
        if row is None:
            return self.db.execute(
                "INSERT INTO threads (platform, key, title, is_group, participants) VALUES (?, ?, ?, ?, ?)",
                (t.platform, t.key, t.title, int(t.is_group), json.dumps(list(t.participants))),
            ).lastrowid
        known = json.loads(row["participants"])
        merged = known + [p for p in t.participants if p not in known]
        self.db.execute(
            "UPDATE threads SET title = ?, is_group = max(is_group, ?), participants = ? WHERE id = ?",
            (t.title, int(t.is_group), json.dumps(merged), row["id"]),
        )
        return row["id"]

    def _person_id(self, platform: str, handle: str) -> int:
        row = self.db.execute(
            "SELECT person_id FROM identities WHERE platform = ? AND handle = ?", (platform, handle)
        ).fetchone()
        if row:
            return row[0]
        # The same display name on two platforms is taken to be the same person; `me set --alias`
        # links names that differ.
        person = self.db.execute("SELECT id FROM people WHERE name = ?", (handle,)).fetchone()
        person_id = person[0] if person else self.db.execute("INSERT INTO people (name) VALUES (?)", (handle,)).lastrowid
        self.db.execute(
            "INSERT INTO identities (person_id, platform, handle) VALUES (?, ?, ?)", (person_id, platform, handle)
        )
        return person_id

    def _insert_message(
        self,
        m: ParsedMessage,
        thread_id: int,
        platform: str,
        source_id: int,
        local_tz: tzinfo,
        occurrences: Counter,
    ) -> str:
        ts_ms, offset = to_utc_ms(m.timestamp, local_tz)
        sender_id = self._person_id(platform, m.sender) if m.sender else None
        if m.message_id:
            key = "id:" + m.message_id
        else:
            # Two identical "ok"s in the same minute are two messages: count repeats within the file.
            ident = (thread_id, m.sender, ts_ms, m.kind, m.text)
            occurrences[ident] += 1
            key = _content_key(m.sender, ts_ms, str(m.kind), m.text, occurrences[ident])
        cur = self.db.execute(
            """INSERT INTO messages (thread_id, source_id, sender_id, sender_name, ts, utc_offset_min, text, kind,
                                     media, message_id, reply_to, edited, unsent, forwarded, dedupe_key)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (thread_id, dedupe_key) DO NOTHING""",
            (thread_id, source_id, sender_id, m.sender, ts_ms, offset, m.text, str(m.kind), m.media,
             m.message_id, m.reply_to, int(m.edited), int(m.unsent), int(m.forwarded), key),
        )
        if cur.rowcount:
            return "added"
        if m.message_id:
            # A newer export of the same message (by platform id) carries its latest edit.
            cur = self.db.execute(
                """UPDATE messages SET text = ?, edited = ?, unsent = ? WHERE thread_id = ? AND dedupe_key = ?
                   AND (text != ? OR edited != ? OR unsent != ?)""",
                (m.text, int(m.edited), int(m.unsent), thread_id, key, m.text, int(m.edited), int(m.unsent)),
            )
            if cur.rowcount:
                return "updated"
        return "duplicate"

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
