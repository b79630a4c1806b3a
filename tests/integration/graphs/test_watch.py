"""Watching a real WhatsApp export: new lines are ingested, indexed, and answered from the pre-draft."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest

from graphs.predraft.api import DraftChain, prediction_stats
from graphs.predraft.watch import refresh, watch_exports
from tests.worlds.watching import CONFIG, build_world

pytestmark = pytest.mark.slow


@pytest.fixture
def export_and_chain(tmp_path: Path, real_backend):
    settings, export = build_world(tmp_path, CONFIG + "\n[model]\nmax_tokens = 12\n")
    with DraftChain(settings, backend=real_backend) as chain:
        assert refresh(chain, [export], predraft=False).updates == []  # indexes what is there
        yield export, chain


def test_the_predicted_message_arriving_in_the_export_is_a_hit(export_and_chain):
    export, chain = export_and_chain
    view = chain.resume(chain.start("Lena", depth=2).chain_id, "accept", chosen_index=0)
    assert view.predicted_incoming
    predicted = view.predicted_incoming.replace("\n", " ")
    with export.open("a") as fh:
        fh.write(f"2024-03-09, 09:52 - Alex: {view.history[0]['text'].splitlines()[0]}\n")
        fh.write(f"2024-03-09, 09:55 - Lena: {predicted}\n")
    result = refresh(chain, [export])
    [update] = result.updates
    assert (update.title, update.new_messages, update.outcome) == ("Lena", 2, "hit")
    assert update.view.chain_id == view.chain_id and update.view.hit is True
    assert [c.text for c in update.view.candidates] == [c.text for c in view.predraft]
    assert prediction_stats(chain.settings) == {"hits": 1, "misses": 0}


def test_a_new_message_without_a_waiting_chain_starts_one(export_and_chain):
    export, chain = export_and_chain
    with export.open("a") as fh:
        fh.write("2024-03-09, 10:30 - Lena: hello??\n")
    [update] = refresh(chain, [export]).updates
    assert (update.new_messages, update.outcome) == (1, "new_chain")
    assert update.view.prompt.endswith("Lena: hello??\nMe:")
    assert chain.latest_chain(update.thread_id) == update.view.chain_id


def test_predictions_that_keep_missing_stop_pre_drafting_past_the_reply(export_and_chain):
    from graphs.predraft.ledger import PredictionOutcome

    export, chain = export_and_chain
    for step in range(30):
        chain.ledger.record_prediction(PredictionOutcome("earlier", step, 1, "see you", "running late", 0.2, False))
    with export.open("a") as fh:
        fh.write("2024-03-09, 10:30 - Lena: hello??\n")
    result = refresh(chain, [export], depth=2)
    [update] = result.updates
    assert (update.outcome, update.view.depth) == ("new_chain", 1)
    assert result.note.startswith("pre-drafting your reply only: predictions hit 0 of 30 (0%)")


def test_watching_reports_each_change_of_the_file(export_and_chain):
    export, chain = export_and_chain
    stop = threading.Event()
    results: queue.Queue = queue.Queue()

    def run() -> None:
        for result in watch_exports(chain, [export], stop=stop):
            results.put(result)

    watcher = threading.Thread(target=run)
    watcher.start()
    try:
        threading.Event().wait(1.0)  # let the watch start before the change
        with export.open("a") as fh:
            fh.write("2024-03-09, 11:00 - Alex: yes, 10am at the bakery?\n")
        result = results.get(timeout=60)
    finally:
        stop.set()
        watcher.join(timeout=30)
    [update] = result.updates
    assert (update.new_messages, update.outcome, update.view) == (1, "your_turn_taken", None)
    assert not watcher.is_alive()
