"""Rows deleted or rewritten so that no copy of their old text stays in the file.

SQLite leaves a deleted or overwritten row's bytes in the file's free pages (unless it was built with
secure_delete on, as some Linux distributions build it, but not Chroma's own), and in the write-ahead
log until a checkpoint: after `predraft consent exclude`, a search of the data dir must not find them.
"""

from __future__ import annotations

import sqlite3


def vacuum(db: sqlite3.Connection) -> None:
    """Rewrite the database without its free pages, then move the write-ahead log into it and empty it.
    `db` must have no transaction open."""
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
