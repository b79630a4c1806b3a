"""The corpus schema as named migrations (see `assistant.migrations`)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from assistant.migrations import Migration, apply_migrations, run_script


def _m001_initial(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            format TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            messages_added INTEGER NOT NULL DEFAULT 0,
            messages_seen INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            is_me INTEGER NOT NULL DEFAULT 0,
            consent TEXT CHECK (consent IS NULL OR consent = 'exclude')
        );
        CREATE TABLE identities (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            platform TEXT NOT NULL,
            handle TEXT NOT NULL,
            UNIQUE (platform, handle)
        );
        CREATE TABLE threads (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            key TEXT NOT NULL,
            title TEXT NOT NULL,
            is_group INTEGER NOT NULL DEFAULT 0,
            participants TEXT NOT NULL DEFAULT '[]',
            UNIQUE (platform, key)
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            thread_id INTEGER NOT NULL REFERENCES threads(id),
            source_id INTEGER NOT NULL REFERENCES sources(id),
            sender_id INTEGER REFERENCES people(id),
            sender_name TEXT,
            ts INTEGER NOT NULL,            -- UTC milliseconds since the epoch
            utc_offset_min INTEGER,          -- offset of the exported wall-clock time
            text TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('text', 'media', 'system', 'reaction')),
            media TEXT,
            message_id TEXT,
            reply_to TEXT,
            edited INTEGER NOT NULL DEFAULT 0,
            unsent INTEGER NOT NULL DEFAULT 0,
            forwarded INTEGER NOT NULL DEFAULT 0,
            dedupe_key TEXT NOT NULL,        -- platform id, else a content hash
            UNIQUE (thread_id, dedupe_key)
        );
        CREATE INDEX messages_thread_ts ON messages (thread_id, ts, id);
        CREATE INDEX messages_sender ON messages (sender_id);
        """
    )


def _m002_source_reports(db: sqlite3.Connection) -> None:
    """Each source's report (JSON): what the file held (kinds, senders, dates) and what looked wrong.

    Sources imported before this migration get what their stored messages tell; their parse warnings
    were never kept, and their line counts are unknown.
    """
    db.execute("ALTER TABLE sources ADD COLUMN report TEXT")
    reports = {source_id: {"by_kind": {}, "senders": [], "first": None, "last": None, "lines": None, "warnings": []}
               for (source_id,) in db.execute("SELECT id FROM sources")}
    spans: dict[int, list[int]] = {}
    kinds = db.execute("SELECT source_id, kind, count(*), min(ts), max(ts) FROM messages GROUP BY 1, 2 ORDER BY 1, 3 DESC")
    for source_id, kind, count, first, last in kinds:
        reports[source_id]["by_kind"][kind] = count
        spans.setdefault(source_id, []).extend((first, last))
    senders = db.execute(
        "SELECT DISTINCT source_id, sender_name FROM messages WHERE sender_name IS NOT NULL ORDER BY 1, 2")
    for source_id, sender in senders:
        reports[source_id]["senders"].append(sender)
    for source_id, span in spans.items():
        reports[source_id]["first"], reports[source_id]["last"] = (
            datetime.fromtimestamp(ms / 1000, UTC).isoformat() for ms in (min(span), max(span)))
    db.executemany("UPDATE sources SET report = ? WHERE id = ?",
                   ((json.dumps(report, ensure_ascii=False), source_id) for source_id, report in reports.items()))


# Recorded by name in every existing corpus: never rename one.
MIGRATIONS: list[Migration] = [
    Migration("001_initial", _m001_initial),
    Migration("002_source_reports", _m002_source_reports),
]


def migrate(db: sqlite3.Connection) -> None:
    apply_migrations(db, MIGRATIONS)
