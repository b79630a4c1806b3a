"""Every review decision in SQLite: what was shown, what the user kept, how long it took.

Rated conversations from `predraft chat` live in the same file (`chat_ratings`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from assistant.databases import connect
from assistant.erase import vacuum
from assistant.migrations import Migration, apply_migrations, run_script
from assistant.privacy import ReadRules

Action = Literal["accept", "edit", "regenerate", "reject"]


def context_hash(prompt: str) -> str:
    return hashlib.blake2b(prompt.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class Decision:
    """One decision on a draft. `prompt` is the exact model prompt, so a training example needs no rebuild."""

    thread_id: int
    prompt: str
    candidates: list[str]
    action: Action
    chosen_index: int | None = None
    final_text: str | None = None  # what the user sent (accepted or edited text)
    edit_distance: int | None = None
    latency_ms: int | None = None  # from drafts shown to decision
    model_id: str = ""
    adapter_id: str = ""
    as_of: str | None = None
    confidence: float | None = None
    chain_id: str | None = None  # the graph run (thread_id of the checkpointer) this came from
    step: int = 0  # depth in the response chain
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def context_hash(self) -> str:
        return context_hash(self.prompt)

    def under(self, rules: ReadRules) -> Decision:
        """Its texts as the privacy read path gives them now: the prompt as a transcript (excluded contacts'
        lines withheld, names replaced, PII redacted), the drafts and what was sent as message text."""
        return replace(self, prompt=rules.transcript(self.prompt), candidates=[rules.text(c) for c in self.candidates],
                       final_text=None if self.final_text is None else rules.text(self.final_text))


@dataclass(frozen=True)
class ChatRating:
    """A saved `predraft chat` conversation and how well the persona wrote in it (1-5, None: not rated)."""

    contact: str
    turns: list[dict[str, str]]  # {"speaker": name or "Me", "text": ...}, in order
    rating: int | None
    model_id: str = ""
    adapter_id: str = ""
    as_of: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def __post_init__(self) -> None:
        if self.rating is not None and not 1 <= self.rating <= 5:
            raise ValueError(f"a chat rating is 1 to 5, got {self.rating}")


def _m001_initial(db: sqlite3.Connection) -> None:
    # IF NOT EXISTS: files written before named migrations hold these tables already, and keep their rows.
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS decisions (
            id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, thread_id INTEGER NOT NULL,
            context_hash TEXT NOT NULL, prompt TEXT NOT NULL, candidates TEXT NOT NULL,
            action TEXT NOT NULL, chosen_index INTEGER, final_text TEXT, edit_distance INTEGER,
            latency_ms INTEGER, model_id TEXT NOT NULL, adapter_id TEXT NOT NULL, as_of TEXT,
            confidence REAL, chain_id TEXT, step INTEGER NOT NULL DEFAULT 0,
            UNIQUE (chain_id, step, context_hash, action, created_at)
        );
        CREATE TABLE IF NOT EXISTS chat_ratings (
            id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, contact TEXT NOT NULL, turns TEXT NOT NULL,
            rating INTEGER CHECK (rating BETWEEN 1 AND 5), model_id TEXT NOT NULL, adapter_id TEXT NOT NULL,
            as_of TEXT
        )
        """,
    )


# The ledger's tables share feedback.sqlite, hence the "feedback_" prefix. Never rename one.
MIGRATIONS: list[Migration] = [
    Migration("feedback_001_initial", _m001_initial),
]


class FeedbackStore:
    def __init__(self, path: Path):
        self.db = connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        apply_migrations(self.db, MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    def record(self, d: Decision) -> int:
        """Store a decision; recording the same one twice (a resumed graph node) stores it once."""
        with self.db:
            cur = self.db.execute(
                """INSERT OR IGNORE INTO decisions (created_at, thread_id, context_hash, prompt, candidates, action,
                   chosen_index, final_text, edit_distance, latency_ms, model_id, adapter_id, as_of, confidence,
                   chain_id, step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (d.created_at, d.thread_id, d.context_hash, d.prompt, json.dumps(d.candidates), d.action,
                 d.chosen_index, d.final_text, d.edit_distance, d.latency_ms, d.model_id, d.adapter_id, d.as_of,
                 d.confidence, d.chain_id, d.step),
            )
        return cur.lastrowid

    def decisions(self) -> Iterator[Decision]:
        for r in self.db.execute("SELECT * FROM decisions ORDER BY id"):
            yield _decision(r)

    def rewrite(self, change: Callable[[Decision], Decision]) -> int:
        """Store `change(d)`'s prompt, drafts and sent text for every decision d it changes (a contact excluded
        since: `Decision.under`), leaving no copy of the old text in the file; returns how many changed."""
        rows = self.db.execute("SELECT * FROM decisions").fetchall()
        changed = [(new.prompt, json.dumps(new.candidates), new.final_text, r["id"])
                   for r in rows if (new := change(old := _decision(r))) != old]
        with self.db:
            self.db.executemany("UPDATE decisions SET prompt = ?, candidates = ?, final_text = ? WHERE id = ?", changed)
        vacuum(self.db)
        return len(changed)

    def record_chat(self, c: ChatRating) -> int:
        with self.db:
            cur = self.db.execute(
                """INSERT INTO chat_ratings (created_at, contact, turns, rating, model_id, adapter_id, as_of)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (c.created_at, c.contact, json.dumps(c.turns, ensure_ascii=False), c.rating, c.model_id,
                 c.adapter_id, c.as_of),
            )
        return cur.lastrowid

    def chat_ratings(self) -> Iterator[ChatRating]:
        for r in self.db.execute("SELECT * FROM chat_ratings ORDER BY id"):
            yield ChatRating(contact=r["contact"], turns=json.loads(r["turns"]), rating=r["rating"],
                             model_id=r["model_id"], adapter_id=r["adapter_id"], as_of=r["as_of"],
                             created_at=r["created_at"])


def _decision(r: sqlite3.Row) -> Decision:
    return Decision(
        thread_id=r["thread_id"], prompt=r["prompt"], candidates=json.loads(r["candidates"]), action=r["action"],
        chosen_index=r["chosen_index"], final_text=r["final_text"], edit_distance=r["edit_distance"],
        latency_ms=r["latency_ms"], model_id=r["model_id"], adapter_id=r["adapter_id"], as_of=r["as_of"],
        confidence=r["confidence"], chain_id=r["chain_id"], step=r["step"], created_at=r["created_at"],
    )
