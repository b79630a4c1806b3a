"""Decisions made in the review UI become training data: the next `predraft dataset build` contains them,
and `predraft feedback stats` counts them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner
from tui_support import settle

from assistant.cli import app as cli
from training.dataset import dataset_dir, load_examples

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


async def test_accepted_and_edited_drafts_reach_the_next_dataset_and_the_stats(demo, real_backend):
    app = demo.review(real_backend, open_ref="Maya Chen")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        accepted = screen.view.candidates[0].text
        await pilot.press("a")  # step 1: sent as drafted
        await settle(pilot)
        assert screen.view.step == 1 and screen.view.candidates
        await pilot.press("e", "ctrl+a", "ctrl+k", *"sure", "space", *"thing", "ctrl+s")  # step 2: rewritten
        await settle(pilot)
        assert screen.view.status == "done"
    assert [(d.action, d.final_text, d.step) for d in demo.decisions()] == [("accept", accepted, 0),
                                                                            ("edit", "sure thing", 1)]

    runner = CliRunner()
    data_dir = str(demo.settings.data_dir)
    built = runner.invoke(cli, ["--data-dir", data_dir, "dataset", "build"])
    assert built.exit_code == 0, built.output
    rows = load_examples(dataset_dir(demo.settings, demo.settings.dataset.name), "train")
    feedback = [r for r in rows if r["source"] == "feedback"]
    assert sorted(r["reply"] for r in feedback) == sorted([accepted, "sure thing"])
    first = next(r for r in feedback if r["reply"] == accepted)
    assert first["prompt"] == demo.decisions()[0].prompt and first["prompt"].endswith("Maya Chen: just you\nMe:")

    stats = runner.invoke(cli, ["--data-dir", data_dir, "feedback", "stats", "--json"])
    assert stats.exit_code == 0, stats.output
    numbers = json.loads(stats.stdout)
    assert numbers["actions"] == {"accept": 1, "edit": 1, "regenerate": 0, "reject": 0}
    assert (numbers["acceptance_rate"], numbers["used_rate"]) == (0.5, 1.0)
    assert numbers["mean_edit_distance"] > 0 and numbers["decisions"] == 2
    assert sum(b["answered"] for b in numbers["buckets"]) == 2
    table = runner.invoke(cli, ["--data-dir", data_dir, "feedback", "stats"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "accepted as drafted" in table.stdout and "50%" in table.stdout
