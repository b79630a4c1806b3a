"""The tiny world (tests/worlds/tiny.py) and a chain wired to the scripted doubles."""

from __future__ import annotations

import pytest
from graph_doubles import PAST_EXCHANGES, ListIndex, ScriptedBackend, WordsEmbedder

from assistant.config import load_settings
from graphs.predraft.api import DraftChain
from tests.worlds.tiny import build_corpus


@pytest.fixture
def settings(data_dir):
    # past_replies = 0: these tests follow the model's samples; test_past_replies.py covers the rest.
    # agreement_weight = 0: the scripted flows were written before it; test_chain.py checks it reorders.
    return load_settings(data_dir, {"draft": {"confidence_threshold": 0.2, "past_replies": 0,
                                              "agreement_weight": 0.0}})


@pytest.fixture
def corpus(settings):
    with build_corpus(settings.corpus_path) as c:
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
