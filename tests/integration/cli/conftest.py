"""CLI tests run `predraft` as users do: the full Typer app in-process, or the installed script."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from assistant.cli import app  # importing the package registers every command, as the `predraft` script does
from assistant.demo import SAMPLES_DIR


@pytest.fixture
def cli() -> Callable[..., Result]:
    # Wide enough that rich never wraps a path in an error line.
    runner = CliRunner(env={"COLUMNS": "300", "NO_COLOR": "1"})
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """A downloads folder holding the demo's four exports: WhatsApp x2, Telegram, Discord."""
    folder = tmp_path / "exports"
    shutil.copytree(SAMPLES_DIR, folder)
    return folder


@pytest.fixture
def ingested(cli, exports) -> Path:
    result = cli("ingest", exports, "--timezone", "America/Chicago")
    assert result.exit_code == 0, result.output
    return exports
