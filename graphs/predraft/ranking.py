"""Ranking candidates and gating on confidence: pure functions of numbers and texts.

A candidate's score mixes two signals, each in [0, 1]:
- fluency: the model's geometric-mean probability per token, exp(log-prob / tokens), of the
  candidate as the user's next message in this thread;
- style: for a model sample, the highest cosine between it and what the user really wrote in
  similar past exchanges (the evidence); for one of those past replies itself, how alike its
  exchange was to this one. Negative cosines count as 0.
The score is then weighed by how usual the candidate's length is for your replies in those
exchanges (`length_fit`, to the power `draft.length_weight`): a two-word answer where you wrote
paragraphs, or a speech where you wrote "ok", is not how you would answer. And by how much it says
what you said in them (`agreement`, to the power `draft.agreement_weight`, relative to the candidate
that agrees most): of your replies to alike messages, the one that shares most with the others is the
one you tend to write, and a sample that shares nothing with any of them is not.
The top score is the chain's confidence. Without evidence only fluency is left to go on; from a
model server that returns no log-probabilities (Ollama's OpenAI API), only style.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

import numpy as np

from assistant.quality import is_echo, similarity
from assistant.retrieval.exchanges import reply_messages
from assistant.retrieval.search import is_near_duplicate
from graphs.predraft.state import Draft, EvidenceRecord, RankedCandidate

# rapidfuzz ratio (0-100) between what you sent and a past reply above which their answer then predicts
# theirs now: on the bundled persona's held-out points 50 hits as often as any lower bar (12 of 31),
# near-copies only (90) 7 (docs/fidelity.md).
PAST_ANSWER_SIMILARITY = 50
# How far from your usual length a candidate may stray at little cost, in natural-log units of characters:
# one unit is a factor of e (about 2.7) shorter or longer, where the fit is exp(-1/2) = 0.61.
LENGTH_SPREAD = 1.0


def distinct_drafts(drafts: Sequence[Draft]) -> list[Draft]:
    """Drop empty samples and near-repeats ("ok" and "Ok!"): the reviewer sees real alternatives.
    The first of near-repeats stays: past replies come first, so a sample that merely repeats one of
    the user's own replies is shown as that reply."""
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


def past_replies(
    evidence: Sequence[EvidenceRecord], n: int, min_similarity: float, said: Sequence[str], chain: Sequence[str]
) -> list[Draft]:
    """The user's own replies in the `n` most alike past exchanges at or above `min_similarity` (the
    evidence comes best first), as candidates; one that would echo the conversation is left out."""
    found: list[Draft] = []
    for e in evidence:
        if len(found) == n or e["similarity"] < min_similarity:
            break
        messages = reply_messages(e["reply"])
        if messages and not is_echo("\n".join(messages), said, chain):
            found.append(Draft(messages=messages, source="past", evidence_id=e["id"]))
    return found


def length_fit(chars: int, usual_chars: Sequence[int]) -> float:
    """How usual a length of `chars` is beside your replies' `usual_chars`: a bell on the log of the length,
    centred on their mean log (lengths vary by factors, not by amounts), LENGTH_SPREAD wide; 1 with none."""
    if not usual_chars:
        return 1.0
    centre = sum(math.log(max(n, 1)) for n in usual_chars) / len(usual_chars)
    return math.exp(-((math.log(max(chars, 1)) - centre) ** 2) / (2 * LENGTH_SPREAD**2))


@cache
def _chrf():
    from sacrebleu.metrics import CHRF  # imported when first ranked: sacrebleu takes ~0.2 s to import

    # beta 1: precision and recall count alike, so a long text does not agree by holding every n-gram.
    return CHRF(beta=1)


def agreement(text: str, replies: Sequence[str]) -> float | None:
    """How much `text` says what your `replies` in the alike exchanges say: its mean character n-gram
    F-score (chrF, 0-1) against each of them but itself. None where there are fewer than two replies, or
    none but itself: nothing to agree with."""
    others = [r for r in replies if r.strip() != text.strip()]
    if len(replies) < 2 or not others:
        return None
    return sum(_chrf().sentence_score(text, [r]).score for r in others) / (100 * len(others))


def score(mean_logprob: float | None, similarity: float, similarity_weight: float, has_evidence: bool) -> float:
    if mean_logprob is None:  # the server gives no log-probabilities: style alone, nothing without evidence
        return max(similarity, 0.0) if has_evidence else 0.0
    fluency = math.exp(min(mean_logprob, 0.0))
    if not has_evidence:
        return fluency
    return (1 - similarity_weight) * fluency + similarity_weight * max(similarity, 0.0)


def past_answers(
    evidence: Sequence[EvidenceRecord], sent: str, said: Sequence[str], chain: Sequence[str], k: int
) -> list[str]:
    """Up to `k` distinct predictions of the other side's next message, likeliest first: what they
    answered in the alike past exchanges where your reply was most like the one you just sent (at least
    PAST_ANSWER_SIMILARITY; a tie goes to the closer exchange), as people answer the same words the same
    way ("thanks!" -> "anytime"); then the answers in the closest exchanges, which hit more often than
    the model's guess (on held-out turns it never did, docs/fidelity.md). An answer that would echo the
    conversation is no prediction."""
    alike = [(similarity(sent, "\n".join(reply_messages(e["reply"]))), -rank, e)
             for rank, e in enumerate(evidence) if e["answer"]]
    by_reply = [e for closeness, _, e in sorted(alike, key=lambda found: found[:2], reverse=True)
                if closeness >= PAST_ANSWER_SIMILARITY]
    found: list[str] = []
    for e in [*by_reply, *evidence]:
        answer = e["answer"]
        if len(found) == k:
            break
        if answer and not is_echo(answer, said, chain) and not is_near_duplicate(answer, found):
            found.append(answer)
    return found


def rank(
    drafts: Sequence[Draft],
    logprobs: Sequence[tuple[float, int]] | None,
    similarities: Sequence[float],
    similarity_weight: float,
    has_evidence: bool,
    evidence_replies: Sequence[str] = (),
    length_weight: float = 0.0,
    agreement_weight: float = 0.0,
) -> list[RankedCandidate]:
    """Candidates best first; `logprobs[i]` is draft i's (total log-prob, tokens) as the user's reply,
    None when the model server cannot score; `evidence_replies` your replies in the evidence exchanges."""
    texts = ["\n".join(d["messages"]) for d in drafts]
    usual_chars = [len(r) for r in evidence_replies]
    agreements = [agreement(t, evidence_replies) if agreement_weight else None for t in texts]
    most = max((a for a in agreements if a is not None), default=0.0)
    ranked: list[RankedCandidate] = []
    for i, (d, text, sim) in enumerate(zip(drafts, texts, similarities, strict=True)):
        mean = logprobs[i][0] / max(logprobs[i][1], 1) if logprobs is not None else None
        fit = length_fit(len(text), usual_chars) ** length_weight
        # Relative to the best, so the top candidate keeps the score (and the gate its scale) of its own signals.
        agrees = (agreements[i] / most) ** agreement_weight if agreements[i] is not None and most > 0 else 1.0
        ranked.append(
            RankedCandidate(
                text=text, messages=list(d["messages"]), logprob=mean, similarity=sim,
                score=score(mean, sim, similarity_weight, has_evidence) * fit * agrees, source=d["source"],
                evidence_id=d["evidence_id"], agreement=agreements[i],
            )
        )
    return sorted(ranked, key=lambda c: c["score"], reverse=True)


def reply_texts(evidence: Sequence[EvidenceRecord]) -> list[str]:
    """Your reply in each evidence exchange, as a candidate's text is written (messages joined)."""
    return ["\n".join(reply_messages(e["reply"])) for e in evidence]


def confidence(candidates: Sequence[RankedCandidate]) -> float:
    return candidates[0]["score"] if candidates else 0.0

