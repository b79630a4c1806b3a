"""The index shared by processes: writers take turns, searchers see their changes, a damaged index is one
line and `--rebuild` repairs it. Real Chroma with the words embedder (tests/unit/graphs/graph_doubles.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.corpus import Corpus
from assistant.locks import BusyError, holding
from assistant.privacy import PrivacyPolicy
from assistant.retrieval import index as index_module
from assistant.retrieval.index import ExchangeIndex, IndexDamagedError, index_lock
from assistant.retrieval.search_cache import CACHE_DIR, SearchCache
from tests.unit.graphs.graph_doubles import WordsEmbedder
from tests.worlds.retrieval import ME, USER_TURNS
from tests.worlds.threads import ChatThread, import_threads

DROP = PrivacyPolicy(consent_mode="drop-thread")
LENA = ChatThread("lena", "whatsapp", "Lena", ("Lena", ME), [(datetime(2024, 5, 4, 10, 0, tzinfo=UTC), [
    ("Lena", "the aquarium got an octopus, come?"), (ME, "yes, octopus saturday")])])
REPO = Path(__file__).resolve().parents[3]
# `predraft index` in a process of its own, with the words embedder.
INDEX_ELSEWHERE = """
import sys
from pathlib import Path
from assistant.config import load_settings
from assistant.corpus import Corpus
from assistant.privacy import PrivacyPolicy
from assistant.retrieval.index import ExchangeIndex
from tests.unit.graphs.graph_doubles import WordsEmbedder

settings = load_settings(Path(sys.argv[1]))
with Corpus(settings.corpus_path) as corpus:
    print(ExchangeIndex(settings, WordsEmbedder()).update(corpus, PrivacyPolicy.from_settings(settings)))
"""


def _index_elsewhere(settings: Settings) -> None:
    done = subprocess.run([sys.executable, "-c", INDEX_ELSEWHERE, str(settings.data_dir)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def _found(index: ExchangeIndex, query: str) -> list[str]:
    return [e.exchange.context for e in index.search(query, k=20)]


def test_a_searcher_sees_what_another_process_changed(settings, corpus):
    # exact_search_rows 0: every search asks Chroma's graph, which a process keeps as it first read it.
    settings = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"exact_search_rows": 0})})
    reader = ExchangeIndex(settings, WordsEmbedder())
    reader.update(corpus, DROP)
    zeppelin, octopus = "Jonas: the zeppelin museum opens saturday, coming?", "Lena: the aquarium got an octopus, come?"
    assert zeppelin in _found(reader, zeppelin)

    corpus.set_consent("Jonas", excluded=True)
    import_threads(corpus, [LENA], UTC, gap=timedelta(minutes=2))
    _index_elsewhere(settings)
    found = _found(reader, octopus + " the zeppelin museum")
    assert octopus in found and zeppelin not in found  # its cache and its Chroma graph were both renewed
    assert reader.count() == USER_TURNS["Maya"] + USER_TURNS["Priya"] + 1
    reader.close()


def test_a_second_writer_waits_briefly_then_says_another_process_is_updating(settings, corpus, monkeypatch):
    monkeypatch.setattr(index_module, "WRITE_WAIT_S", 0.2)
    monkeypatch.setattr(index_module, "load_embedder", lambda *_: WordsEmbedder())
    with holding(index_lock(settings), "indexing", 0):
        with pytest.raises(BusyError, match=r"^another predraft process is updating the index; try again$"):
            ExchangeIndex(settings).update(corpus, DROP)
        result = CliRunner().invoke(app, ["index"])
    assert isinstance(result.exception, BusyError)
    assert ExchangeIndex(settings).update(corpus, DROP).added == sum(USER_TURNS.values())


def test_a_cache_is_saved_whole_under_a_name_of_its_own(tmp_path):
    cache = SearchCache.from_records(["a", "b"], np.eye(2, dtype=np.float32), [
        {"ts_ms": 1, "thread_id": 1, "hash": "x"}, {"ts_ms": 2, "thread_id": 1, "hash": "y"}])
    savers = [threading.Thread(target=cache.save, args=(tmp_path, "g1", "c")) for _ in range(8)]
    for saver in savers:
        saver.start()
    for saver in savers:
        saver.join()
    assert [p.name for p in (tmp_path / CACHE_DIR).iterdir()] == ["g1"]  # no temp folder left behind
    loaded = SearchCache.load(tmp_path, "g1", "c", 2)
    assert loaded is not None and loaded.ids.tolist() == ["a", "b"]
    assert SearchCache.load(tmp_path, "g1", "c", 3) is None  # another size: rebuilt


def test_a_damaged_index_is_one_line_and_rebuild_repairs_it(settings, monkeypatch):
    monkeypatch.setattr(index_module, "load_embedder", lambda *_: WordsEmbedder())
    cli = CliRunner(env={"COLUMNS": "300", "NO_COLOR": "1"})
    assert cli.invoke(app, ["index"]).exit_code == 0
    damaged = settings.index_dir / "chroma.sqlite3"
    damaged.write_bytes(b"\0" * 100 + damaged.read_bytes()[100:4096] + b"\0" * 8192)

    with pytest.raises(IndexDamagedError, match=rf"^the index {damaged} cannot be read \(.*\): `predraft index "
                                                r"--rebuild` repairs it"):
        ExchangeIndex(settings)
    assert isinstance(cli.invoke(app, ["index"]).exception, IndexDamagedError)

    rebuilt = cli.invoke(app, ["index", "--rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    total = sum(USER_TURNS.values())
    assert f"{total} exchanges added, 0 unchanged, 0 removed; {total} in the index" in rebuilt.output
    with Corpus(settings.corpus_path) as corpus:
        assert ExchangeIndex(settings, WordsEmbedder()).update(corpus, DROP).added == 0


FORGET_ELSEWHERE = """
import sys
from pathlib import Path
from assistant.config import load_settings
from assistant.corpus import Corpus
from assistant.privacy import exclusions
from assistant.retrieval.index import ExchangeIndex
from tests.unit.graphs.graph_doubles import WordsEmbedder

settings = load_settings(Path(sys.argv[1]))
with Corpus(settings.corpus_path) as corpus:
    corpus.set_consent("Jonas", excluded=True)
    print(ExchangeIndex(settings, WordsEmbedder()).forget(exclusions(corpus)))
"""


def test_a_searcher_goes_on_after_another_process_rewrote_the_index_for_an_exclusion(settings, corpus):
    settings = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"exact_search_rows": 0})})
    reader = ExchangeIndex(settings, WordsEmbedder())
    reader.update(corpus, DROP)
    zeppelin = "Jonas: the zeppelin museum opens saturday, coming?"
    assert zeppelin in _found(reader, zeppelin)
    done = subprocess.run([sys.executable, "-c", FORGET_ELSEWHERE, str(settings.data_dir)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0
    assert zeppelin not in _found(reader, zeppelin)
    assert reader.count() == USER_TURNS["Maya"] + USER_TURNS["Priya"]
    reader.update(corpus, DROP)  # and it can write again
    reader.close()
