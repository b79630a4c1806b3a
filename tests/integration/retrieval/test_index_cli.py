"""`predraft index` as users run it: the full Typer app in-process."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.worlds.retrieval import USER_TURNS, fill_corpus

pytestmark = pytest.mark.slow
TOTAL = sum(USER_TURNS.values())


def _run(*args: str):
    return CliRunner(env={"COLUMNS": "300", "NO_COLOR": "1"}).invoke(app, list(args))


def test_index_is_incremental_applies_consent_and_rebuilds_on_request(settings):
    first = _run("index")
    assert first.exit_code == 0, first.output
    assert f"{TOTAL} exchanges added, 0 unchanged, 0 removed; {TOTAL} in the index" in first.output
    assert f"0 exchanges added, {TOTAL} unchanged, 0 removed" in _run("index").output

    excluded = _run("consent", "exclude", "Jonas")
    assert excluded.exit_code == 0, excluded.output
    gone = USER_TURNS["Jonas"] + USER_TURNS["Climbing crew"]
    assert f"{gone} exchanges removed" in excluded.output
    # The exclusion removes their exchanges at once: the next index has nothing left to remove.
    assert f"0 exchanges added, {TOTAL - gone} unchanged, 0 removed; {TOTAL - gone} in the index" in _run("index").output

    rebuilt = _run("index", "--rebuild")
    assert f"{TOTAL - gone} exchanges added, 0 unchanged, 0 removed" in rebuilt.output


def test_index_without_the_users_name_says_how_to_set_it(data_dir):
    fill_corpus(data_dir / "corpus.sqlite", set_me=False)
    result = _run("index")
    assert result.exit_code != 0
    assert "run `predraft me` for suggestions, then `predraft me set NAME`" in str(result.exception)


def test_index_of_an_empty_corpus_says_to_ingest_first(data_dir):
    result = _run("index")
    assert result.exit_code != 0
    assert "is empty: run `predraft ingest PATH` first" in str(result.exception)


def test_index_help_explains_incremental_runs_and_consent():
    result = _run("index", "--help")
    assert result.exit_code == 0
    assert "a rerun embeds only new or changed exchanges" in " ".join(result.output.split())
    assert "--rebuild" in result.output and "--context-messages" in result.output
