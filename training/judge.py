"""Would a draft pass as the user's? An authorship judge trained on the training split only.

The judge learns to tell the user's own replies (positive) from what the other people in their chats
wrote (negative): character n-grams catch spelling, casing, punctuation and emoji habits, word n-grams
catch vocabulary; a class-balanced logistic regression weighs them. Its verdict on a set of drafts
is the share it attributes to the user, read against two references on held-out data:

- ceiling: the share of the user's real held-out replies it attributes to the user;
- floor: the share of the other speakers' held-out lines it attributes to the user.

A system whose drafts score near the ceiling writes like the user as far as this judge can tell;
near the floor, like anybody else in their chats. Fitting is deterministic: inputs are sorted and
the solver is seeded, so the same split gives the same judge on any machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from assistant.prompting import ME, context_turns

_TOKEN = r"(?u)\w+|[^\w\s]"  # words, and each punctuation mark or emoji on its own: both are style
REGULARISATION = 4.0  # logistic regression's C: TF-IDF rows are unit length, so weights need room to grow


@dataclass(frozen=True)
class AuthorshipTexts:
    user: list[str]  # the user's replies
    others: list[str]  # the other speakers' turns

    @classmethod
    def from_examples(cls, examples: Iterable[tuple[str, str]]) -> AuthorshipTexts:
        """From (prompt, reply) pairs of one split. A turn of the other side shows up in the context of
        every later reply of its conversation: each distinct text counts once, on either side."""
        user: set[str] = set()
        others: set[str] = set()
        for prompt, reply in examples:
            if reply.strip():
                user.add(reply.strip())
            others.update(text for speaker, text in context_turns(prompt) if speaker != ME)
        return cls(sorted(user), sorted(others))


@dataclass(frozen=True)
class JudgeReference:
    """How the judge does on held-out texts whose author is known."""

    accuracy: float  # both classes together
    balanced_accuracy: float  # the mean of the two classes' recalls: (ceiling + 1 - floor) / 2
    ceiling: float  # share of the user's held-out replies attributed to the user
    floor: float  # share of the other speakers' held-out turns attributed to the user
    user_texts: int
    other_texts: int

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


class AuthorshipJudge:
    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[bool], seed: int = 0) -> AuthorshipJudge:
        """Train on texts labelled True where the user wrote them; both classes must be present."""
        pairs = sorted(zip(texts, labels, strict=True))
        if len({label for _, label in pairs}) < 2:
            raise ValueError("the judge needs texts by the user and by others to learn the difference")
        features = FeatureUnion([
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 4), lowercase=False, sublinear_tf=True)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=_TOKEN, sublinear_tf=True)),
        ])
        model = LogisticRegression(C=REGULARISATION, class_weight="balanced", solver="liblinear", random_state=seed)
        pipeline = Pipeline([("features", features), ("model", model)])
        pipeline.fit([t for t, _ in pairs], [bool(label) for _, label in pairs])
        return cls(pipeline)

    @classmethod
    def fit_texts(cls, data: AuthorshipTexts, seed: int = 0) -> AuthorshipJudge:
        return cls.fit([*data.user, *data.others], [True] * len(data.user) + [False] * len(data.others), seed)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """P(the user wrote it) per text; a blank text passes as nobody's (0)."""
        if not texts:
            return np.zeros(0)
        user_column = list(self.pipeline.classes_).index(True)
        found = self.pipeline.predict_proba(list(texts))[:, user_column]
        return np.where([bool(t.strip()) for t in texts], found, 0.0)

    def attribution(self, texts: Sequence[str]) -> float:
        """The share of `texts` the judge attributes to the user (probability at least one half)."""
        return float((self.probabilities(texts) >= 0.5).mean()) if texts else 0.0

    def reference(self, held_out: AuthorshipTexts) -> JudgeReference:
        ceiling = self.attribution(held_out.user)
        floor = self.attribution(held_out.others)
        total = len(held_out.user) + len(held_out.others)
        right = ceiling * len(held_out.user) + (1 - floor) * len(held_out.others)
        return JudgeReference(
            accuracy=right / total if total else 0.0,
            balanced_accuracy=(ceiling + 1 - floor) / 2,
            ceiling=ceiling,
            floor=floor,
            user_texts=len(held_out.user),
            other_texts=len(held_out.others),
        )
