"""The graph world (tests/worlds/graph.py) built once per session, with the default model and its index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.config import Settings
from assistant.corpus import Corpus
from assistant.models import load_backend
from assistant.retrieval.index import ExchangeIndex
from graphs.predraft.api import DraftChain
from tests.worlds.graph import build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_world(tmp_path_factory.mktemp("graph-world") / "data")


@pytest.fixture(scope="session")
def real_backend(world: Settings):
    with load_backend(world) as backend:
        yield backend


@pytest.fixture(scope="session")
def real_index(world: Settings) -> ExchangeIndex:
    return ExchangeIndex(world)


@pytest.fixture
def chain(world: Settings, real_backend, real_index) -> Iterator[DraftChain]:
    with DraftChain(world, backend=real_backend, index=real_index) as c:
        yield c


@pytest.fixture(scope="session")
def thread_ids(world: Settings) -> dict[str, int]:
    with Corpus(world.corpus_path) as corpus:
        return {t.title: t.id for t in corpus.threads()}
