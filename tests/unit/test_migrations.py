"""Named migrations: each applied once, atomically, and files from before them adopted with their rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.corpus import Corpus
from assistant.feedback.store import ChatRating, Decision, FeedbackStore
from assistant.migrations import Migration, apply_migrations
from graphs.predraft.ledger import ChainLedger, PredictionOutcome

# feedback.sqlite as the stores wrote it before named migrations, each table `CREATE TABLE IF NOT EXISTS`.
OLD_FEEDBACK_DDL = [
    """CREATE TABLE IF NOT EXISTS decisions (
        id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, thread_id INTEGER NOT NULL,
        context_hash TEXT NOT NULL, prompt TEXT NOT NULL, candidates TEXT NOT NULL,
        action TEXT NOT NULL, chosen_index INTEGER, final_text TEXT, edit_distance INTEGER,
        latency_ms INTEGER, model_id TEXT NOT NULL, adapter_id TEXT NOT NULL, as_of TEXT,
        confidence REAL, chain_id TEXT, step INTEGER NOT NULL DEFAULT 0,
        UNIQUE (chain_id, step, context_hash, action, created_at))""",
    """CREATE TABLE IF NOT EXISTS chat_ratings (
        id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, contact TEXT NOT NULL, turns TEXT NOT NULL,
        rating INTEGER CHECK (rating BETWEEN 1 AND 5), model_id TEXT NOT NULL, adapter_id TEXT NOT NULL,
        as_of TEXT)""",
    """CREATE TABLE IF NOT EXISTS chains (
        chain_id TEXT PRIMARY KEY, thread_id INTEGER NOT NULL, started_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS predictions (
        chain_id TEXT NOT NULL, step INTEGER NOT NULL, thread_id INTEGER NOT NULL,
        predicted TEXT NOT NULL, actual TEXT NOT NULL, similarity REAL NOT NULL,
        hit INTEGER NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (chain_id, step))""",
]


def _names(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY name")]


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _create(name: str) -> Migration:
    return Migration(name, lambda db: db.execute(f"CREATE TABLE {name} (x)"))


def test_each_migration_is_applied_once_in_order_and_recorded(tmp_path: Path):
    db = sqlite3.connect(tmp_path / "a.sqlite", isolation_level=None)
    apply_migrations(db, [_create("t1")])
    apply_migrations(db, [_create("t1"), _create("t2")])  # t1 again would fail: the table exists
    assert _tables(db) == {"migrations", "t1", "t2"}
    assert [r[0] for r in db.execute("SELECT name FROM migrations ORDER BY rowid")] == ["t1", "t2"]


@pytest.mark.parametrize("isolation_level", [None, ""])  # autocommit (corpus) and implicit transactions (feedback)
def test_a_failing_migration_leaves_nothing_behind_and_stops_the_ones_after_it(tmp_path: Path, isolation_level):
    db = sqlite3.connect(tmp_path / "a.sqlite", isolation_level=isolation_level)

    def half_done(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half (x)")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        apply_migrations(db, [_create("t1"), Migration("t2", half_done), _create("t3")])
    assert not db.in_transaction
    assert _tables(db) == {"migrations", "t1"}
    assert [r[0] for r in db.execute("SELECT name FROM migrations")] == ["t1"]


def test_an_old_feedback_file_opens_keeps_its_rows_and_records_the_migrations(tmp_path: Path):
    path = tmp_path / "feedback.sqlite"
    with sqlite3.connect(path) as db:
        for ddl in OLD_FEEDBACK_DDL:
            db.execute(ddl)
        db.execute(
            """INSERT INTO decisions (created_at, thread_id, context_hash, prompt, candidates, action, chosen_index,
               final_text, model_id, adapter_id, chain_id, step)
               VALUES ('2024-03-08T19:00:00+00:00', 4, 'h', 'Maya: climbing?', '["yes!"]', 'accept', 0, 'yes!',
                       'gemma', '', 'c1', 0)"""
        )
        db.execute(
            """INSERT INTO chat_ratings (created_at, contact, turns, rating, model_id, adapter_id)
               VALUES ('2024-03-09T10:00:00+00:00', 'Maya', '[{"speaker": "Me", "text": "hi"}]', 4, 'gemma', '')"""
        )
        db.execute("INSERT INTO chains VALUES ('c1', 4, '2024-03-08T19:00:00.000+00:00')")
        db.execute("INSERT INTO predictions VALUES ('c1', 1, 4, 'see you', 'see you!', 0.97, 1, '2024-03-08')")
    db.close()

    store, ledger = FeedbackStore(path), ChainLedger(path)  # in this order, as DraftChain opens them
    [decision] = store.decisions()
    assert (decision.thread_id, decision.candidates, decision.final_text, decision.chain_id) == (4, ["yes!"], "yes!",
                                                                                               "c1")
    assert [(c.contact, c.turns, c.rating) for c in store.chat_ratings()] == [
        ("Maya", [{"speaker": "Me", "text": "hi"}], 4)]
    assert ledger.latest_chain(4) == "c1" and ledger.prediction_counts() == {"hits": 1, "misses": 0}

    store.record(Decision(thread_id=4, prompt="p", candidates=["a"], action="reject", chain_id="c2"))
    ledger.record_prediction(PredictionOutcome("c1", 2, 4, "bye", "ciao", 0.1, hit=False))
    store.close()
    ledger.close()
    assert _names(path) == ["feedback_001_initial", "ledger_001_initial"]
    store, ledger = FeedbackStore(path), ChainLedger(path)
    assert len(list(store.decisions())) == 2 and ledger.prediction_counts() == {"hits": 1, "misses": 1}
    store.close()
    ledger.close()


def test_the_oldest_feedback_file_gains_the_chat_ratings_table(tmp_path: Path):
    path = tmp_path / "feedback.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(OLD_FEEDBACK_DDL[0])  # decisions came before chat ratings
    db.close()
    store = FeedbackStore(path)
    store.record_chat(ChatRating(contact="Maya", turns=[{"speaker": "Me", "text": "hi"}], rating=5))
    assert [c.rating for c in store.chat_ratings()] == [5]
    store.close()
    assert _names(path) == ["feedback_001_initial"]


def test_reopening_a_corpus_applies_nothing_twice(tmp_path: Path):
    path = tmp_path / "corpus.sqlite"
    Corpus(path).close()
    Corpus(path).close()
    assert _names(path) == ["001_initial", "002_source_reports"]
