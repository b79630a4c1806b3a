"""How close drafts come to what the user really wrote. Pure functions over strings and numbers."""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache
from statistics import fmean
from typing import TypeVar

import numpy as np

SHORT_REPLY_WORDS = 5  # ExactMatch is only meaningful for short replies ("yess omw", "thai haha")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]")
_WORD = re.compile(r"\w+", re.UNICODE)
T = TypeVar("T")


def normalize(text: str) -> str:
    """Lowercase, no punctuation, single spaces: "Yes!!  omw" == "yes omw"."""
    kept = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text.lower())
    return " ".join(kept.split())


def is_short(reply: str) -> bool:
    return 0 < len(reply.split()) <= SHORT_REPLY_WORDS


def exact_match(candidates: Sequence[str], real: str, k: int) -> bool:
    return normalize(real) in {normalize(c) for c in candidates[:k]}


def saved_keystrokes(draft: str, real: str) -> int:
    """Characters of `real` the user need not type when the draft is offered the way Smart Compose
    offers a completion: accepted whole, or word by word while it agrees with what they meant."""
    common = len(os.path.commonprefix([draft, real]))
    if common in (len(draft), len(real)):
        return common
    return real.rfind(" ", 0, common) + 1  # the agreed words, up to the last space both share


def style_features(text: str) -> dict[str, float]:
    letters = [c for c in text if c.isalpha()]
    chars = max(len(text), 1)
    return {
        "length": float(len(text)),
        "emoji_rate": len(_EMOJI.findall(text)) / chars,
        "uppercase_rate": sum(c.isupper() for c in letters) / max(len(letters), 1),
        "punctuation_rate": sum(unicodedata.category(c).startswith("P") for c in text) / chars,
    }


def style_distance(drafts: Sequence[str], reals: Sequence[str]) -> dict[str, float]:
    """Per feature, how far the drafts' average is from the real replies' (relative for length),
    plus the vocabulary's Jaccard distance. 0 everywhere means indistinguishable on these axes."""
    if not drafts:
        return {}
    d = [style_features(t) for t in drafts]
    r = [style_features(t) for t in reals]
    out = {}
    for key in d[0]:
        mean_d, mean_r = fmean(x[key] for x in d), fmean(x[key] for x in r)
        out[key] = abs(mean_d - mean_r) / max(mean_r, 1.0) if key == "length" else abs(mean_d - mean_r)
    vocab_d = {w for t in drafts for w in _WORD.findall(t.lower())}
    vocab_r = {w for t in reals for w in _WORD.findall(t.lower())}
    union = vocab_d | vocab_r
    out["vocabulary"] = 1 - len(vocab_d & vocab_r) / len(union) if union else 0.0
    return out


@cache
def _chrf_metric():
    from sacrebleu.metrics import CHRF  # imported when first needed: sacrebleu is slow to import

    return CHRF()


def chrf(drafts: Sequence[str], reals: Sequence[str]) -> float:
    return _chrf_metric().corpus_score(list(drafts), [list(reals)]).score if drafts else 0.0


def perplexity(total_logprob: float, tokens: int) -> float:
    return math.exp(-total_logprob / tokens) if tokens else float("nan")


def paired_bootstrap(
    metric: Callable[[Sequence[T], Sequence[str]], float], ours: Sequence[T], theirs: Sequence[T],
    reals: Sequence[str], samples: int = 1000, seed: int = 0,
) -> dict[str, float | list[float]]:
    """Does `ours` beat `theirs` by `metric`(drafts, reals), or is the gap within what the choice of turns
    gives? The turns are resampled with replacement, the same turns for both systems (paired: most turns
    favour neither), and the difference recomputed each time. A 95% interval that excludes 0 means
    the gap holds beyond these particular turns. Seeded, so every machine prints the same interval."""
    rng = np.random.default_rng(seed)
    n = len(reals)
    gaps = []
    for _ in range(samples if n else 0):
        turns = rng.integers(0, n, n)
        real = [reals[i] for i in turns]
        gaps.append(metric([ours[i] for i in turns], real) - metric([theirs[i] for i in turns], real))
    low, high = np.percentile(gaps, [2.5, 97.5]).tolist() if gaps else (0.0, 0.0)
    return {"difference": metric(ours, reals) - metric(theirs, reals) if n else 0.0,
            "ci95": [low, high], "share_of_resamples_ahead": float(np.mean([g > 0 for g in gaps])) if gaps else 0.0}
