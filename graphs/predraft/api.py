"""The chain's public API, used by the CLI and the review app.

A chain is one LangGraph thread (its `chain_id`) in the checkpoint database: it can be started in
one process and resumed in another. Every call returns a `ChainView` of where the chain stands.

Processes on one data dir answer a chain step once: an answer (`resume`, `incoming`) holds its
thread's lock (assistant/locks.py) from the check of the chain's state to the last checkpoint it
writes, and a caller that passes the version it showed (`shown=view.version`) gets
ChainChangedError, with nothing recorded, when another process moved the chain on meanwhile.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from langgraph.types import Command

from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.errors import PredraftError
from assistant.feedback.store import FeedbackStore
from assistant.locks import holding
from assistant.privacy import PrivacyPolicy, exclusions, read_rules
from assistant.retrieval.exchanges import Evidence, Exchange
from assistant.retrieval.index import EmptyIndexError
from graphs.predraft.context import ChainContext, Resources
from graphs.predraft.graph import compile_chain, open_checkpointer
from graphs.predraft.ledger import ChainLedger
from graphs.predraft.nodes import now_iso
from graphs.predraft.state import ChainInput, EvidenceRecord, RankedCandidate, ReviewAnswer
from graphs.predraft.views import Candidate, ChainView, Status

REVIEW_ACTIONS = ("accept", "edit", "regenerate", "reject")
OnToken = Callable[[int, str], None]  # (candidate index, or -1 for the predicted message; text piece)
ANSWER_WAIT_S = 60.0  # an answer waits this long while another process drafts in the same thread


class ChainError(PredraftError):
    """A chain that does not exist, or a request its current state cannot take."""


class ExcludedThreadError(ChainError):
    """The thread includes a contact excluded by `predraft consent`: nothing is drafted there."""


class ChainChangedError(ChainError):
    """Another process moved the chain on since the caller showed it; nothing was done. `view`: the chain now."""

    def __init__(self, view: ChainView):
        super().__init__(f"chain {view.chain_id!r} was moved on by another predraft process since it was shown "
                         f"(now at step {view.step + 1}, {view.status.replace('_', ' ')}): nothing was recorded")
        self.view = view


class DraftChain:
    def __init__(self, settings: Settings, *, backend: Any = None, index: Any = None):
        self.settings = settings
        self.resources = Resources(settings, backend=backend, index=index)
        self.corpus = Corpus(settings.corpus_path)
        self.feedback = FeedbackStore(settings.feedback_path)
        self.ledger = ChainLedger(settings.feedback_path)
        self._checkpointer = open_checkpointer(settings)
        self.graph = compile_chain(self._checkpointer)

    def close(self) -> None:
        self.resources.close()
        self._checkpointer.conn.close()
        for store in (self.corpus, self.feedback, self.ledger):
            store.close()

    def __enter__(self) -> DraftChain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- running --------------------------------------------------------------------------------

    def start(
        self,
        thread_ref: str | int,
        *,
        depth: int | None = None,
        as_of: date | None = None,
        chain_id: str | None = None,
        on_token: OnToken | None = None,
        cancel: threading.Event | None = None,
    ) -> ChainView:
        """Draft replies for the thread and stop at the first review."""
        thread = self.corpus.thread(thread_ref)
        self._require_consent(thread.id)
        if self.corpus.me() is None:
            raise ChainError("no sender is marked as you, so there is no side to draft for: run `predraft me`, "
                             "then `predraft me set NAME`")
        depth = self.settings.draft.depth if depth is None else depth
        if depth < 1:
            raise ChainError(f"depth must be at least 1 (one reviewed draft), got {depth}")
        chain_id = chain_id or f"{thread.id}-{uuid.uuid4().hex[:12]}"
        if self.ledger.has_chain(chain_id):
            raise ChainError(f"chain {chain_id!r} exists already: resume it, or leave out the chain id for a new one")
        if self.resources.index.count() == 0:
            raise EmptyIndexError(f"the index in {self.settings.index_dir} is empty: run `predraft index` first")
        self.resources.backend  # noqa: B018  a missing model is reported before any chain is created
        self.ledger.add_chain(chain_id, thread.id)
        start = ChainInput(chain_id=chain_id, thread_id=thread.id, depth=depth,
                           as_of=as_of.isoformat() if as_of else None)
        return self._run(chain_id, start, on_token, cancel)

    def resume(
        self,
        chain_id: str,
        action: str,
        *,
        chosen_index: int | None = None,
        text: str | None = None,
        on_token: OnToken | None = None,
        cancel: threading.Event | None = None,
        reviewed: bool = True,
        shown: str | None = None,
    ) -> ChainView:
        """Answer the review: accept (chosen_index, default 0), edit (text), regenerate, or reject.

        `reviewed=False` moves the chain on without storing the decision as feedback: for runs
        where nobody looked at the drafts (the non-interactive CLI). `shown`: the version of the
        chain the decision was made on (ChainChangedError if it moved on since).
        """
        with self._answering(chain_id, shown) as view:
            if view.status == "stalled" and action == "regenerate":
                return self._run(chain_id, None, on_token, cancel)  # reruns the node that was cut off
            self._require_review(view)
            if action not in REVIEW_ACTIONS:
                raise ChainError(f"unknown action {action!r}: expected one of {', '.join(REVIEW_ACTIONS)}")
            if action == "accept" and chosen_index is None:
                chosen_index = 0
            if chosen_index is not None and not 0 <= chosen_index < len(view.candidates):
                raise ChainError(f"chain {chain_id!r} has {len(view.candidates)} candidates at step {view.step}, "
                                 f"so there is no #{chosen_index}: regenerate, edit or reject instead")
            if action == "edit" and not (text and text.strip()):
                raise ChainError("edit needs the text you want to send")
            answer = ReviewAnswer(action=action, chosen_index=chosen_index if action in ("accept", "edit") else None,
                                  text=self._read(text) if action == "edit" and text else None, decided_at=now_iso(),
                                  reviewed=reviewed)
            return self._run(chain_id, Command(resume=answer), on_token, cancel)

    def incoming(
        self, chain_id: str, text: str, *, on_token: OnToken | None = None, cancel: threading.Event | None = None,
        shown: str | None = None,
    ) -> ChainView:
        """A real message arrived: if it is close to the predicted one the pre-draft is served at once (hit),
        otherwise the reply is drafted again for what was really said (miss). `shown` as for `resume`."""
        if not text.strip():
            raise ChainError("an incoming message needs text")
        with self._answering(chain_id, shown) as view:
            self._require_consent(view.thread_id)
            self._require_review(view)
            answer = ReviewAnswer(action="incoming", text=self._read(text), decided_at=now_iso())
            return self._run(chain_id, Command(resume=answer), on_token, cancel)

    def run_unattended(
        self,
        thread_ref: str | int,
        *,
        depth: int | None = None,
        as_of: date | None = None,
        on_token: OnToken | None = None,
    ) -> Iterator[ChainView]:
        """The chain with nobody reviewing, yielding each review point as it is reached.

        The top candidate is taken at each step and not stored as feedback (nobody chose it). A
        low-confidence step ends the chain there, as a reviewer would be offered no suggestion.
        """
        view = self.start(thread_ref, depth=depth, as_of=as_of, on_token=on_token)
        while view.status in ("awaiting_review", "low_confidence"):
            yield view
            if view.status == "low_confidence":
                return
            view = self.resume(view.chain_id, "accept", chosen_index=0, on_token=on_token, reviewed=False,
                               shown=view.version)

    def _run(self, chain_id: str, payload: Any, on_token: OnToken | None, cancel: threading.Event | None) -> ChainView:
        context = ChainContext(settings=self.settings, corpus=self.corpus, feedback=self.feedback,
                               ledger=self.ledger, resources=self.resources, cancel=cancel)
        for chunk in self.graph.stream(payload, _config(chain_id), context=context, stream_mode="custom"):
            if on_token is not None:
                on_token(chunk["candidate"], chunk["piece"])
        return self.view(chain_id)

    def _read(self, text: str) -> str:
        """Text typed into a chain (what the user sends, what the other side answered), read by the privacy
        policy as the thread itself is read (load_thread): the checkpoints, feedback and ledger keep it."""
        return read_rules(self.corpus, PrivacyPolicy.from_settings(self.settings)).text(text.strip())

    @contextmanager
    def _answering(self, chain_id: str, shown: str | None) -> Iterator[ChainView]:
        """The chain as it stands, while no other process may move it on (its thread's lock)."""
        thread_id = self.view(chain_id).thread_id
        lock = self.settings.locks_dir / f"thread-{thread_id}.lock"
        with holding(lock, "drafting in this thread", ANSWER_WAIT_S):
            view = self.view(chain_id)
            if shown is not None and view.version != shown:
                raise ChainChangedError(view)
            yield view

    def _require_consent(self, thread_id: int) -> None:
        if exclusions(self.corpus).involves(thread_id):
            # A draft's prompt is stored as feedback and feeds training: an excluded contact's words must not.
            raise ExcludedThreadError(f"{self.corpus.thread(thread_id).title!r} includes a contact excluded by "
                                      "`predraft consent`: predraft does not draft there")

    @staticmethod
    def _require_review(view: ChainView) -> None:
        if view.status == "done":
            raise ChainError(f"chain {view.chain_id!r} is finished: start a new one for this thread")
        if view.status == "stalled":
            raise ChainError(f"chain {view.chain_id!r} stopped before its drafts were ready: "
                             "resume it with `regenerate` first")

    # ---- reading --------------------------------------------------------------------------------

    def view(self, chain_id: str) -> ChainView:
        snapshot = self.graph.get_state(_config(chain_id))
        values = snapshot.values
        if not values:
            # Never made, or deleted since it was read (`predraft consent exclude` in another process does that).
            raise ChainError(f"no chain {chain_id!r} in {self.settings.checkpoints_path} (a chain deleted by "
                             "`predraft consent exclude` is gone): draft the thread again")
        if not snapshot.next:
            status: Status = "done"
        elif not snapshot.interrupts:
            status = "stalled"
        else:
            status = "awaiting_review" if values.get("suggest") else "low_confidence"
        as_of = values.get("as_of")
        return ChainView(
            chain_id=chain_id,
            version=snapshot.config["configurable"]["checkpoint_id"],
            thread_id=values["thread_id"],
            step=values.get("step", 0),
            status=status,
            candidates=[_candidate(c) for c in values.get("candidates", [])],
            confidence=values.get("confidence", 0.0),
            evidence=[_evidence(e) for e in values.get("evidence", [])],
            predicted_incoming=values.get("predicted_incoming"),
            predraft=[_candidate(c) for c in values.get("predraft", [])],
            alternatives=[a["text"] for a in values.get("alternatives", [])],
            prompt=values.get("prompt", ""),
            history=list(values.get("history", [])),
            depth=values["depth"],
            incoming=values.get("incoming"),
            hit=values.get("hit"),
            as_of=date.fromisoformat(as_of) if as_of else None,
            contact=values.get("contact", ""),
            context=[dict(t) for t in values.get("context", [])],
        )

    def latest_chain(self, thread_id: int) -> str | None:
        return self.ledger.latest_chain(thread_id)


def prediction_stats(settings: Settings) -> dict[str, int]:
    """How often a real message matched the predicted one: {"hits": n, "misses": m}."""
    ledger = ChainLedger(settings.feedback_path)
    try:
        return ledger.prediction_counts()
    finally:
        ledger.close()


def _config(chain_id: str) -> dict:
    return {"configurable": {"thread_id": chain_id}}


def _candidate(c: RankedCandidate) -> Candidate:
    # Chains checkpointed before past replies were offered have model samples only, and before agreement
    # was kept, none.
    return Candidate(text=c["text"], logprob=c["logprob"], similarity=c["similarity"], score=c["score"],
                     source=c.get("source", "model"), evidence_id=c.get("evidence_id"),
                     agreement=c.get("agreement"))


def _evidence(e: EvidenceRecord) -> Evidence:
    exchange = Exchange(
        id=e["id"], thread_id=e["thread_id"], thread_title=e["thread_title"], contact=e["contact"],
        platform=e["platform"], timestamp=datetime.fromisoformat(e["timestamp"]).astimezone(UTC), year=e["year"],
        context=e["context"], reply=e["reply"], answer=e.get("answer", ""),
    )
    return Evidence(exchange=exchange, similarity=e["similarity"])
