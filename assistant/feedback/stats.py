"""How the drafts are doing, from the stored review decisions: pure functions over the rows.

- acceptance: of the drafts that got a final answer (accept, edit or reject), the share sent unchanged;
  "used" also counts edited ones. Regenerations are counted apart: they are not an answer.
- edit distance: between the draft the user started from and what they sent (rapidfuzz Levenshtein),
  in characters and normalised to [0, 1] so long and short replies compare.
- acceptance per confidence bucket: the numbers to tune `draft.confidence_threshold` with. If drafts in
  a bucket are mostly rejected, the gate should sit above it.
- pre-draft hit rate: how often the other side's real message matched the predicted one.
- failures of the top draft shown (assistant/quality.py): echoes of the thread, degenerate text,
  drafts that address the user by name, lengths far from the user's usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from rapidfuzz.distance import Levenshtein

from assistant.feedback.store import ChatRating, Decision
from assistant.prompting import context_turns
from assistant.quality import UserProfile, check, failure_rates

ANSWERS = ("accept", "edit", "reject")
BUCKET_EDGES = (0.0, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0)  # 0.35 is the default gate, so it is an edge


@dataclass(frozen=True)
class Bucket:
    low: float
    high: float
    answered: int
    accepted: int
    edited: int

    @property
    def label(self) -> str:
        return f"{self.low:.2f}-{self.high:.2f}"

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.answered if self.answered else None

    @property
    def used_rate(self) -> float | None:
        return (self.accepted + self.edited) / self.answered if self.answered else None


@dataclass(frozen=True)
class FeedbackStats:
    decisions: int
    actions: dict[str, int]
    acceptance_rate: float | None  # accept / (accept + edit + reject)
    used_rate: float | None  # (accept + edit) / (accept + edit + reject)
    mean_edit_distance: float | None  # characters
    mean_normalized_edit_distance: float | None  # 0 = unchanged, 1 = rewritten
    buckets: list[Bucket]
    predictions: dict[str, int]  # {"hits": n, "misses": m}
    chats_saved: int
    chats_rated: int
    mean_chat_rating: float | None
    failures: dict[str, float]  # share of top drafts shown failing each rule; empty without a profile

    @property
    def hit_rate(self) -> float | None:
        total = self.predictions.get("hits", 0) + self.predictions.get("misses", 0)
        return self.predictions.get("hits", 0) / total if total else None

    def as_json(self) -> dict:
        out = asdict(self)
        out["hit_rate"] = self.hit_rate
        out["buckets"] = [
            {"range": b.label, "answered": b.answered, "accepted": b.accepted, "edited": b.edited,
             "acceptance_rate": b.acceptance_rate, "used_rate": b.used_rate}
            for b in self.buckets
        ]
        return out


def edit_base(d: Decision) -> str:
    """The draft an edit started from: the chosen candidate, else the top one."""
    if not d.candidates:
        return ""
    index = d.chosen_index if d.chosen_index is not None and d.chosen_index < len(d.candidates) else 0
    return d.candidates[index]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def bucket_of(confidence: float, edges: Sequence[float] = BUCKET_EDGES) -> int:
    """Index of the bucket [edges[i], edges[i+1]) holding `confidence`; the last bucket includes 1.0."""
    for i in range(len(edges) - 2, -1, -1):
        if confidence >= edges[i]:
            return i
    return 0


def confidence_buckets(decisions: Iterable[Decision], edges: Sequence[float] = BUCKET_EDGES) -> list[Bucket]:
    counts = [[0, 0, 0] for _ in edges[:-1]]  # answered, accepted, edited
    for d in decisions:
        if d.action not in ANSWERS or d.confidence is None:
            continue
        row = counts[bucket_of(d.confidence, edges)]
        row[0] += 1
        row[1] += d.action == "accept"
        row[2] += d.action == "edit"
    return [Bucket(edges[i], edges[i + 1], *row) for i, row in enumerate(counts)]


def shown_failures(decisions: Iterable[Decision], profile: UserProfile) -> dict[str, float]:
    """The failure rules on the top draft of each decision, against the thread its prompt showed."""
    return failure_rates([check(d.candidates[0], [text for _, text in context_turns(d.prompt)], profile)
                          for d in decisions if d.candidates])


def compute_stats(
    decisions: Sequence[Decision],
    predictions: Mapping[str, int],
    chats: Sequence[ChatRating] = (),
    edges: Sequence[float] = BUCKET_EDGES,
    profile: UserProfile | None = None,
) -> FeedbackStats:
    actions = {a: sum(d.action == a for d in decisions) for a in ("accept", "edit", "regenerate", "reject")}
    answered = sum(actions[a] for a in ANSWERS)
    edits = [d for d in decisions if d.action == "edit" and d.final_text is not None]
    distances = [Levenshtein.distance(edit_base(d), d.final_text) for d in edits]
    normalized = [Levenshtein.normalized_distance(edit_base(d), d.final_text) for d in edits]
    ratings = [c.rating for c in chats if c.rating is not None]
    return FeedbackStats(
        decisions=len(decisions),
        actions=actions,
        acceptance_rate=actions["accept"] / answered if answered else None,
        used_rate=(actions["accept"] + actions["edit"]) / answered if answered else None,
        mean_edit_distance=_mean(distances),
        mean_normalized_edit_distance=_mean(normalized),
        buckets=confidence_buckets(decisions, edges),
        predictions={"hits": predictions.get("hits", 0), "misses": predictions.get("misses", 0)},
        chats_saved=len(chats),
        chats_rated=len(ratings),
        mean_chat_rating=_mean(ratings),
        failures=shown_failures(decisions, profile) if profile else {},
    )
