"""The chain on the real default model, the real Chroma index and real SQLite checkpoints."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.prompting import ME
from graphs.predraft.api import ChainView, DraftChain, prediction_stats
from graphs.predraft.context import ChainContext

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]

RESUME_IN_ANOTHER_PROCESS = """
import json, sys
from assistant.config import load_settings
from graphs.predraft.api import DraftChain
with DraftChain(load_settings()) as chain:
    view = chain.resume(sys.argv[1], "accept", chosen_index=0)
print(json.dumps({"status": view.status, "step": view.step, "predicted": view.predicted_incoming,
                  "candidates": [c.text for c in view.candidates]}))
"""


def _decisions(chain: DraftChain, chain_id: str) -> list:
    return [d for d in chain.feedback.decisions() if d.chain_id == chain_id]


def _awaiting(view: ChainView, step: int, settings: Settings) -> None:
    assert (view.status, view.step) == ("awaiting_review", step)
    sources = [c.source for c in view.candidates]
    assert 1 <= sources.count("model") <= settings.draft.candidates  # distinct samples only
    assert sources.count("past") <= settings.draft.past_replies
    assert all(c.text.strip() for c in view.candidates)
    assert 0.0 < view.confidence <= 1.0


def test_a_chain_runs_to_depth_two_across_two_processes(world: Settings, chain: DraftChain):
    first = chain.start("Maya", chain_id="two-processes")
    _awaiting(first, 0, world)
    assert first.prompt.endswith("Maya: want to go climbing on saturday?\nMe:")

    env = {**os.environ, "PREDRAFT_DATA_DIR": str(world.data_dir)}
    done = subprocess.run([sys.executable, "-c", RESUME_IN_ANOTHER_PROCESS, "two-processes"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=True)
    second = json.loads(done.stdout.strip().splitlines()[-1])
    assert (second["status"], second["step"]) == ("awaiting_review", 1)
    assert second["predicted"]

    # this process reads what the other one wrote, and finishes the chain
    resumed = chain.view("two-processes")
    _awaiting(resumed, 1, world)
    assert resumed.predicted_incoming == second["predicted"]
    assert [c.text for c in resumed.candidates] == second["candidates"]
    sent = first.candidates[0].text.split("\n")
    assert [t["text"] for t in resumed.context if t["source"] == "accepted"] == sent
    finished = chain.resume("two-processes", "accept", chosen_index=len(resumed.candidates) - 1)
    assert finished.status == "done" and finished.step == 2
    assert [h["event"] for h in finished.history] == ["accept", "predicted", "accept"]
    decisions = _decisions(chain, "two-processes")
    last = len(resumed.candidates) - 1
    assert [(d.step, d.action, d.chosen_index) for d in decisions] == [(0, "accept", 0), (1, "accept", last)]
    assert decisions[0].final_text == first.candidates[0].text
    assert decisions[0].model_id == "gemma-3-270m-q4_k_m.gguf"


def test_excluded_contacts_never_appear_in_the_evidence(chain: DraftChain, thread_ids: dict[str, int]):
    view = chain.start("Maya", depth=1)
    assert view.evidence, "a climbing question has similar past exchanges"
    assert thread_ids["Priya"] not in {e.exchange.thread_id for e in view.evidence}
    assert all("Priya" not in (e.exchange.contact, e.exchange.thread_title) for e in view.evidence)
    # even a query that is exactly Priya's message finds nothing of hers
    found = chain.resources.index.search("Priya: want to go climbing this saturday?", k=10)
    assert found and thread_ids["Priya"] not in {e.exchange.thread_id for e in found}
    assert "bouldering" not in " ".join(e.exchange.reply for e in found)


def test_as_of_keeps_all_evidence_before_the_date(chain: DraftChain):
    view = chain.start("Maya", depth=1, as_of=date(2022, 6, 30))
    assert view.prompt.startswith("### WhatsApp chat with Maya · Thursday 2022-06-30\n")
    assert view.evidence
    assert all(e.exchange.timestamp < datetime(2022, 7, 1, tzinfo=UTC) for e in view.evidence)
    unbounded = chain.start("Maya", depth=1)
    assert max(e.exchange.timestamp for e in unbounded.evidence) >= datetime(2022, 7, 1, tzinfo=UTC)


def test_a_rerun_node_writes_its_decision_once(chain: DraftChain):
    view = chain.resume(chain.start("Maya", depth=1, chain_id="rerun").chain_id, "accept", chosen_index=0)
    assert view.status == "done"
    config = {"configurable": {"thread_id": "rerun"}}
    before_record = next(s for s in chain.graph.get_state_history(config) if s.next == ("record",))
    context = ChainContext(settings=chain.settings, corpus=chain.corpus, feedback=chain.feedback,
                           ledger=chain.ledger, resources=chain.resources)
    assert before_record.values["history"] == []
    replayed = chain.graph.invoke(None, before_record.config, context=context)  # the record node runs again
    assert [h["event"] for h in replayed["history"]] == ["accept"]
    assert len(_decisions(chain, "rerun")) == 1


def test_incoming_hit_serves_the_pre_draft_and_miss_drafts_again(chain: DraftChain):
    before = prediction_stats(chain.settings)
    hit_chain = chain.resume(chain.start("Jonas", chain_id="hit").chain_id, "accept", chosen_index=0)
    assert hit_chain.predicted_incoming and hit_chain.predraft
    served = chain.incoming("hit", hit_chain.predicted_incoming)
    assert served.hit is True and served.status == "awaiting_review"
    assert [c.text for c in served.candidates] == [c.text for c in hit_chain.predraft]

    miss_chain = chain.resume(chain.start("Jonas", chain_id="miss").chain_id, "accept", chosen_index=0)
    real = "by the way, my landlord is raising the rent again and I need advice on tax forms"
    redrafted = chain.incoming("miss", real)
    assert redrafted.hit is False and redrafted.status == "awaiting_review"
    assert redrafted.prompt.endswith(f"Jonas: {real}\n{ME}:")
    assert [c.text for c in redrafted.predraft] == [c.text for c in miss_chain.predraft]
    after = prediction_stats(chain.settings)
    assert (after["hits"] - before["hits"], after["misses"] - before["misses"]) == (1, 1)


def test_the_whole_chain_runs_with_the_network_blocked(world: Settings, monkeypatch: pytest.MonkeyPatch):
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_create = socket.create_connection

    def loopback_only(address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host in ("localhost", "::1") or host.startswith("127.") or host.startswith("/")):
            return
        attempts.append(address)
        raise OSError(f"network blocked in this test: {address}")

    def connect(sock: socket.socket, address: object) -> None:
        loopback_only(address)
        return real_connect(sock, address)

    def create_connection(address: object, *args: object, **kwargs: object) -> socket.socket:
        loopback_only(address)
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    with DraftChain(world) as chain:  # loads its own model, embedder and index: all of it offline
        view = chain.resume(chain.start("Maya").chain_id, "accept", chosen_index=0)
        _awaiting(view, 1, world)
        assert chain.resume(view.chain_id, "reject").status == "done"
    assert attempts == []
