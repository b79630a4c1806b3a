"""`predraft draft` on the real stack: the printed chain, JSON, and errors without tracebacks."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from assistant.cli import app, main
from assistant.config import Settings

pytestmark = pytest.mark.slow


def test_draft_json_prints_each_step_of_the_chain(world: Settings):
    result = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "draft", "Maya", "--depth", "2",
                                      "--candidates", "1", "--as-of", "2023", "--json"])
    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)
    assert [(s["step"], s["status"]) for s in steps] == [(0, "awaiting_review"), (1, "awaiting_review")]
    # one model sample per step, with up to draft.past_replies of the user's own past replies
    assert [[c["source"] for c in s["candidates"]].count("model") for s in steps] == [1, 1]
    assert all(len(s["candidates"]) <= 1 + world.draft.past_replies for s in steps)
    assert steps[0]["predicted_incoming"] is None and steps[1]["predicted_incoming"]
    assert steps[0]["prompt"].startswith("### WhatsApp chat with Maya · Sunday 2023-12-31\n")
    assert all(e["timestamp"] < "2024-01-01" for s in steps for e in s["evidence"])
    assert {"text", "logprob", "similarity", "score", "source", "evidence_id", "agreement"} == \
        set(steps[0]["candidates"][0])


def test_draft_prints_panels_with_drafts_and_dated_evidence(world: Settings):
    result = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "draft", "Jonas", "--depth", "1"])
    assert result.exit_code == 0, result.output
    assert "step 1/1 · confidence" in result.stdout
    assert "how you answered similar messages" in result.stdout
    assert "202" in result.stdout.split("how you answered similar messages")[1]  # evidence dates


@pytest.mark.parametrize(("argv", "message"), [
    (["draft", "Nobody"], "no thread 'Nobody'"),
    (["draft", "Maya", "--as-of", "last week"], "neither a year"),
])
def test_errors_are_one_clear_line(world: Settings, argv, message, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["predraft", "--data-dir", str(world.data_dir), *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert message in " ".join(err.split()) and "Traceback" not in err
