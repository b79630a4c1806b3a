"""`watch` goes on where it cannot draft: a thread with an excluded contact, an index another process is
updating. And it reads WhatsApp dates as `ingest` does. Scripted model, words embedder: seconds."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.corpus import Corpus
from assistant.ingest.registry import get_parser
from assistant.locks import holding
from assistant.retrieval import index as index_module
from assistant.retrieval.index import index_lock
from graphs.predraft.watch import refresh
from tests.worlds.watching import CONFIG, append, build_world, scripted_chain

PRIYA = """\
2024-02-01, 12:00 - Priya: lunch next week?
2024-02-01, 12:05 - Alex: sure, tuesday?
"""


@pytest.fixture(autouse=True)
def parsers_as_configured_by_default(monkeypatch):
    # The WhatsApp parser is shared by every import of the process: each test leaves it as it found it.
    monkeypatch.setattr(get_parser("whatsapp"), "date_order", "auto")


def test_news_in_an_excluded_thread_is_skipped_with_a_note_and_the_others_are_answered(tmp_path):
    settings, export = build_world(tmp_path)
    priya = export.with_name("WhatsApp Chat with Priya.txt")
    priya.write_text(PRIYA)
    with scripted_chain(settings) as chain:
        refresh(chain, [export.parent], predraft=False)
        chain.corpus.set_consent("Priya", excluded=True)
        append(export, 1, "Lena", "or the day after?")
        with priya.open("a") as fh:
            fh.write("2024-02-01, 12:07 - Priya: tuesday works\n")
        result = refresh(chain, [export.parent])
    outcomes = {u.title: (u.outcome, u.note) for u in result.updates}
    assert outcomes["Lena"] == ("new_chain", None)
    assert outcomes["Priya"] == ("skipped", "'Priya' includes a contact excluded by `predraft consent`: "
                                            "predraft does not draft there")


def test_watch_reads_whatsapp_dates_in_the_configured_order(tmp_path):
    settings, export = build_world(tmp_path, CONFIG.replace("[ingest]\n", '[ingest]\nwhatsapp_date_order = "mdy"\n'))
    sam = export.with_name("WhatsApp Chat with Sam.txt")
    sam.write_text("02/03/24, 10:00 - Sam: hi\n04/05/24, 10:00 - Alex: yo\n")  # either order fits every date
    with scripted_chain(settings) as chain:
        refresh(chain, [sam], predraft=False)
    with Corpus(settings.corpus_path) as corpus:
        sam_thread = next(t for t in corpus.threads() if t.title == "Sam")
        days = [m.timestamp.date() for m in corpus.messages(sam_thread.id)]
    assert days == [datetime(2024, 2, 3).date(), datetime(2024, 4, 5).date()]  # month first, as configured


def test_an_index_another_process_is_updating_is_a_note_and_drafting_goes_on(tmp_path, monkeypatch):
    settings, export = build_world(tmp_path)
    monkeypatch.setattr(index_module, "WRITE_WAIT_S", 0.2)
    with scripted_chain(settings) as chain:
        refresh(chain, [export], predraft=False)
        append(export, 1, "Lena", "or the day after?")
        with holding(index_lock(settings), "indexing", 0):
            result = refresh(chain, [export])
    assert result.note.startswith("index not updated now (another predraft process is updating the index; try "
                                  "again): the next change updates it")
    [update] = result.updates
    assert update.outcome == "new_chain" and update.view.candidates
