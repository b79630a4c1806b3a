"""The chain's nodes replayed at a past moment: what `predraft draft` would have shown then.

Evaluation asks the product, not its parts: for a held-out turn, the graph's own nodes run in the
graph's order on the thread as it stood just before that turn, with evidence from before that day.
Nothing is checkpointed and no feedback is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import datetime
from typing import Any

from langgraph.runtime import Runtime

from assistant.config import Settings
from assistant.corpus.models import Message, Person, Thread
from assistant.corpus.store import Corpus
from assistant.feedback.store import FeedbackStore
from assistant.models.base import Backend
from assistant.prompting import ME, Turn, header_day
from graphs.predraft import nodes
from graphs.predraft.context import ChainContext, Resources
from graphs.predraft.ledger import ChainLedger
from graphs.predraft.state import ChainState, RankedCandidate

Node = Callable[[ChainState, Runtime[ChainContext]], dict]
DRAFT_NODES: tuple[Node, ...] = (nodes.load_thread, nodes.retrieve, nodes.draft, nodes.rank, nodes.gate)


class CorpusBefore:
    """The corpus as it was just before a moment: what the graph would have read then."""

    def __init__(self, corpus: Corpus, before: datetime):
        self._corpus = corpus
        self._until_ms = int(before.timestamp() * 1000) - 1

    def thread(self, ref: str | int) -> Thread:
        return self._corpus.thread(ref)

    def me(self) -> Person | None:
        return self._corpus.me()

    def messages(self, thread_id: int, until_ms: int | None = None) -> list[Message]:
        return self._corpus.messages(thread_id, min(self._until_ms, until_ms or self._until_ms))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._corpus, name)  # people, consent: as they are now


class Replay:
    """Runs nodes on threads as they stood at given moments, sharing one model and index."""

    def __init__(self, corpus: Corpus, feedback: FeedbackStore, ledger: ChainLedger, resources: Resources,
                 settings: Settings | None = None):
        self.corpus = corpus
        self.feedback = feedback
        self.ledger = ledger
        self.resources = resources
        self.settings = settings or resources.settings  # another [draft] section compares variants

    def _runtime(self, before: datetime) -> Runtime[ChainContext]:
        context = ChainContext(settings=self.settings, corpus=CorpusBefore(self.corpus, before),
                               feedback=self.feedback, ledger=self.ledger, resources=self.resources)
        return Runtime(context=context, stream_writer=lambda _chunk: None)

    def run(self, thread_id: int, before: datetime, as_of: str | None, steps: tuple[Node, ...]) -> ChainState:
        runtime = self._runtime(before)
        state: ChainState = {"chain_id": "replay", "thread_id": thread_id, "depth": 1, "as_of": as_of, "history": []}
        for step in steps:
            state |= step(state, runtime)
        return state

    def top_draft(self, thread_id: int, before: datetime, as_of: str | None) -> tuple[RankedCandidate | None, ChainState]:
        """The candidate `predraft draft --as-of` would have shown first for a reply at `before`."""
        state = self.run(thread_id, before, as_of, DRAFT_NODES)
        return (state["candidates"][0] if state["candidates"] else None), state

    def top_draft_for(self, example: Mapping[str, Any]) -> str:
        """For a dataset row (its thread, time and prompt): the top draft's text, "" when none."""
        day = header_day(example["prompt"])
        when = example["when"] if isinstance(example["when"], datetime) else datetime.fromisoformat(example["when"])
        top, _ = self.top_draft(example["thread_id"], when, day.isoformat() if day else None)
        return top["text"] if top else ""

    def predictions(self, thread_id: int, sent_at: datetime, sent: list[str], as_of: str) -> list[str]:
        """The other side's messages the chain would have expected after the user sent `sent` at `sent_at`,
        likeliest first (the one pre-drafted by the model, then the alternatives with replies ready):
        the step's evidence retrieved for the thread before it, the reply joins as accepted, then `predict`."""
        state = self.run(thread_id, sent_at, as_of, (nodes.load_thread, nodes.retrieve))
        state["context"] = state["context"] + [Turn(speaker=ME, text=m, source="accepted") for m in sent]
        state["step"] = 1
        predicted = nodes.predict(state, self._runtime(sent_at))
        first = [predicted["predicted_incoming"]] if predicted["predicted_incoming"] else []
        return first + [a["text"] for a in predicted["alternatives"]]


@contextmanager
def replay(resources: Resources, settings: Settings | None = None) -> Iterator[Replay]:
    """A Replay on the data dir's corpus and stores, with these model and index (and other settings)."""
    paths = resources.settings
    with Corpus(paths.corpus_path) as corpus, closing(FeedbackStore(paths.feedback_path)) as feedback, \
            closing(ChainLedger(paths.feedback_path)) as ledger:
        yield Replay(corpus, feedback, ledger, resources, settings)


def top_drafts(settings: Settings, backend: Backend, rows: Sequence[Mapping[str, Any]],
               on_row: Callable[[], None] = lambda: None) -> list[str]:
    """`predraft eval`'s product system: the top draft for each dataset row, drafted with `backend`."""
    tops = []
    with replay(Resources(settings, backend=backend)) as at:
        for row in rows:
            tops.append(at.top_draft_for(row))
            on_row()
    return tops
