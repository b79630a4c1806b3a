"""`predraft demo` without a terminal: from a fresh data dir to a printed chain of real drafts with evidence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.demo.runner import DEMO_CONFIG

pytestmark = pytest.mark.slow

PREDRAFT = Path(sys.executable).parent / "predraft"
# The demo's own config plus short generations, so the test stays quick.
QUICK = DEMO_CONFIG + "\n[model]\nmax_tokens = 12\n\n[draft]\ncandidates = 2\n"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("user") / "data"
    (folder / "demo").mkdir(parents=True)
    (folder / "demo" / "predraft.toml").write_text(QUICK)
    return folder


@pytest.fixture(scope="module")
def first_run(data_dir: Path) -> subprocess.CompletedProcess:
    # stdout is a pipe, not a terminal: the demo prints the chain instead of opening the review UI.
    return subprocess.run([str(PREDRAFT), "--data-dir", str(data_dir), "demo"], capture_output=True, text=True,
                          timeout=900, env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"})


def test_without_a_terminal_the_demo_prints_the_drafted_chain(first_run, data_dir):
    assert first_run.returncode == 0, first_run.stderr
    err, out = first_run.stderr, first_run.stdout
    assert f"its own data dir, {data_dir / 'demo'}" in " ".join(err.split())
    for step in ("ingest", "me set 'Alex Rivera' --alias 'Alex R' --alias 'alexr'", "consent exclude 'Jordan Lee'",
                 "index"):
        assert f"✓ predraft {step}" in err
    assert "1151 messages in 4 threads; 388 past exchanges indexed" in err
    assert "step 1/2 · confidence" in out and "step 2/2 · confidence" in out
    assert "Maya Chen: just you" in out.split("step 2/2")[0]  # the message the first drafts answer
    assert "Maya Chen (predicted):" in out.split("step 2/2")[1]
    assert out.count("how you answered similar messages") == 2
    assert not (data_dir / "corpus.sqlite").exists()  # the user's own data dir is untouched


def test_the_json_chain_has_real_drafts_and_dated_evidence_and_a_rerun_imports_nothing(first_run, data_dir):
    assert first_run.returncode == 0, first_run.stderr
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "demo", "--headless", "--json"])
    assert result.exit_code == 0, result.output
    assert "1151 messages in 4 threads" in result.stderr  # the same corpus: nothing imported twice
    steps = json.loads(result.stdout)
    assert [s["step"] for s in steps] == [0, 1]
    assert steps[0]["predicted_incoming"] is None and steps[1]["predicted_incoming"]
    for step in steps:
        assert step["candidates"] and all(c["text"].strip() for c in step["candidates"])
        assert 0.0 < step["confidence"] <= 1.0
        assert len(step["evidence"]) == 5
        assert all(e["timestamp"][:2] == "20" and e["reply"] for e in step["evidence"])
        assert all(e["contact"] != "Jordan Lee" for e in step["evidence"])
    assert steps[0]["prompt"].startswith("### WhatsApp chat with Maya Chen · ")
    assert steps[0]["prompt"].endswith("Maya Chen: just you\nMe:")
