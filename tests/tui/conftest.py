"""The demo world (tests/worlds/demo.py), prepared once per session, copied fresh for each test.

Each test gets its own copy of the prepared data dir, so chains and decisions never leak between
tests; the default model and the MiniLM embedder are loaded once and shared.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.demo.runner import demo_settings
from assistant.models import load_backend
from assistant.models.base import Backend
from assistant.retrieval.embed import load_embedder
from assistant.retrieval.index import ExchangeIndex
from tests.worlds.demo import DemoWorld, prepare_demo


@pytest.fixture(scope="session")
def prepared_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-prepared") / "demo"
    prepare_demo(folder)
    return folder


@pytest.fixture(scope="session")
def embedder():
    return load_embedder()


@pytest.fixture(scope="session")
def real_backend(prepared_demo: Path) -> Iterator[Backend]:
    with load_backend(demo_settings(prepared_demo)) as backend:
        yield backend


@pytest.fixture
def demo(prepared_demo: Path, tmp_path: Path, embedder) -> DemoWorld:
    folder = tmp_path / "demo"
    shutil.copytree(prepared_demo, folder)
    settings = demo_settings(folder)
    return DemoWorld(settings, ExchangeIndex(settings, embedder))



@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Textual runs on asyncio; the tests use anyio's pytest plugin to await the Pilot
