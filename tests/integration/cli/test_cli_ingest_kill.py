"""SIGKILL in the middle of `predraft ingest`: every source is in the corpus whole or not at all."""

import os
import signal
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

from cli_support import PREDRAFT

from assistant.corpus import Corpus
from assistant.ingest.runner import ingest_paths

BIG_MESSAGES = 150_000  # about two seconds of importing, so the kill lands inside this file's transaction


def _whatsapp_export(path: Path, contact: str, messages: int) -> Path:
    """An Android export between Alex and `contact`, one distinct message a minute."""
    when = datetime(2023, 1, 1, 8, 0)
    lines = []
    for i in range(messages):
        when += timedelta(minutes=1)
        clock = f"{when.hour % 12 or 12}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}"
        sender = "Alex Rivera" if i % 3 else contact
        lines.append(f"{when.month}/{when.day}/{when:%y}, {clock} - {sender}: message {i} about the {i % 7} crag")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ingest(data_dir: Path, *paths: Path) -> subprocess.Popen:
    env = {"PATH": os.environ["PATH"], "PREDRAFT_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.Popen([PREDRAFT, "ingest", "--timezone", "UTC", *map(str, paths)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _sources(corpus: Path) -> list[tuple[str, int, int, int]]:
    """(file name, messages_added, messages_seen, messages stored under the source) per source."""
    with sqlite3.connect(corpus) as db:
        rows = db.execute(
            """SELECT s.path, s.messages_added, s.messages_seen, count(m.id) FROM sources s
               LEFT JOIN messages m ON m.source_id = s.id GROUP BY s.id ORDER BY s.id"""
        ).fetchall()
    return [(Path(p).name, added, seen, stored) for p, added, seen, stored in rows]


def _wait_for_first_source(corpus: Path, process: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if corpus.exists():
            try:
                if _sources(corpus):
                    return
            except sqlite3.OperationalError:  # the schema is being created
                pass
        time.sleep(0.05)
    raise AssertionError(f"the first source never committed: {process.stderr.read() if process.stderr else ''}")


def _messages(corpus: Path) -> list[tuple]:
    with sqlite3.connect(corpus) as db:
        return db.execute(
            "SELECT t.key, m.sender_name, m.ts, m.text FROM messages m JOIN threads t ON t.id = m.thread_id ORDER BY 1, 3, 4"
        ).fetchall()


def test_sigkill_mid_ingest_keeps_sources_whole_and_a_rerun_finishes(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    small = _whatsapp_export(exports / "WhatsApp Chat with Maya Chen.txt", "Maya Chen", 300)
    big = _whatsapp_export(exports / "WhatsApp Chat with Sam Okafor.txt", "Sam Okafor", BIG_MESSAGES)
    killed = tmp_path / "killed"
    corpus = killed / "corpus.sqlite"

    process = _ingest(killed, small, big)
    _wait_for_first_source(corpus, process)
    time.sleep(0.5)  # well into the big file
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    assert process.returncode == -signal.SIGKILL
    # The small file is in whole; of the big one nothing at all, not even its thread or people.
    assert _sources(corpus) == [("WhatsApp Chat with Maya Chen.txt", 300, 300, 300)], "the import ended before the kill"
    with sqlite3.connect(corpus) as db:
        assert db.execute("SELECT count(*) FROM messages WHERE source_id NOT IN (SELECT id FROM sources)").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM threads").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM people WHERE name = 'Sam Okafor'").fetchone() == (0,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # Running it again finishes the job: the same corpus as an uninterrupted import. (In-process: the
    # command only calls ingest_paths, and each start of the script costs seconds.)
    clean = tmp_path / "clean" / "corpus.sqlite"
    for path in (corpus, clean):
        with Corpus(path) as c:
            assert ingest_paths(c, [small, big], timezone="UTC").ok

    assert _sources(corpus) == _sources(clean) == [
        ("WhatsApp Chat with Maya Chen.txt", 300, 300, 300),
        ("WhatsApp Chat with Sam Okafor.txt", BIG_MESSAGES, BIG_MESSAGES, BIG_MESSAGES),
    ]
    assert _messages(corpus) == _messages(clean)
