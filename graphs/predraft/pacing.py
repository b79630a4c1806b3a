"""How far to pre-draft unattended: past the first reply only while predictions pay for themselves.

A pre-drafted answer costs a prediction and a draft (about a second of CPU on 2 cores) and is used only
when the other side's real message matches the prediction. `predraft watch` (and any source that drafts
without the user) pre-drafts to `draft.depth` while the expected hit rate is at least
`draft.predraft_min_hit_rate`, and drafts the reply alone below it. The expected rate blends the hits
measured on this data dir with a prior worth a few predictions, so that a new user's first misses do not
switch pre-drafting off and a long run of misses does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# benchmarks/prediction.py: about 1 in 3 predictions hit on the bundled persona's short messages and none
# on a literary one, so the prior assumes 1 in 5, worth 10 predictions.
PRIOR_HITS, PRIOR_PREDICTIONS = 2, 10


@dataclass(frozen=True)
class Pace:
    depth: int
    hits: int
    predictions: int
    expected: float  # the blended hit rate the decision used

    def note(self, min_rate: float) -> str | None:
        """A line for the user when pre-drafting was cut back, else None."""
        if self.predictions == 0 or self.expected >= min_rate:
            return None
        return (f"pre-drafting your reply only: predictions hit {hit_rate_line(self.hits, self.predictions)}, "
                f"expected {self.expected:.0%} < draft.predraft_min_hit_rate {min_rate:.0%}")


def expected_hit_rate(hits: int, predictions: int) -> float:
    return (hits + PRIOR_HITS) / (predictions + PRIOR_PREDICTIONS)


def pace(depth: int, counts: Mapping[str, int], min_rate: float) -> Pace:
    """The depth to pre-draft to, given {"hits": n, "misses": m} so far."""
    hits, predictions = counts.get("hits", 0), counts.get("hits", 0) + counts.get("misses", 0)
    expected = expected_hit_rate(hits, predictions)
    return Pace(depth if expected >= min_rate else min(depth, 1), hits, predictions, expected)


def hit_rate_line(hits: int, predictions: int) -> str:
    return f"{hits} of {predictions} ({hits / predictions:.0%})" if predictions else "none checked yet"
