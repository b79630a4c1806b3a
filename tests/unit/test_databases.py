"""A locked, damaged or full feedback, ledger or checkpoint file is one line that names it, never a traceback."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from assistant import databases
from assistant.config import load_settings
from assistant.databases import DatabaseFileError
from assistant.feedback.store import Decision, FeedbackStore
from graphs.predraft.api import DraftChain
from graphs.predraft.ledger import ChainLedger
from tests.integration.cli.cli_support import PREDRAFT

DECISION = Decision(thread_id=1, prompt="Maya: tonight?\nMe:", candidates=["yes"], action="accept", chosen_index=0)


def _damage(path: Path) -> None:
    path.write_bytes(b"this is not a database" * 200)


@pytest.mark.parametrize("opening", [FeedbackStore, ChainLedger], ids=["feedback", "ledger"])
def test_a_damaged_file_says_which_and_what_to_do(tmp_path, opening):
    path = tmp_path / "feedback.sqlite"
    _damage(path)
    with pytest.raises(DatabaseFileError, match=rf"^{path} is damaged \(file is not a database\): restore it"):
        opening(path)


def test_damaged_checkpoints_stop_a_chain_with_the_file_named(data_dir):
    settings = load_settings(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    _damage(settings.checkpoints_path)
    with pytest.raises(DatabaseFileError, match=r"graph-checkpoints\.sqlite is damaged"):
        DraftChain(settings)


def test_a_file_another_process_writes_is_locked_after_a_wait(tmp_path, monkeypatch):
    monkeypatch.setattr(databases, "BUSY_TIMEOUT_S", 0.1)
    path = tmp_path / "feedback.sqlite"
    store = FeedbackStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseFileError, match=rf"^{path} is locked: another predraft process is writing it"):
            store.record(DECISION)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.record(DECISION) and len(list(store.decisions())) == 1
    store.close()


def test_a_full_disk_says_so(tmp_path):
    path = tmp_path / "feedback.sqlite"
    store = FeedbackStore(path)
    store.db.execute(f"PRAGMA max_page_count = {store.db.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(DatabaseFileError, match=rf"^the disk holding {path} is full: free some space"):
        store.record(Decision(**{**DECISION.__dict__, "prompt": "x" * 100_000}))
    store.close()


def test_a_statement_that_is_wrong_stays_a_bug(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        store.db.execute("SELECT * FROM nowhere")
    store.close()


def test_the_cli_prints_one_line_for_a_damaged_feedback_file(data_dir):
    data_dir.mkdir(mode=0o700, parents=True)
    _damage(data_dir / "feedback.sqlite")
    result = subprocess.run([PREDRAFT, "feedback", "stats"], capture_output=True, text=True, timeout=120,
                            env={"PREDRAFT_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", "COLUMNS": "300"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {data_dir / 'feedback.sqlite'} is damaged")
