"""Fixtures of the training unit tests: the training world's corpus and an in-memory chat (tests/worlds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from tests.worlds.chat import Chat
from tests.worlds.training import build_corpus


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings(data_dir)


@pytest.fixture
def chat() -> Chat:
    return Chat()


@pytest.fixture
def corpus(settings: Settings) -> Iterator:
    c = build_corpus(settings.corpus_path)
    yield c
    c.close()
