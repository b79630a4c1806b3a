"""Train/validation splits that never cut a conversation in two.

Pure functions over examples. A conversation (gap-separated session) goes wholly to one side, so
the validation set never holds the answer to a message whose earlier turns were trained on.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from training.examples import Example


@dataclass(frozen=True)
class Split:
    train: list[Example]
    val: list[Example]
    method: str  # "time" or "random"
    cut: datetime | None = None  # time split: every val example is at or after this, every train one before


def _by_session(examples: Sequence[Example]) -> dict[str, list[Example]]:
    groups: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        groups[e.session].append(e)
    return groups


def time_split(examples: Sequence[Example], val_fraction: float) -> Split:
    """The last `val_fraction` of the turns by date, cut where no conversation is in progress.

    Conversations are time intervals; overlapping ones (two chats at once) form one block, and the
    cut falls between blocks at the point closest to the wanted size. Every validation date is
    then later than every training date.
    """
    ordered = sorted(examples, key=lambda e: e.when)
    wanted = round(len(ordered) * val_fraction)
    if wanted == 0 or len(ordered) < 2:
        return Split(list(ordered), [], "time")
    spans = sorted(
        ((min(e.when for e in group), max(e.when for e in group), len(group)) for group in _by_session(ordered).values())
    )
    # Block starts: a session starting after every earlier session has ended opens a new block.
    cuts: list[tuple[datetime, int]] = []  # (block start, examples before it)
    latest_end, before = spans[0][1], spans[0][2]
    for start, end, size in spans[1:]:
        if start > latest_end:
            cuts.append((start, before))
        latest_end, before = max(latest_end, end), before + size
    if not cuts:
        return Split(list(ordered), [], "time")
    cut, n_train = min(cuts, key=lambda c: (abs((len(ordered) - c[1]) - wanted), -c[1]))
    return Split(ordered[:n_train], ordered[n_train:], "time", cut)


def random_split(examples: Sequence[Example], val_fraction: float, seed: int) -> Split:
    """Whole conversations drawn at random (seeded) until the validation side has its share."""
    groups = _by_session(examples)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    wanted = round(len(examples) * val_fraction)
    val_keys: set[str] = set()
    taken = 0
    for key in keys:
        if taken >= wanted:
            break
        val_keys.add(key)
        taken += len(groups[key])
    train = sorted((e for e in examples if e.session not in val_keys), key=lambda e: e.when)
    val = sorted((e for e in examples if e.session in val_keys), key=lambda e: e.when)
    return Split(train, val, "random")


def split_examples(examples: Sequence[Example], method: str, val_fraction: float, seed: int) -> Split:
    return random_split(examples, val_fraction, seed) if method == "random" else time_split(examples, val_fraction)
