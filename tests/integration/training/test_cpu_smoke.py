"""The whole CLI path on the tiny model: dataset build -> train (real Axolotl) -> resume after a kill."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from training.axolotl import Run

pytestmark = [pytest.mark.slow, pytest.mark.axolotl]
CLI = [sys.executable, "-c", "from assistant.cli import main; main()"]


def test_dataset_build_then_cpu_smoke_training(settings):
    runner = CliRunner()
    built = runner.invoke(app, ["--data-dir", str(settings.data_dir), "dataset", "build"])
    assert built.exit_code == 0, built.output
    assert "29 training and 3 validation examples" in built.output
    trained = runner.invoke(app, ["--data-dir", str(settings.data_dir), "train", "--profile", "cpu-smoke", "--run", "smoke"])
    assert trained.exit_code == 0, trained.output
    run = Run(settings.runs_dir / "smoke")
    info = run.info()
    assert info["status"] == "done" and info["max_steps"] == 4
    assert len(info["eval_losses"]) == 2  # at step 2 and step 4, none before training
    assert "predraft: logits only at labelled positions; torch threads: " in run.log.read_text(errors="replace")
    assert run.adapter.is_file() and (run.output / "adapter_config.json").is_file()
    segments = json.loads((run.folder / "data" / "train.io.jsonl").read_text().splitlines()[0])["segments"]
    assert segments[0]["text"].startswith("<bos>### WhatsApp chat with Maya Chen") and segments[1]["label"] is True
    assert "Trained smoke" in trained.output
    assert "gemma3-270m-cpu" in trained.output  # a smoke run has nothing to export: say what does


def test_an_interrupted_run_resumes_from_its_last_checkpoint(settings):
    base = [*CLI, "--data-dir", str(settings.data_dir)]
    subprocess.run([*base, "dataset", "build"], check=True, capture_output=True)
    run = Run(settings.runs_dir / "resumable")
    train = [*base, "train", "--profile", "cpu-smoke", "--steps", "40", "--run", "resumable"]
    proc = subprocess.Popen(train, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 900
        while not run.checkpoints():
            assert proc.poll() is None, "training ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 15 minutes"
            time.sleep(0.05)
    finally:
        # A crash, not a polite stop: predraft and Axolotl (its own process group) die at once.
        axolotl = run.info().get("pid") if (run.folder / "run.json").is_file() else None
        for group in filter(None, (proc.pid, axolotl)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        proc.wait()
    last = int(run.checkpoints()[-1].name.split("-")[1])
    assert last < 40 and run.info()["status"] == "running"

    resumed = subprocess.run(train, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "(resumed)" in resumed.stdout
    log = run.log.read_text(errors="replace").replace("./", "")
    assert f"resume from checkpoint at output/checkpoint-{last}" in log
    state = json.loads((run.output / "checkpoint-40" / "trainer_state.json").read_text())
    assert state["global_step"] == 40 and run.info()["status"] == "done"
