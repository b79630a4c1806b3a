"""File locks that make predraft processes on one data dir take turns where SQLite alone is not enough.

SQLite serialises the writes to each of its files by itself. Two things need more: Chroma's
PersistentClient is not safe with two processes writing its files, so every change of the index holds
`<data dir>/locks/index.lock`; and a chain step must be answered once, so `DraftChain` holds the
thread's lock while it checks that a chain is still where the caller saw it and moves it on.

They are `flock` locks (filelock): the system drops them when a process dies, so a crash leaves
nothing to clean up (the empty lock files stay). Two handles on one lock file exclude each other even
inside one process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.errors import PredraftError


class BusyError(PredraftError):
    """Another predraft process holds what this one needs: it says what it is doing, and to try again."""


@contextmanager
def holding(path: Path, doing: str, wait_s: float) -> Iterator[None]:
    """Hold the lock file `path`, waiting up to `wait_s` seconds for the process that holds it.

    `doing` completes "another predraft process is ..." in the BusyError raised when the wait runs out.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        lock.acquire(timeout=wait_s)
    except Timeout:
        raise BusyError(f"another predraft process is {doing}; try again") from None
    try:
        yield
    finally:
        lock.release()
