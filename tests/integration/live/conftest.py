"""A draft chain on the scripted model doubles, for live sources whose protocol, not the model, is tested."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import load_settings
from graphs.predraft.api import DraftChain
from tests.unit.graphs.graph_doubles import PAST_EXCHANGES, ListIndex, ScriptedBackend, WordsEmbedder


class UpdatingListIndex(ListIndex):
    """The fixed evidence list; `update` (what a sync calls after importing) has nothing to embed."""

    def __init__(self) -> None:
        super().__init__(list(PAST_EXCHANGES), WordsEmbedder())
        self.updates = 0

    def update(self, corpus, policy) -> None:
        self.updates += 1


@pytest.fixture
def live_chain(data_dir: Path) -> Iterator[DraftChain]:
    settings = load_settings(data_dir, {"ingest": {"timezone": "UTC"},
                                        "draft": {"confidence_threshold": 0.0, "past_replies": 0, "depth": 1}})
    with DraftChain(settings, backend=ScriptedBackend(), index=UpdatingListIndex()) as chain:
        yield chain
