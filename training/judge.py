"""Would a draft pass as the user's? An authorship judge trained on the training split only.

The judge learns to tell the user's own replies (positive) from what the other people in their chats
wrote (negative): character n-grams catch spelling, casing, punctuation and emoji habits, word n-grams
catch vocabulary; a class-balanced logistic regression weighs them. Its verdict on a set of drafts
is the share it attributes to the user, read against two references on held-out data:

- ceiling: the share of the user's real held-out replies it attributes to the user;
- floor: the share of the other speakers' held-out lines it attributes to the user.

A system whose drafts score near the ceiling writes like the user as far as this judge can tell;
near the floor, like anybody else in their chats.

A judge that read a text recognises it: retrieval hands back training replies verbatim, and a single
judge would attribute them to the user with a confidence no new draft can earn. So the judge is
cross-fitted: the training texts are split into FOLDS folds, one model is trained without each fold,
and every text is judged by a model that never read it (a training text by the one trained without
its fold; any other text by the model its hash picks, so each verdict comes from a model trained on
the same share of the data). Fitting is deterministic: folds follow sorted texts, hashes are CRC-32
and the solver is seeded, so the same split gives the same judge on any machine.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from assistant.prompting import ME, context_turns

_TOKEN = r"(?u)\w+|[^\w\s]"  # words, and each punctuation mark or emoji on its own: both are style
REGULARISATION = 4.0  # logistic regression's C: TF-IDF rows are unit length, so weights need room to grow
FOLDS = 5  # each model learns from 80% of the texts: close to the whole judge, and cheap on a few thousand lines


def text_key(text: str) -> str:
    """Texts that differ only in case and spacing are the same text to a judge that read one of them."""
    return " ".join(text.casefold().split())


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
    def __init__(self, models: Sequence[Pipeline], fold_of: dict[str, int]):
        self.models = list(models)  # models[i] never read the training texts of fold i
        self.fold_of = fold_of  # text_key of a training text -> its fold

    @staticmethod
    def pipeline(seed: int) -> Pipeline:
        features = FeatureUnion([
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 4), lowercase=False, sublinear_tf=True)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=_TOKEN, sublinear_tf=True)),
        ])
        model = LogisticRegression(C=REGULARISATION, class_weight="balanced", solver="liblinear", random_state=seed)
        return Pipeline([("features", features), ("model", model)])

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[bool], seed: int = 0) -> AuthorshipJudge:
        """Train on texts labelled True where the user wrote them; both classes must be present, each with
        at least two distinct texts so that every model learns from both."""
        keyed = [(text_key(t), t, bool(label)) for t, label in sorted(zip(texts, labels, strict=True))]
        keys = {label: sorted({key for key, _, lab in keyed if lab == label}) for label in (True, False)}
        if min(len(k) for k in keys.values()) < 2:
            raise ValueError("the judge needs texts by the user and by others (two of each at least) "
                             "to learn the difference")
        folds = min(FOLDS, *(len(k) for k in keys.values()))
        # Folds go round each class separately, so every fold holds both the user's texts and the others'.
        fold_of = {key: i % folds for class_keys in keys.values() for i, key in enumerate(class_keys)}
        models = []
        for fold in range(folds):
            kept = [(t, lab) for key, t, lab in keyed if fold_of[key] != fold]
            models.append(cls.pipeline(seed).fit([t for t, _ in kept], [lab for _, lab in kept]))
        return cls(models, fold_of)

    @classmethod
    def fit_texts(cls, data: AuthorshipTexts, seed: int = 0) -> AuthorshipJudge:
        return cls.fit([*data.user, *data.others], [True] * len(data.user) + [False] * len(data.others), seed)

    def judged_by(self, text: str) -> int:
        key = text_key(text)
        return self.fold_of.get(key, zlib.crc32(key.encode()) % len(self.models))

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """P(the user wrote it) per text, from a model that never read it; a blank text passes as nobody's (0)."""
        found = np.zeros(len(texts))
        chosen = [self.judged_by(t) for t in texts]
        for fold, model in enumerate(self.models):
            rows = [i for i, c in enumerate(chosen) if c == fold and texts[i].strip()]
            if rows:
                user_column = list(model.classes_).index(True)
                found[rows] = model.predict_proba([texts[i] for i in rows])[:, user_column]
        return found

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
