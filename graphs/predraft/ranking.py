"""Ranking candidates and gating on confidence: pure functions of numbers and texts.

A candidate's score mixes two signals, each in [0, 1]:
- fluency: the model's geometric-mean probability per token, exp(log-prob / tokens);
- style: the highest cosine between the candidate and what the user really wrote in similar
  past exchanges (the evidence), negative cosines counted as 0.
The top score is the chain's confidence. Without evidence only fluency is left to go on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from assistant.retrieval.search import is_near_duplicate
from graphs.predraft.state import Draft, RankedCandidate


def distinct_drafts(drafts: Sequence[Draft]) -> list[Draft]:
    """Drop empty samples and near-repeats ("ok" and "Ok!"): the reviewer sees real alternatives."""
    kept: list[Draft] = []
    for d in drafts:
        text = "\n".join(d["messages"])
        if text.strip() and not is_near_duplicate(text, ["\n".join(k["messages"]) for k in kept]):
            kept.append(d)
    return kept


def max_similarities(candidate_vectors: np.ndarray, evidence_vectors: np.ndarray) -> list[float]:
    """For each candidate, its best cosine to an evidence reply (vectors are L2-normalised)."""
    if len(evidence_vectors) == 0:
        return [0.0] * len(candidate_vectors)
    return (candidate_vectors @ evidence_vectors.T).max(axis=1).astype(float).tolist()


def score(mean_logprob: float, similarity: float, similarity_weight: float, has_evidence: bool) -> float:
    fluency = math.exp(min(mean_logprob, 0.0))
    if not has_evidence:
        return fluency
    return (1 - similarity_weight) * fluency + similarity_weight * max(similarity, 0.0)


def rank(
    drafts: Sequence[Draft],
    logprob_sums: Sequence[float],
    similarities: Sequence[float],
    similarity_weight: float,
    has_evidence: bool,
) -> list[RankedCandidate]:
    """Candidates best first. `drafts[i].tokens` counts the streamed tokens, +1 for the closing newline."""
    ranked: list[RankedCandidate] = []
    for d, total, sim in zip(drafts, logprob_sums, similarities, strict=True):
        mean = total / (d["tokens"] + 1)
        ranked.append(
            RankedCandidate(
                text="\n".join(d["messages"]), messages=list(d["messages"]), logprob=mean, similarity=sim,
                score=score(mean, sim, similarity_weight, has_evidence),
            )
        )
    return sorted(ranked, key=lambda c: c["score"], reverse=True)


def confidence(candidates: Sequence[RankedCandidate]) -> float:
    return candidates[0]["score"] if candidates else 0.0

