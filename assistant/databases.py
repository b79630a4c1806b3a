"""SQLite connections whose failures name their file: a locked, damaged or full database is one line.

sqlite3's errors say "database is locked" or "database disk image is malformed" and name no file,
so all the CLI could show was a traceback. A connection from `connect` turns those failures into
`DatabaseFileError` (a PredraftError: the CLI prints it as one line, the review app as a notice),
naming the file and what to do about it. The review decisions, the chain ledger and the chain
checkpoints are opened this way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.errors import PredraftError

BUSY_TIMEOUT_S = 5.0  # how long a statement waits for another process's write before it counts as locked


class DatabaseFileError(PredraftError):
    """A SQLite file that is locked, damaged, full or unreadable, named, with what to do."""


def explain(exc: sqlite3.Error, path: Path) -> DatabaseFileError | None:
    """The user's words for a failure of the file itself; None for a failure of the statement (a bug)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF  # the primary code of an extended one
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseFileError(f"{path} is locked: another predraft process is writing it; try again")
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return DatabaseFileError(f"{path} is damaged ({exc}): restore it from a backup, or move it aside and "
                                 "predraft starts a new, empty one")
    if primary == sqlite3.SQLITE_FULL:
        return DatabaseFileError(f"the disk holding {path} is full: free some space, then run the command again")
    if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR):
        return DatabaseFileError(f"{path} cannot be read or written ({exc}): check its permissions and the disk")
    return None


@contextmanager
def _explained(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        if (explained := explain(exc, path)) is None:
            raise
        raise explained from exc


class _Cursor(sqlite3.Cursor):
    # A damaged page may surface while rows are read, not only when the statement starts.
    def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        with _explained(self.connection.path):
            return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any) -> _Cursor:
        with _explained(self.connection.path):
            return super().executemany(sql, seq_of_parameters)

    def executescript(self, script: str) -> _Cursor:
        with _explained(self.connection.path):
            return super().executescript(script)

    def fetchone(self) -> Any:
        with _explained(self.connection.path):
            return super().fetchone()

    def fetchmany(self, size: int | None = None) -> list[Any]:
        with _explained(self.connection.path):
            return super().fetchmany(self.arraysize if size is None else size)

    def fetchall(self) -> list[Any]:
        with _explained(self.connection.path):
            return super().fetchall()

    def __next__(self) -> Any:
        with _explained(self.connection.path):
            return super().__next__()


class _Connection(sqlite3.Connection):
    path: Path

    def cursor(self, factory: Any = _Cursor) -> Any:  # LangGraph's SqliteSaver works through cursors
        return super().cursor(factory)

    # sqlite3.Connection.execute and friends make a plain cursor, not one from `cursor()`.
    def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any) -> _Cursor:
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script: str) -> _Cursor:
        return self.cursor().executescript(script)

    def commit(self) -> None:
        with _explained(self.path):
            super().commit()

    def __exit__(self, *exc: Any) -> Any:  # `with db:` commits here
        with _explained(self.path):
            return super().__exit__(*exc)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the SQLite file at `path`, usable from any thread, its failures explained."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _explained(path):
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, factory=_Connection)
    db.path = path
    return db
