"""Which chains exist for which thread, and how often a predicted message was the one that came.

Two small tables beside the review decisions in feedback.sqlite: `predraft feedback stats` reads
the hit rate from there. Writes are idempotent (a rerun node records nothing twice).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.databases import connect
from assistant.erase import vacuum
from assistant.migrations import Migration, apply_migrations, run_script


@dataclass(frozen=True)
class PredictionOutcome:
    chain_id: str
    step: int
    thread_id: int
    predicted: str
    actual: str
    similarity: float
    hit: bool


def _m001_initial(db: sqlite3.Connection) -> None:
    # IF NOT EXISTS: files written before named migrations hold these tables already, and keep their rows.
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS chains (
            chain_id TEXT PRIMARY KEY, thread_id INTEGER NOT NULL, started_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS predictions (
            chain_id TEXT NOT NULL, step INTEGER NOT NULL, thread_id INTEGER NOT NULL,
            predicted TEXT NOT NULL, actual TEXT NOT NULL, similarity REAL NOT NULL,
            hit INTEGER NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (chain_id, step)
        )
        """,
    )


# feedback.sqlite holds the review decisions too, hence the "ledger_" prefix. Never rename one.
MIGRATIONS: list[Migration] = [
    Migration("ledger_001_initial", _m001_initial),
]


class ChainLedger:
    def __init__(self, path: Path):
        self.db = connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # no fsync per commit: a hit must be served in milliseconds
        apply_migrations(self.db, MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    def add_chain(self, chain_id: str, thread_id: int) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO chains (chain_id, thread_id, started_at) VALUES (?, ?, ?)",
                (chain_id, thread_id, _now()),
            )

    def has_chain(self, chain_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM chains WHERE chain_id = ?", (chain_id,)).fetchone() is not None

    def latest_chain(self, thread_id: int) -> str | None:
        row = self.db.execute(
            "SELECT chain_id FROM chains WHERE thread_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
            (thread_id,),
        ).fetchone()
        return row[0] if row else None

    def chains_after(self, rowid: int) -> list[tuple[int, str, int]]:
        """(rowid, chain_id, thread_id) of the chains added after `rowid`, oldest first: what other
        processes started since a reader last looked."""
        return self.db.execute(
            "SELECT rowid, chain_id, thread_id FROM chains WHERE rowid > ? ORDER BY rowid", (rowid,)).fetchall()

    def record_prediction(self, o: PredictionOutcome) -> None:
        """One outcome per chain step: the first real message decides it."""
        with self.db:
            self.db.execute(
                """INSERT OR IGNORE INTO predictions (chain_id, step, thread_id, predicted, actual, similarity, hit,
                   created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (o.chain_id, o.step, o.thread_id, o.predicted, o.actual, o.similarity, int(o.hit), _now()),
            )

    def chains_of(self, thread_ids: Collection[int]) -> set[str]:
        marks = ",".join("?" * len(thread_ids))
        return {r[0] for r in self.db.execute(f"SELECT chain_id FROM chains WHERE thread_id IN ({marks})", tuple(thread_ids))}

    def forget(self, chain_ids: Collection[str]) -> int:
        """Delete these chains and their prediction outcomes, leaving no copy in the file; how many outcomes went."""
        with self.db:
            gone = sum(self.db.execute("DELETE FROM predictions WHERE chain_id = ?", (c,)).rowcount for c in chain_ids)
            self.db.executemany("DELETE FROM chains WHERE chain_id = ?", [(c,) for c in chain_ids])
        vacuum(self.db)
        return gone

    def prediction_counts(self) -> dict[str, int]:
        hits, total = self.db.execute("SELECT coalesce(sum(hit), 0), count(*) FROM predictions").fetchone()
        return {"hits": hits, "misses": total - hits}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
