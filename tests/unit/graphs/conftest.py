"""A tiny corpus (Alex talks with Maya and Sam) and a chain wired to the scripted doubles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from graph_doubles import PAST_EXCHANGES, ListIndex, ScriptedBackend, WordsEmbedder

from assistant.config import load_settings
from assistant.corpus import Corpus, ParsedMessage, ParsedThread
from graphs.predraft.api import DraftChain

UTC_START = datetime(2023, 5, 1, 18, 0, tzinfo=UTC)


def _corpus_events() -> Iterator[ParsedThread | ParsedMessage]:
    yield ParsedThread(key="maya", platform="whatsapp", title="Maya", participants=("Maya", "Alex"))
    lines = [("Maya", "hey! dinner at mine tonight?"), ("Alex", "ooh who else is coming"),
             ("Maya", "Jonas and Priya"), ("Maya", "are you coming tonight?")]
    for i, (sender, text) in enumerate(lines):
        yield ParsedMessage(thread_key="maya", sender=sender, timestamp=UTC_START + timedelta(minutes=i), text=text)
    yield ParsedThread(key="sam", platform="telegram", title="Sam", participants=("Sam", "Alex"))
    yield ParsedMessage(thread_key="sam", sender="Sam", timestamp=UTC_START, text="did you see the match")


@pytest.fixture
def settings(data_dir):
    return load_settings(data_dir, {"draft": {"confidence_threshold": 0.2}})


@pytest.fixture
def corpus(settings):
    with Corpus(settings.corpus_path) as c:
        c.import_events("chat.txt", "sha-chat", "whatsapp", _corpus_events(), UTC)
        c.set_me("Alex")
        yield c


@pytest.fixture
def backend():
    return ScriptedBackend()


@pytest.fixture
def index():
    return ListIndex(list(PAST_EXCHANGES), WordsEmbedder())


@pytest.fixture
def chain(settings, corpus, backend, index):
    with DraftChain(settings, backend=backend, index=index) as c:
        yield c
