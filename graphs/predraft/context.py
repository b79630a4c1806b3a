"""The run context: live objects the nodes use, passed per run and never checkpointed."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.feedback.store import FeedbackStore
from graphs.predraft.ledger import ChainLedger

if TYPE_CHECKING:
    from assistant.models.base import Backend
    from assistant.retrieval.embed import Embedder
    from assistant.retrieval.index import ExchangeIndex


class Resources:
    """The model and the index, loaded on first use: viewing a chain needs neither.

    Either may be given ready-made (the review app shares one backend; tests pass small doubles).
    """

    def __init__(self, settings: Settings, backend: Backend | None = None, index: ExchangeIndex | None = None):
        self.settings = settings
        self._given_backend = backend is not None
        if backend is not None:
            self.backend = backend
        if index is not None:
            self.index = index

    @cached_property
    def backend(self) -> Backend:
        from assistant.models import load_backend  # imports llama.cpp: only when a draft is needed

        return load_backend(self.settings)

    @cached_property
    def index(self) -> ExchangeIndex:
        from assistant.retrieval.index import ExchangeIndex

        return ExchangeIndex(self.settings)

    def close(self) -> None:
        """Free the model if it was loaded here; one that was given belongs to the caller."""
        if "backend" in self.__dict__ and not self._given_backend:
            self.backend.close()

    @property
    def embedder(self) -> Embedder:
        # The index's own embedder: one MiniLM in memory, and vectors comparable with the index's.
        return self.index.embedder


@dataclass(kw_only=True)
class ChainContext:
    settings: Settings
    corpus: Corpus
    feedback: FeedbackStore
    ledger: ChainLedger
    resources: Resources
    cancel: threading.Event | None = None  # set: generation stops and the chain lands at review
