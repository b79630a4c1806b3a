"""Choosing evidence among nearest neighbours: relevant, different from each other, no repeats.

Pure functions over candidates already ranked by similarity to the query.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.quality import similarity

GAIN_DECIMALS = 5
NEAR_DUPLICATE_RATIO = 90  # rapidfuzz ratio (0-100) of normalised replies at which two count as the same


def is_near_duplicate(reply: str, others: Sequence[str]) -> bool:
    return any(similarity(reply, o) >= NEAR_DUPLICATE_RATIO for o in others)


def mmr_select(
    query_sims: np.ndarray, vectors: np.ndarray, replies: Sequence[str], k: int, mmr_lambda: float
) -> list[int]:
    """Maximal marginal relevance: indexes of up to k candidates, in the order picked.

    Each pick maximises `lambda * sim(query) - (1 - lambda) * max sim(already picked)`; a candidate
    whose reply nearly repeats a picked one ("ok" five times) is dropped instead.
    """
    redundancy = np.full(len(replies), -np.inf, dtype=np.float32)
    open_ = np.ones(len(replies), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < k and open_.any():
        gain = query_sims if not chosen else mmr_lambda * query_sims - (1 - mmr_lambda) * redundancy
        # Rounded: a near-tie must not flip with the CPU's float rounding; argmax then takes the
        # earlier candidate, and the candidates come best first in a stable order.
        best = int(np.argmax(np.where(open_, np.round(gain, GAIN_DECIMALS), -np.inf)))
        open_[best] = False
        if is_near_duplicate(replies[best], [replies[i] for i in chosen]):
            continue
        chosen.append(best)
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return chosen
