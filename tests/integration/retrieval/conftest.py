"""Fixtures of the index tests: a fresh retrieval world (tests/worlds/retrieval.py) in each test's data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.corpus import Corpus
from tests.worlds.retrieval import fill_corpus


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    fill_corpus(load_settings(data_dir).corpus_path)
    return load_settings(data_dir)


@pytest.fixture
def corpus(settings: Settings) -> Iterator[Corpus]:
    with Corpus(settings.corpus_path) as c:
        yield c


@pytest.fixture
def thread_ids(corpus: Corpus) -> dict[str, int]:
    return {t.title: t.id for t in corpus.threads()}
