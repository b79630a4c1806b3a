"""The review-stage commands where no model is needed: terminal checks and empty feedback statistics."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from assistant.cli import app


def test_review_and_chat_need_a_terminal_and_say_what_to_use_instead(data_dir):
    runner = CliRunner(env={"COLUMNS": "200"})
    review = runner.invoke(app, ["review"])
    assert review.exit_code == 2
    assert "needs a terminal; use `predraft draft THREAD` to print drafts instead" in " ".join(review.output.split())
    chat = runner.invoke(app, ["chat"])
    assert chat.exit_code == 2 and "`predraft chat` is a terminal UI" in " ".join(chat.output.split())


def test_feedback_stats_without_any_feedback(data_dir):
    runner = CliRunner(env={"COLUMNS": "200"})
    result = runner.invoke(app, ["feedback", "stats"])
    assert result.exit_code == 0
    assert "No review decisions yet" in result.stdout
    assert re.search(r"accepted as drafted\s+–", result.stdout) and "(under the gate)" in result.stdout
    numbers = json.loads(runner.invoke(app, ["feedback", "stats", "--json"]).stdout)
    assert (numbers["decisions"], numbers["acceptance_rate"], numbers["hit_rate"]) == (0, None, None)
    assert [b["range"] for b in numbers["buckets"]] == ["0.00-0.20", "0.20-0.35", "0.35-0.50", "0.50-0.65",
                                                        "0.65-0.80", "0.80-1.00"]
    assert not (data_dir / "feedback.sqlite").exists()  # looking at stats creates nothing
