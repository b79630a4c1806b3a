"""What a chain looks like from outside: plain dataclasses, no LangGraph.

`api.DraftChain` returns these; the review UI and the CLI read them. Kept apart from the api so
that showing a chain (a widget, a test) does not import the graph, Chroma or torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from assistant.retrieval.exchanges import Evidence

Status = Literal["awaiting_review", "low_confidence", "done", "stalled"]


@dataclass
class Candidate:
    text: str
    logprob: float | None  # mean log-probability per token; None from a server that gives none
    similarity: float  # style: best cosine to the user's replies in the evidence (a past reply: its match)
    score: float  # in [0, 1]; the top one is the confidence
    source: Literal["model", "past"] = "model"  # "past": the user's own reply in a past exchange
    evidence_id: str | None = None  # that exchange, one of the view's evidence
    agreement: float | None = None  # mean chrF (0-1) against your replies in the evidence; None: not computed

    def origin(self, evidence: list[Evidence]) -> str:
        """Where it comes from, for the reviewer: a model sample's style, or which past reply it is; then
        how much it agrees with what you said in the alike exchanges."""
        if self.source == "model":
            found = f"style {self.similarity:.2f}"
        else:
            past = next((e.exchange for e in evidence if e.exchange.id == self.evidence_id), None)
            said = f"your reply to {past.contact}, {past.timestamp:%Y-%m-%d}" if past else "your past reply"
            found = f"{said} · match {self.similarity:.2f}"
        return found if self.agreement is None else f"{found} · agrees {self.agreement:.2f}"


@dataclass
class ChainView:
    chain_id: str
    thread_id: int
    step: int
    # "stalled": the process stopped mid-draft; `resume(chain_id, "regenerate")` finishes the drafts.
    status: Status
    candidates: list[Candidate]
    confidence: float
    evidence: list[Evidence]
    predicted_incoming: str | None  # the other side's predicted message this step answers
    predraft: list[Candidate]  # the candidates drafted against that prediction (kept after a miss)
    prompt: str
    history: list[dict]  # decisions, predictions and real messages, in order
    depth: int = 0
    incoming: str | None = None  # the real message that arrived at this step, if any
    hit: bool | None = None  # whether it matched the prediction; None when nothing was compared
    as_of: date | None = None
    contact: str = ""
    context: list[dict] = field(default_factory=list)  # the working conversation, each turn with its source
    alternatives: list[str] = field(default_factory=list)  # the other messages expected, replies ready for each
    version: str = ""  # the checkpoint shown: every step writes a new one, in whichever process takes it
