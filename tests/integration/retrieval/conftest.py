"""Fixtures of the index tests: a fresh corpus (retrieval_world.py) in each test's data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from retrieval_world import fill_corpus

from assistant.config import Settings, load_settings
from assistant.corpus import Corpus


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
