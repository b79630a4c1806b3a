"""`predraft sources` lists the imported files; `predraft sources remove` takes one back, so that it can be
imported again, without losing what another imported file holds and without leaving its text in corpus.sqlite."""

from __future__ import annotations

import json
import shlex
import sqlite3
import subprocess
import zipfile
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cli_support import DEMO_MESSAGES, PREDRAFT

from assistant.config import load_settings
from assistant.corpus import Corpus
from assistant.corpus.store import CorpusError
from assistant.databases import DatabaseFileError
from assistant.ingest.removal import plan_source_removal, remove_source

MAYA = "WhatsApp Chat with Maya.txt"
# An older export of Maya's chat, and a newer one holding all of it and five more messages.
OLD = [f"message {i} about the crag" for i in range(10)]
NEW = [*OLD, *(f"later message {i}" for i in range(5))]


def whatsapp(path: Path, texts: list[str], start: datetime = datetime(2023, 1, 13, 9, 0)) -> Path:
    """An Android export, alternately Alex's and Maya's messages, one a minute; the 13th shows month first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, text in enumerate(texts):
        t = start + timedelta(minutes=i)
        lines.append(f"{t.month}/{t.day}/{t:%y}, {t:%H:%M} - {'Maya' if i % 2 else 'Alex'}: {text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sources(cli) -> list[dict]:
    result = cli("sources", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def stored(data_dir: Path) -> list[tuple[str, str]]:
    """Each message's text with the file it is stored under, in time order."""
    with sqlite3.connect(data_dir / "corpus.sqlite") as db:
        return db.execute("SELECT m.text, s.path FROM messages m JOIN sources s ON s.id = m.source_id "
                          "ORDER BY m.ts, m.id").fetchall()


@pytest.fixture
def overlapping(cli, tmp_path) -> tuple[Path, Path]:
    old, new = whatsapp(tmp_path / "old" / MAYA, OLD), whatsapp(tmp_path / "new" / MAYA, NEW)
    assert cli("ingest", old, new, "--timezone", "UTC").exit_code == 0
    return old, new


def test_sources_lists_each_file_with_what_it_stored_and_held(cli, ingested):
    listed = sources(cli)
    assert [(Path(s["path"]).name, s["format"], s["messages_added"], s["messages_seen"],
             [t["title"] for t in s["threads"]]) for s in listed] == [
        ("Direct Messages - Jordan Lee [1098765432109876543].json", "discord", 122, 122, ["Jordan Lee"]),
        ("WhatsApp Chat with Climbing Crew.txt", "whatsapp", 167, 167, ["Climbing Crew"]),
        ("WhatsApp Chat with Maya Chen.txt", "whatsapp", 572, 572, ["Maya Chen"]),
        ("telegram_sam", "telegram", 290, 290, ["Sam Okafor"]),
    ]
    assert [s["id"] for s in listed] == [1, 2, 3, 4]
    assert {s["timezone"] for s in listed} == {"America/Chicago"}
    table = cli("sources").output
    assert "572 (572)" in table and "`predraft sources remove ID`" in table


def test_a_removed_file_imports_again_as_the_first_time(cli, ingested, data_dir):
    maya = ingested / "WhatsApp Chat with Maya Chen.txt"
    first = next(s for s in sources(cli) if s["path"] == str(maya))

    result = cli("sources", "remove", maya, "--yes")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"Removed 3: {maya}: 572 messages deleted; 1 thread removed (Maya Chen)."
    assert [s["path"] for s in sources(cli)] == [str(ingested / name) for name in (
        "Direct Messages - Jordan Lee [1098765432109876543].json", "WhatsApp Chat with Climbing Crew.txt",
        "telegram_sam")]
    again = cli("ingest", maya, "--timezone", "America/Chicago")
    assert again.stdout.startswith(f"{maya}: whatsapp, 572 messages (572 new)"), again.output
    (reimported,) = [s for s in sources(cli) if s["path"] == str(maya)]
    assert [reimported[n] for n in ("messages_added", "messages_seen")] == [first[n] for n in ("messages_added",
                                                                                              "messages_seen")]
    assert len(stored(data_dir)) == sum(DEMO_MESSAGES.values())


def test_removing_the_older_of_two_overlapping_exports_keeps_every_message_of_the_newer(cli, overlapping, data_dir):
    old, new = overlapping
    assert [(s["messages_added"], s["messages_seen"]) for s in sources(cli)] == [(10, 10), (5, 15)]

    result = cli("sources", "remove", "1", "--yes")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        f"Removed 1: {old}: 10 messages deleted, 10 of them stored again from other files.",
        f"  2: {new}: 10 messages stored again, now its own",
    ]
    assert stored(data_dir) == [(text, str(new)) for text in NEW]
    (left,) = sources(cli)
    assert (left["path"], left["messages_added"], left["messages_seen"]) == (str(new), 15, 15)


def test_no_copy_of_a_removed_files_text_stays_in_the_corpus_file(cli, tmp_path, data_dir):
    wrong = whatsapp(tmp_path / "exports" / "WhatsApp Chat with Quinn.txt", ["the quokka password is tangerine"] * 3)
    whatsapp(tmp_path / "exports" / MAYA, NEW)
    assert cli("ingest", tmp_path / "exports", "--timezone", "UTC").exit_code == 0
    corpus_files = lambda: b"".join(p.read_bytes() for p in data_dir.glob("corpus.sqlite*"))  # noqa: E731
    assert b"tangerine" in corpus_files()

    assert cli("sources", "remove", wrong, "--yes").exit_code == 0

    assert b"tangerine" not in corpus_files() and b"quokka" not in corpus_files()
    assert b"later message 4" in corpus_files()


def test_without_yes_and_without_a_terminal_it_says_what_would_go_and_removes_nothing(cli, overlapping):
    old, new = overlapping
    result = cli("sources", "remove", old)

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"1: {old} (whatsapp, imported {sources(cli)[0]['imported_at'][:16].replace('T', ' ')} UTC)",
        "  goes: its record and the 10 messages it stored, in 1 thread: Maya",
        "  share its threads, read again for what they hold of its messages (then stored as theirs):",
        f"    2: {new}",
    ]
    assert result.stderr.strip() == ("error: nothing removed: pass --yes to remove it without a terminal to confirm on")
    assert len(sources(cli)) == 2


def test_a_file_no_longer_at_its_path_is_named_with_what_may_be_missing_and_how_to_restore_it(cli, tmp_path,
                                                                                              data_dir):
    new, old = whatsapp(tmp_path / "new" / MAYA, NEW), whatsapp(tmp_path / "old" / MAYA, OLD)
    assert cli("ingest", new, old, "--timezone", "UTC").exit_code == 0  # the older stores nothing: all held
    old.rename(tmp_path / "elsewhere.txt")

    plan = cli("sources", "remove", new).output
    assert f"    2: {old}: it is no longer at {old}; its messages there may be lost" in plan
    result = cli("sources", "remove", new, "--yes")

    assert result.exit_code == 0, result.output
    assert (f"  warning: 2: {old}: it is no longer at {old}; its messages in these threads may now be missing. With "
            f"the file (or a newer export of its chat) at that path, `predraft sources remove 2 && predraft ingest "
            f"{shlex.quote(str(old))}` stores them again.") in result.output
    assert stored(data_dir) == []
    (tmp_path / "elsewhere.txt").rename(old)
    assert cli("sources", "remove", "2", "--yes").exit_code == 0
    assert cli("ingest", old, "--timezone", "UTC").exit_code == 0
    assert [text for text, _ in stored(data_dir)] == OLD


def test_a_file_read_in_another_timezone_than_at_its_import_restores_nothing_and_says_so(cli, overlapping, data_dir):
    old, new = overlapping
    with sqlite3.connect(data_dir / "corpus.sqlite") as db:  # as recorded before records kept the timezone
        db.execute("UPDATE sources SET report = json_remove(report, '$.timezone')")
    (data_dir / "predraft.toml").write_text('[ingest]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")

    result = cli("sources", "remove", old, "--yes")

    assert result.exit_code == 0, result.output
    assert (f"  warning: 2: {new}: 15 messages it holds now did not match what the corpus held (edited in a newer "
            "export since, or dates read otherwise than at its import) and were not stored. If its dates were read "
            f"otherwise, `predraft sources remove 2 && predraft ingest {shlex.quote(str(new))} --timezone ZONE` (or "
            "--date-order) stores it again.") in result.output
    assert [text for text, _ in stored(data_dir)] == NEW[10:]


def test_a_chat_read_in_the_wrong_day_month_order_is_imported_again_in_the_right_one(cli, tmp_path, data_dir):
    chat = whatsapp(tmp_path / MAYA, OLD, start=datetime(2023, 2, 3, 9, 0))  # 2/3: February 3rd, or March 2nd?
    assert cli("ingest", chat, "--timezone", "UTC").exit_code == 0  # read day first, the default: March 2nd
    with sqlite3.connect(data_dir / "corpus.sqlite") as db:
        assert db.execute("SELECT date(min(ts) / 1000, 'unixepoch') FROM messages").fetchone() == ("2023-03-02",)

    assert cli("sources", "remove", chat, "--yes").exit_code == 0
    assert cli("ingest", chat, "--timezone", "UTC", "--date-order", "mdy").exit_code == 0

    with sqlite3.connect(data_dir / "corpus.sqlite") as db:
        assert db.execute("SELECT date(min(ts) / 1000, 'unixepoch'), count(*) FROM messages").fetchone() == (
            "2023-02-03", 10)


def test_a_chat_found_in_a_zip_is_read_again_from_the_zip(cli, tmp_path, data_dir):
    new = whatsapp(tmp_path / "new" / MAYA, NEW)
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as zf:  # two chats: ingest unpacks it and imports each
        for name, texts in ((MAYA, OLD), ("WhatsApp Chat with Sam.txt", ["yo", "hey"])):
            zf.write(whatsapp(tmp_path / "zipped" / name, texts), name)
    assert cli("ingest", new, bundle, "--timezone", "UTC").exit_code == 0
    assert [s["path"] for s in sources(cli)] == [str(new), f"{bundle}/{MAYA}", f"{bundle}/WhatsApp Chat with Sam.txt"]

    result = cli("sources", "remove", new, "--yes")

    assert f"  2: {bundle}/{MAYA}: 10 messages stored again, now its own" in result.output
    assert [text for text, _ in stored(data_dir) if text in NEW] == OLD
    result = cli("sources", "remove", "3", "--yes")
    assert f"Import it again with `predraft ingest {bundle}`" in result.output


def test_an_unknown_file_is_one_error_line_listing_the_imported_ones(cli, overlapping, data_dir):
    old, new = overlapping
    result = cli("sources", "remove", "7", "--yes")
    assert isinstance(result.exception, CorpusError)
    assert str(result.exception) == (f"no imported file '7'; imported: 1: {old}; 2: {new} "
                                     "(`predraft sources` lists them)")

    done = subprocess.run([PREDRAFT, "sources", "remove", "nowhere.txt", "--yes"], capture_output=True, text=True,
                          env={"PREDRAFT_DATA_DIR": str(data_dir), "COLUMNS": "300", "PATH": "/usr/bin:/bin"},
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: no imported file 'nowhere.txt'; imported: 1: ")


def test_a_corpus_another_process_writes_is_an_error_and_nothing_is_removed(cli, overlapping, data_dir, monkeypatch):
    monkeypatch.setattr("assistant.databases.BUSY_TIMEOUT_S", 0.1)
    other = sqlite3.connect(data_dir / "corpus.sqlite")
    other.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        result = cli("sources", "remove", "1", "--yes")
    finally:
        other.rollback()
        other.close()

    assert isinstance(result.exception, DatabaseFileError)
    assert str(result.exception) == (f"{data_dir / 'corpus.sqlite'} is locked: another predraft process is writing "
                                     "it; try again; nothing was removed")
    assert len(sources(cli)) == 2


def test_an_interrupted_removal_leaves_the_corpus_as_it_was(cli, overlapping, data_dir, monkeypatch):
    before = (stored(data_dir), sources(cli))

    def interrupted(*_):  # Ctrl+C once the messages are deleted and read again, before the transaction ends
        raise KeyboardInterrupt

    monkeypatch.setattr("assistant.ingest.removal.finish_removal", interrupted)
    with Corpus(data_dir / "corpus.sqlite") as corpus, ExitStack() as unpacked:
        plan, rereads = plan_source_removal(corpus, "1", unpacked)
        with pytest.raises(KeyboardInterrupt):
            remove_source(corpus, plan, rereads, "UTC")
    assert (stored(data_dir), sources(cli)) == before


@pytest.mark.slow
def test_what_went_leaves_the_index_and_chains_and_index_brings_the_rest_up_to_date(cli, tmp_path, data_dir,
                                                                                     monkeypatch):
    import chromadb  # the index and the graph: loaded for this test only

    from graphs.predraft.api import DraftChain
    from tests.unit.graphs.graph_doubles import ScriptedBackend, WordsEmbedder

    monkeypatch.setattr("assistant.models.load_backend", lambda settings, **_: ScriptedBackend())
    monkeypatch.setattr("assistant.retrieval.index.load_embedder", lambda *_: WordsEmbedder())
    wrong = whatsapp(tmp_path / "quinn" / "WhatsApp Chat with Quinn.txt",
                     [f"the quokka password is tangerine {i}" for i in range(6)])
    old, new = whatsapp(tmp_path / "old" / MAYA, OLD), whatsapp(tmp_path / "new" / MAYA, NEW)
    assert cli("ingest", wrong, old, new, "--timezone", "UTC").exit_code == 0
    assert cli("me", "set", "Alex").exit_code == 0
    assert cli("index").exit_code == 0
    settings = load_settings(data_dir)
    with DraftChain(settings) as chain:
        chain.start("Quinn")

    result = cli("sources", "remove", wrong, "--yes")

    assert result.exit_code == 0, result.output
    assert "index: 3 exchanges of these threads removed; `predraft index` indexes what is left of them" in result.output
    assert "chains: 1 drafted in or showing these threads deleted, with 0 prediction outcomes" in result.output
    derived = [p for p in data_dir.rglob("*") if p.is_file() and not p.name.startswith("corpus.sqlite")]
    assert [p.name for p in derived if b"tangerine" in p.read_bytes()] == []

    # The older export's messages come back from the newer one under new ids: their exchanges are stale until
    # `predraft index`, whose update drops exchanges of messages no longer in the corpus.
    assert "index:" not in cli("sources", "remove", old, "--yes").output
    assert cli("index").stdout.startswith("5 exchanges added, 3 unchanged, 5 removed; 8 in the index")
    assert cli("index").stdout.startswith("0 exchanges added, 8 unchanged, 0 removed")
    with sqlite3.connect(data_dir / "corpus.sqlite") as db:
        message_ids = {r[0] for r in db.execute("SELECT id FROM messages")}
    indexed = chromadb.PersistentClient(path=str(settings.index_dir)).get_collection(settings.retrieval.collection)
    assert {int(i.split(":")[1]) for i in indexed.get()["ids"]} <= message_ids
