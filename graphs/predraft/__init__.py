"""The pre-drafting chain: draft, review, predict the other side's next message, pre-draft the answer.

`api.DraftChain` is the entry point for the CLI and the review app; the graph itself is in `graph.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphs.predraft.api import Candidate, ChainError, ChainView, DraftChain, prediction_stats

__all__ = ["Candidate", "ChainError", "ChainView", "DraftChain", "prediction_stats"]


def __getattr__(name: str) -> object:
    # The chain is imported on first use (PEP 562): `predraft dataset build` needs only
    # graphs.predraft.prompts, and importing the api pulls LangGraph, Chroma and torch (seconds).
    if name in __all__:
        from graphs.predraft import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
