"""Named schema migrations for the SQLite stores, each applied once and recorded in a `migrations` table.

The corpus, the feedback store and the chain ledger share this runner. Stores that share one database
file (feedback and ledger both live in feedback.sqlite) share its `migrations` table, so their
migration names carry the store's name as a prefix.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    name: str  # unique within the database file, recorded once applied
    apply: Callable[[sqlite3.Connection], None]


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run `;`-separated statements inside the open transaction.

    executescript() would COMMIT first; running statement by statement keeps a migration atomic.
    """
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _applied(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM migrations")}


def apply_migrations(db: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
    """Apply the migrations not yet recorded, in order, each in its own IMMEDIATE transaction.

    `db` must have no transaction open. Explicit BEGIN/COMMIT work on both autocommit connections
    and the default (implicit-transaction) ones, since those open no transaction of their own for DDL.
    """
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = _applied(db)  # a read without a lock: opening an up-to-date store never waits for a writer
    for migration in migrations:
        if migration.name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another connection may have applied it while this one waited for the write lock.
            if migration.name not in _applied(db):
                migration.apply(db)
                db.execute("INSERT INTO migrations VALUES (?, datetime('now'))", (migration.name,))
        except BaseException:
            if db.in_transaction:  # some errors (a full disk) have rolled back already
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
