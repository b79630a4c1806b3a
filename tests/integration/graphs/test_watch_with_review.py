"""`watch` and a review on one data dir at once, for half a minute: no decision lost or doubled, none made on
drafts the reviewer did not see, no traceback.

The watch runs in a process of its own (watch_process.py) over a WhatsApp export that grows: Lena writes,
and Alex sends what the review accepted. The review, in this process, accepts what waits in Lena's thread
after a moment of reading, in which the watch often answers the same chain first. Both use the scripted
model and the words embedder (tests/worlds/watching.py), so the half minute is all coordination: real
Chroma, checkpoints, ledger and feedback files, shared.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from graphs.predraft.api import ChainChangedError
from tests.worlds.watching import append, build_world, scripted_chain

REPO = Path(__file__).resolve().parents[3]
SECONDS = 30
LENA_SAYS = ["or the day after?", "great, see you there", "running late, sorry", "the usual place?",
             "bring the speaker", "how was your week?"]


def test_watch_and_review_at_once_lose_and_double_no_decision(tmp_path):
    settings, export = build_world(tmp_path)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.graphs.watch_process", str(settings.data_dir), str(export),
         str(SECONDS)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert watcher.stdout.readline().strip() == "ready"
        accepted, refused = _review(settings, export)
        out, err = watcher.communicate(timeout=120)
    finally:
        watcher.kill()
    assert watcher.returncode == 0 and "Traceback" not in err, err

    with scripted_chain(settings) as chain:
        decisions = list(chain.feedback.decisions())
        predictions = chain.ledger.prediction_counts()
    # Every accept the review made is stored once, with the drafts it showed; nothing else is stored.
    assert sorted((d.chain_id, d.step, d.action, tuple(d.candidates)) for d in decisions) == sorted(accepted)
    # Each real message answered a chain step once: one prediction outcome per hit or miss watch reported.
    updates = [json.loads(line) for line in out.splitlines()]
    answered = Counter((u["chain_id"], u["step"]) for u in updates if u["outcome"] in ("hit", "miss"))
    assert max(answered.values(), default=1) == 1
    assert predictions["hits"] + predictions["misses"] == sum(answered.values())
    # Both sides did something; `refused` counts the races the review lost (shown, not recorded).
    assert len(accepted) >= 3 and len(updates) >= 3, (accepted, updates, refused)


def _review(settings, export: Path) -> tuple[list[tuple], int]:
    """Accept what waits in Lena's thread until the watch stops; the accepts made and how many were refused."""
    rng = random.Random(7)
    accepted, refused, line = [], 0, 0
    deadline = time.monotonic() + SECONDS - 5
    with scripted_chain(settings) as review:
        thread_id = review.corpus.thread("Lena").id
        while time.monotonic() < deadline:
            chain_id = review.latest_chain(thread_id)
            view = review.view(chain_id) if chain_id else None
            if view is None or view.status != "awaiting_review":
                line += 1
                append(export, line, "Lena", rng.choice(LENA_SAYS))  # something for the watch to draft
                time.sleep(2.5)
                continue
            if rng.random() < 0.6:  # she writes while the user reads: the watch answers this chain too
                line += 1
                append(export, line, "Lena", rng.choice(LENA_SAYS))
            time.sleep(rng.uniform(0.5, 3.0))
            try:
                review.resume(view.chain_id, "accept", chosen_index=0, shown=view.version)
            except ChainChangedError:
                refused += 1
                continue
            accepted.append((view.chain_id, view.step, "accept", tuple(c.text for c in view.candidates)))
            line += 1
            append(export, line, "Alex", view.candidates[0].text)  # the user sends what they accepted
    return accepted, refused
