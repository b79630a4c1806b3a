"""The two paths of benchmarks/live.py: Bob writing in a Matrix room `predraft live` follows, and Maya's
lines appended to a WhatsApp export that `watch.refresh` reads; each readies a chain that waits with a
prediction (`prepare`), then times one message arriving (`measure`).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from assistant.config import load_settings
from assistant.corpus.store import Corpus
from assistant.demo import DEMO_ALIASES, DEMO_EXCLUDED, DEMO_ME
from assistant.ingest.live.matrix import MatrixSource
from assistant.ingest.runner import ingest_paths
from assistant.privacy import PrivacyPolicy
from assistant.retrieval.index import ExchangeIndex
from graphs.predraft.api import DraftChain
from graphs.predraft.live import accept, sync
from graphs.predraft.watch import refresh
from tests.integration.live.synapse import User

SETTLE_S = 0.3  # after the poll is sent, before Bob writes: the homeserver is holding it open by then
STARTERS = ["are you free on saturday?", "did you see the match last night?", "how was the trip?",
            "want to grab lunch tomorrow?", "can you send me that recipe?", "are you coming to the gym later?",
            "what time does the film start?", "did you get my parcel?", "how's the new job going?",
            "fancy a walk this evening?"]
MISSES = ["btw did you ever fix the leak under your kitchen sink?", "my cousin is in town next week, any tips?",
          "the plumber number is on the fridge", "i lost my keys again lol", "who won the quiz in the end?",
          "is the bakery on 5th still open?", "remind me what we owe for the tickets", "new phone, who dis",
          "the cat knocked the plant over again", "are the trains running today?"]


def build_world(data_dir: Path, exports: Path) -> None:
    """The demo corpus from a copy of its exports (so they can be appended to), marked, indexed."""
    data_dir.mkdir(parents=True)
    (data_dir / "predraft.toml").write_text('[ingest]\ntimezone = "UTC"\n\n[draft]\nconfidence_threshold = 0.0\n')
    settings = load_settings(data_dir)
    with Corpus(settings.corpus_path) as corpus:
        assert ingest_paths(corpus, [exports], timezone="UTC").ok
        corpus.set_me(DEMO_ME, [a for a in DEMO_ALIASES if any(p.name == a for p in corpus.people())])
        corpus.set_consent(DEMO_EXCLUDED, excluded=True)
        ExchangeIndex(settings).update(corpus, PrivacyPolicy.from_settings(settings))


LAPS: dict[str, float] = {}  # seconds per instrumented step of the measurement under way
ENDS: dict[str, float] = {}  # when each instrumented step last returned (perf_counter)


def timed(owner: object, name: str, lap: str) -> None:
    """Wrap `owner.name` so that its calls add up under LAPS[lap]: where predraft's own time goes."""
    method = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            ENDS[lap] = time.perf_counter()
            LAPS[lap] = LAPS.get(lap, 0.0) + ENDS[lap] - started

    setattr(owner, name, wrapper)


def instrument(chain: DraftChain) -> None:
    timed(chain.corpus, "import_events", "import")
    timed(chain.resources.index, "update", "index_update")
    # The hit served, or the miss drafted again: when it returns, the chain's checkpoint holds the reply and
    # a review reading the chain shows it; what the sync does after (the index update) is not waited for.
    timed(chain, "incoming", "incoming")


class TimedSource(MatrixSource):
    """Marks when a long poll goes out and when its response is back, without changing what it does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.polling, self.answered_at = threading.Event(), 0.0

    def _sync(self, since, wait_s, full_state):
        self.polling.set()
        try:
            return super()._sync(since, wait_s, full_state)
        finally:
            self.polling.clear()
            self.answered_at = time.perf_counter()


class LivePath:
    def __init__(self, chain: DraftChain, source: TimedSource, bob: User, room: str):
        self.chain, self.source, self.bob, self.room = chain, source, bob, room
        self.thread_id = chain.corpus.thread(room).id

    def _until_news(self, wait_s: float = 30.0):
        while True:
            result = sync(self.chain, self.source, wait_s=wait_s)
            if result.updates:
                return result.updates[0]

    def prepare(self, n: int) -> str | None:
        """A chain waiting with a prediction: Bob's starter drafted, its reply accepted and sent, seen back."""
        self.bob.send(self.room, STARTERS[n % len(STARTERS)])
        update = self._until_news()
        accept(self.chain, self.source, update.view, 0)
        assert self._until_news().outcome == "your_turn_taken"
        return self.chain.view(self.chain.latest_chain(self.thread_id)).predicted_incoming

    def measure(self, text: str) -> dict[str, float]:
        sent_at: list[float] = []

        def bob_writes() -> None:  # while the loop waits in its long poll
            self.source.polling.wait()
            time.sleep(SETTLE_S)
            self.bob.send(self.room, text)
            sent_at.append(time.perf_counter())

        writer = threading.Thread(target=bob_writes)
        writer.start()
        LAPS.clear()
        self._until_news()
        synced = ready_view(self.chain, self.thread_id)
        writer.join()
        ready = ENDS["incoming"]
        return {"total": ready - sent_at[0], "delivery": self.source.answered_at - sent_at[0],
                "predraft": ready - self.source.answered_at, "sync_done": synced - sent_at[0], **LAPS}


class ExportPath:
    def __init__(self, chain: DraftChain, export: Path, other: str):
        self.chain, self.export, self.other = chain, export, other
        self.thread_id = chain.corpus.thread(other).id
        self.clock = datetime(2025, 6, 20, 9, 0)

    def _append(self, sender: str, text: str) -> None:
        self.clock += timedelta(minutes=1)
        stamp = f"{self.clock.month}/{self.clock.day}/{self.clock:%y}, {self.clock:%I:%M %p}".replace(" 0", " ")
        with self.export.open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} - {sender}: {text}\n")

    def prepare(self, n: int) -> str | None:
        self._append(self.other, STARTERS[n % len(STARTERS)])
        [update] = refresh(self.chain, [self.export]).updates
        view = self.chain.resume(update.view.chain_id, "accept", chosen_index=0, shown=update.view.version)
        self._append(DEMO_ME, update.view.candidates[0].text)  # the user sent it: the next export has it
        assert refresh(self.chain, [self.export]).updates[0].outcome == "your_turn_taken"
        return view.predicted_incoming

    def measure(self, text: str) -> dict[str, float]:
        self._append(self.other, text)
        written = time.perf_counter()
        LAPS.clear()
        refresh(self.chain, [self.export])
        synced = ready_view(self.chain, self.thread_id)
        return {"total": ENDS["incoming"] - written, "sync_done": synced - written, **LAPS}


def ready_view(chain: DraftChain, thread_id: int) -> float:
    """The thread's reply is ready (its chain's view, read as the review reads it); when the check was done."""
    view = chain.view(chain.latest_chain(thread_id))
    assert view.status in ("awaiting_review", "low_confidence"), view.status
    return time.perf_counter()
