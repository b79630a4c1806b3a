"""Two processes on one data dir answer a chain step once: `watch` and `review` as two DraftChains."""

from __future__ import annotations

import pytest
from graph_doubles import PAST_EXCHANGES, ListIndex, ScriptedBackend, WordsEmbedder

from assistant.locks import BusyError, holding
from graphs.predraft import api
from graphs.predraft.api import ChainChangedError, DraftChain


@pytest.fixture
def watch(settings, corpus):
    """The other process: its own connections to the same files."""
    with DraftChain(settings, backend=ScriptedBackend(), index=ListIndex(list(PAST_EXCHANGES), WordsEmbedder())) as c:
        yield c


def test_an_answer_to_drafts_another_process_replaced_is_refused_and_records_nothing(chain, watch):
    shown = chain.resume(chain.start("Maya").chain_id, "accept")  # step 1: the pre-draft for their predicted answer
    assert shown.predicted_incoming

    missed = watch.incoming(shown.chain_id, "running late, start without me")  # new drafts, same step
    assert (missed.step, missed.hit) == (shown.step, False) and missed.version != shown.version

    with pytest.raises(ChainChangedError, match="moved on by another predraft process") as refused:
        chain.resume(shown.chain_id, "accept", chosen_index=0, shown=shown.version)
    assert refused.value.view.version == missed.version
    assert [(d.action, d.step) for d in chain.feedback.decisions()] == [("accept", 0)]
    assert chain.view(shown.chain_id).version == missed.version  # the chain was not touched

    # Shown the chain as it is now, the reviewer's answer goes through.
    done = chain.resume(shown.chain_id, "accept", chosen_index=0, shown=refused.value.view.version)
    assert done.status == "done"
    [_, decision] = chain.feedback.decisions()
    assert decision.candidates == [c.text for c in missed.candidates]


def test_an_incoming_message_after_the_review_answered_is_refused_too(chain, watch):
    shown = chain.resume(chain.start("Maya").chain_id, "accept")
    chain.resume(shown.chain_id, "reject")
    with pytest.raises(ChainChangedError):
        watch.incoming(shown.chain_id, "great, see you there", shown=shown.version)


def test_an_answer_waits_while_another_process_drafts_in_the_thread_then_says_so(chain, settings, monkeypatch):
    view = chain.start("Maya")
    monkeypatch.setattr(api, "ANSWER_WAIT_S", 0.2)
    with holding(settings.locks_dir / f"thread-{view.thread_id}.lock", "drafting", 0):
        with pytest.raises(BusyError, match="another predraft process is drafting in this thread; try again"):
            chain.resume(view.chain_id, "accept")
    assert list(chain.feedback.decisions()) == []
    assert chain.resume(view.chain_id, "accept", shown=view.version).step == 1  # free again
