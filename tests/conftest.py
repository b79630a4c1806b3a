"""Shared fixtures: every test gets its own private data dir; nothing touches the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.offline import enforce_offline

FIXTURES = Path(__file__).parent / "fixtures"

enforce_offline()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "predraft-data"
    monkeypatch.setenv("PREDRAFT_DATA_DIR", str(path))
    return path


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
