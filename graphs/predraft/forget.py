"""Chains that hold anything of an excluded contact, deleted with their checkpoints and prediction outcomes.

A chain holds a contact's words when it drafts in a thread they take part in, showed evidence from
one, or names them anywhere in its state (a message that mentions them, evidence retrieved before
they were excluded). Such a chain is deleted whole: a fresh draft costs less than picking it apart.
"""

from __future__ import annotations

import json

from langgraph.checkpoint.base import CheckpointTuple

from assistant.config import Settings
from assistant.erase import vacuum
from assistant.privacy import Exclusions
from graphs.predraft.graph import open_checkpointer
from graphs.predraft.ledger import ChainLedger


def forget_chains(settings: Settings, excluded: Exclusions) -> tuple[set[str], int]:
    """Delete the chains that hold anything of excluded contacts: their ids, and how many prediction
    outcomes went with them."""
    if not settings.checkpoints_path.is_file():
        return set(), 0
    ledger = ChainLedger(settings.feedback_path)
    saver = open_checkpointer(settings)
    try:
        doomed = ledger.chains_of(excluded.thread_ids)
        doomed |= {c.config["configurable"]["thread_id"] for c in saver.list(None) if _holds(c, excluded)}
        for chain_id in doomed:
            saver.delete_thread(chain_id)
        vacuum(saver.conn)
        return doomed, ledger.forget(doomed)
    finally:
        saver.conn.close()
        ledger.close()


def _holds(c: CheckpointTuple, excluded: Exclusions) -> bool:
    values = c.checkpoint["channel_values"]
    writes = c.pending_writes or []
    evidence = [*values.get("evidence", []), *(e for _, channel, value in writes if channel == "evidence" for e in value)]
    if excluded.involves(values.get("thread_id", -1)) or any(excluded.involves(e["thread_id"]) for e in evidence):
        return True
    text = json.dumps([values, writes], default=str, ensure_ascii=False)
    return excluded.pattern is not None and excluded.pattern.search(text) is not None
