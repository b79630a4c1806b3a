"""The corpus schema as named migrations (see `assistant.migrations`)."""

from __future__ import annotations

import sqlite3

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


# Recorded by name in every existing corpus: never rename one.
MIGRATIONS: list[Migration] = [
    Migration("001_initial", _m001_initial),
]


def migrate(db: sqlite3.Connection) -> None:
    apply_migrations(db, MIGRATIONS)
