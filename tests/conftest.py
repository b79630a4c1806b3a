"""Shared fixtures: every test gets its own private data dir; nothing touches the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import CACHE_DIR_ENV
from assistant.offline import enforce_offline

FIXTURES = Path(__file__).parent / "fixtures"

enforce_offline()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "predraft-data"
    monkeypatch.setenv("PREDRAFT_DATA_DIR", str(path))
    return path


@pytest.fixture(autouse=True, scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Derived files (the embedder's converted model) are built once per session, outside the user's cache."""
    path = tmp_path_factory.mktemp("predraft-cache")
    before = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = str(path)  # a session fixture cannot use monkeypatch
    yield path
    if before is None:
        del os.environ[CACHE_DIR_ENV]
    else:
        os.environ[CACHE_DIR_ENV] = before


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Under `make test` (PREDRAFT_NO_SKIP=1) a skip is a failure: a part missing in CI (tmux, the Axolotl
    environment) must not pass unnoticed. `make test-fast` and plain pytest still skip."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("PREDRAFT_NO_SKIP") == "1" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped where nothing may be skipped (PREDRAFT_NO_SKIP=1): {report.longrepr}"
