"""The chain's state: plain data only, so every checkpoint is readable JSON-like msgpack.

`ChainInput` is what a run starts from; `ChainState` is everything the nodes read and write. The
conversation's `Turn` comes from assistant.prompting, which the dataset builder shares.
Lists that grow over the whole run (`history`) have an appending reducer; every other key is
replaced by the node that changes it.
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal, NotRequired, TypedDict

from assistant.prompting import Turn

Action = Literal["accept", "edit", "regenerate", "reject", "incoming"]
Source = Literal["model", "past"]  # sampled from the model, or the user's own reply in a past exchange


class Draft(TypedDict):
    """A candidate before ranking: the messages of a model sample, or of a past reply of the user's."""

    messages: list[str]
    source: Source
    evidence_id: str | None  # the past exchange a "past" draft comes from


class RankedCandidate(TypedDict):
    text: str  # the messages joined by newlines
    messages: list[str]
    logprob: float | None  # mean log-probability per token under the model (None: the server gives none)
    similarity: float  # style: a sample's max cosine to the user's replies in the evidence; for a past
    # reply, how alike its exchange was to this one
    score: float  # in [0, 1]; the ranking key and, for the top candidate, the confidence
    source: Source
    evidence_id: str | None
    # mean chrF (0-1) against your other replies in the evidence; None: fewer than two, or
    # `draft.agreement_weight` 0. Not required: chains checkpointed before it was kept lack the key.
    agreement: NotRequired[float | None]


class EvidenceRecord(TypedDict):
    """A retrieved past exchange, flattened from retrieval's Evidence for the checkpoint."""

    id: str
    thread_id: int
    thread_title: str
    contact: str
    platform: str
    timestamp: str  # ISO 8601, UTC
    year: int
    context: str
    reply: str
    answer: str  # what the other side answered to that reply ("" when unknown)
    similarity: float


class Alternative(TypedDict):
    """Another message the other side may send at this step, with your replies ready for it: your own
    past replies to alike messages (no model time), served at once if it is the one that comes."""

    text: str
    vector: list[float]  # its embedding, computed while nobody waits
    evidence: list[EvidenceRecord]
    candidates: list[RankedCandidate]  # ranked by how alike their exchanges are


class ReviewAnswer(TypedDict, total=False):
    """What `Command(resume=...)` carries back into the review node."""

    action: Action
    chosen_index: int | None
    text: str | None
    decided_at: str  # ISO 8601 with milliseconds: makes the feedback row's key stable across reruns
    reviewed: bool  # False when no person looked (the non-interactive CLI): nothing goes to feedback


class ChainInput(TypedDict):
    chain_id: str
    thread_id: int
    depth: int
    as_of: str | None  # ISO date: write as the user did then, with evidence from before it


class ChainState(ChainInput, total=False):
    # the thread, fixed by load_thread
    platform: str
    is_group: bool
    contact: str  # who the header names: the other person, or the group's title
    other: str  # whose next message `predict` writes
    header_date: str  # ISO date printed in the prompt header
    since: str  # ISO start of the conversation going on: the thread's exchanges from then on are in the prompt or its future
    # the working conversation and the step being drafted
    context: list[Turn]
    step: int  # 0 answers the real thread; step n answers the n-th predicted message
    attempt: int  # regenerations at this step; each one samples with new seeds
    evidence: list[EvidenceRecord]
    prompt: str
    drafts: list[Draft]
    echoes_dropped: int  # samples dropped at this step as near-copies of the conversation
    candidates: list[RankedCandidate]
    confidence: float
    suggest: bool  # False: "no good suggestion" (confidence below the threshold)
    shown_at: str
    answer: ReviewAnswer
    # the prediction this step answers, and what really came
    predicted_incoming: str | None
    predicted_vector: list[float]  # its embedding, computed while nobody waits: a hit then embeds one text
    predraft: list[RankedCandidate]  # candidates drafted against the prediction, kept after a miss
    alternatives: list[Alternative]  # the next likeliest messages (`draft.predictions` in all)
    incoming: str | None
    hit: bool | None
    history: Annotated[list[dict], operator.add]
