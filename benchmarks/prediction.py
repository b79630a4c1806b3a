"""How often does predraft predict the other side's next message? Hit rates on held-out turns, per persona.

For each persona (`benchmarks/personas.py`: the bundled demo user and Falstaff by default, Hamlet with
`--persona hamlet`), in a fresh data dir: ingest, `me set`, `consent exclude`, index, and the dataset's
time split. A *point* is a moment in a validation conversation where the user has just written and
someone else answers next; its target is that person's first message. Each system guesses the target
from what came before, and a guess hits when its embedding is at least `draft.prediction_hit_similarity`
alike to the real message: the rule `match_incoming` applies when a real message arrives.

Systems:
- `frequent`: the speaker's most frequent message in the training period (what a canned-reply list
  would offer), else everybody's;
- `retrieval`: what came next at the most similar training-period point (the last
  `retrieval.context_messages` messages, embedded as the index embeds exchanges);
- `model`: the graph's `predict` node with the model alone (`draft.past_answers = false`), on the
  thread as it stood (graphs/predraft/replay.py): the step's evidence retrieved for the thread before
  the user's reply, the real reply accepted, then `predict`;
- `product_top3`: the same with the defaults and `draft.predictions = 3`, i.e. the messages a chain
  step expects (a hit when any matches): what the other side answered in the evidence exchanges
  where the user's reply was most like this one, then in the closest exchanges; the likeliest gets
  the model's pre-draft, the others the user's past replies to alike messages (no model time);
- `product`: the likeliest of those alone, the one the model pre-drafts for (same run: its time
  includes the alternatives' searches);
- `retrieval_top3`: what came next at the three most similar past points.

`within_reach` counts the points whose target some training-period answer matches by the hit rule:
the ceiling of any system that predicts from past messages.

Depth 1 is one prediction; depth 2 counts two hits in a row at consecutive points of one
conversation (the second pre-draft is only served when the first prediction came true). Rates are
given overall and for short targets (at most 5 words), with the seconds spent per hit.

`hit_rule` checks the rule itself. A real message should count as the predicted one when the reply
pre-drafted for the prediction is the one the user sends: over every two points the user answered,
"target cosine >= t" is scored against "the user answered both with the same words", giving precision
and recall per threshold on training-period pairs (the threshold with the best F1 is `chosen`) and on
held-out pairs.

Prints JSON. Usage: .venv/bin/python benchmarks/prediction.py [--persona demo --persona falstaff]
[--max-points 60] [--examples 3] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.models import load_backend
from assistant.models.base import Backend
from assistant.offline import enforce_offline
from assistant.privacy import PrivacyPolicy
from assistant.privacy.policy import usable_threads
from assistant.prompting import ME, conversations, local_date, message_turns
from benchmarks.fidelity import prepare, spread
from benchmarks.personas import DEFAULT_PERSONAS, PERSONAS, Persona, each_persona
from graphs.predraft.context import Resources
from graphs.predraft.replay import replay as replay_at
from graphs.predraft.prompts import retrieval_query
from training.dataset import build_dataset
from training.metrics import is_short, normalize

TOP_K = 3  # predictions per point for the k-prediction systems
SYSTEMS = ("frequent", "retrieval", "model", "product", f"retrieval_top{TOP_K}", f"product_top{TOP_K}")


@dataclass(frozen=True)
class Point:
    """The user has just written; `speaker` answers next with `target`."""

    thread_id: int
    conversation: int  # index of the conversation in its thread: depth 2 pairs points of one conversation
    when: datetime  # of the target message
    sent_at: datetime  # when the user's turn before it began
    sent: tuple[str, ...]  # the user's messages of that turn
    as_of: str  # ISO date of the user's last message (the prompt header's day)
    query: str  # the last messages before the target, as the index embeds contexts
    speaker: str
    target: str
    reply: str = ""  # the user's first message after the target in the conversation, if they answered


def points(corpus: Corpus, settings: Settings) -> list[Point]:
    """Every point of every usable thread (the privacy read path), in time order."""
    gap = settings.dataset.gap
    found: list[Point] = []
    for thread, messages in usable_threads(corpus, PrivacyPolicy.from_settings(settings)):
        for c, conversation in enumerate(conversations(messages, gap)):
            # each message with its turn (a message that says nothing has none)
            spoken, turns = zip(*[(m, t) for m in conversation for t in message_turns([m], settings.dataset.media)],
                                strict=True) if conversation else ((), ())
            for j in range(1, len(turns)):
                if turns[j - 1]["speaker"] == ME and turns[j]["speaker"] != ME:
                    start = j - 1
                    while start > 0 and turns[start - 1]["speaker"] == ME:
                        start -= 1
                    found.append(Point(
                        thread_id=thread.id, conversation=c, when=spoken[j].timestamp,
                        sent_at=spoken[start].timestamp, sent=tuple(t["text"] for t in turns[start:j]),
                        as_of=local_date(spoken[j - 1]).isoformat(),
                        query=retrieval_query(list(turns[:j]), settings.retrieval.context_messages),
                        speaker=turns[j]["speaker"], target=turns[j]["text"],
                        reply=next((t["text"] for t in turns[j + 1:] if t["speaker"] == ME), ""),
                    ))
    return sorted(found, key=lambda p: p.when)


def frequent_guesses(train: list[Point], val: list[Point]) -> list[str]:
    """Each speaker's most frequent training-period message, compared without case and punctuation (ties:
    the shortest, then alphabetical), in the form they wrote it most often."""
    def top(texts: list[str]) -> str:
        counts = Counter(normalize(t) for t in texts)
        if not counts:
            return ""
        best = min(counts, key=lambda t: (-counts[t], len(t), t))
        return Counter(t for t in texts if normalize(t) == best).most_common(1)[0][0]

    everybody = top([p.target for p in train])
    by_speaker = {s: top([p.target for p in train if p.speaker == s]) for s in {p.speaker for p in train}}
    return [by_speaker.get(p.speaker, everybody) for p in val]


def retrieval_guesses(train: list[Point], val: list[Point], embed, k: int = 1) -> list[list[str]]:
    """What came next at the k most similar training-period points, most similar first, without repeats."""
    if not train:
        return [[] for _ in val]
    known = embed([p.query for p in train])
    asked = embed([p.query for p in val])
    return [_distinct([train[int(i)].target for i in np.argsort(-(known @ q))], k) for q in asked]


def within_reach(train: list[Point], val: list[Point], embed, threshold: float) -> int:
    """Points whose target some training-period answer matches by the hit rule (an oracle's pick among
    them): the most that any prediction drawn from past messages can hit."""
    past = sorted({p.target for p in train})
    if not past or not val:
        return 0
    best = (embed([p.target for p in val]) @ embed(past).T).max(axis=1)
    return int((best >= threshold).sum())


def _distinct(texts: list[str], k: int) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t.strip()))[:k]


def hits(guesses: list[list[str]], val: list[Point], embed, threshold: float) -> list[bool]:
    """The graph's hit rule, for any of a point's guesses: cosine of the embeddings at least the threshold."""
    targets = embed([p.target for p in val])
    flat = [(i, g) for i, gs in enumerate(guesses) for g in gs if g.strip()]
    vectors = embed([g for _, g in flat]) if flat else np.zeros((0, targets.shape[1]))
    hit = [False] * len(val)
    for (i, _), vector in zip(flat, vectors, strict=True):
        hit[i] = hit[i] or float(vector @ targets[i]) >= threshold
    return hit


THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))  # 0.5 .. 0.95


def same_reply_pairs(group: list[Point], embed) -> tuple[np.ndarray, np.ndarray]:
    """For every two points the user answered: the cosine of their targets, and whether the user answered
    both with the same words. A message counts as the predicted one when the reply pre-drafted for the
    prediction is the reply the user sends to it: the hit rule is right when the two go together."""
    answered = [p for p in group if p.reply.strip()]
    if len(answered) < 2:
        return np.zeros(0), np.zeros(0, dtype=bool)
    vectors = embed([p.target for p in answered])
    replies = np.array([normalize(p.reply) for p in answered])
    upper = np.triu_indices(len(answered), k=1)
    return (vectors @ vectors.T)[upper], (replies[:, None] == replies[None, :])[upper]


def hit_rule_curve(cosines: np.ndarray, same: np.ndarray, thresholds=THRESHOLDS) -> list[dict]:
    """Precision and recall of "cosine >= t" as the rule for "the same reply serves", per threshold."""
    curve = []
    for t in thresholds:
        called = cosines >= t
        true = int((called & same).sum())
        precision = true / int(called.sum()) if called.any() else None
        recall = true / int(same.sum()) if same.any() else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
        curve.append({"threshold": t, "precision": precision, "recall": recall, "f1": round(f1, 3),
                      "pairs_called": int(called.sum())})
    return curve


def calibrate(train: list[Point], val: list[Point], embed) -> dict:
    """The threshold with the best F1 on training-period pairs, and how it and the default do on held-out ones."""
    fit, check = hit_rule_curve(*same_reply_pairs(train, embed)), hit_rule_curve(*same_reply_pairs(val, embed))
    best = max(fit, key=lambda row: (row["f1"], row["threshold"]))
    return {"chosen": best["threshold"] if best["f1"] else None, "train": fit, "held_out": check}


def rates(hit: list[bool], val: list[Point]) -> dict:
    short = [h for h, p in zip(hit, val, strict=True) if is_short(p.target)]
    pairs = [(hit[i], hit[i + 1]) for i in range(len(val) - 1)
             if (val[i].thread_id, val[i].conversation) == (val[i + 1].thread_id, val[i + 1].conversation)]
    return {
        "depth1": sum(hit) / len(hit) if hit else 0.0,
        "depth1_short": sum(short) / len(short) if short else 0.0,
        "depth2": sum(a and b for a, b in pairs) / len(pairs) if pairs else 0.0,
        "hits": sum(hit), "points": len(hit), "short_points": len(short), "depth2_pairs": len(pairs),
    }


def run_persona(persona: Persona, folder: Path, backend: Backend | None, max_points: int,
                examples: int) -> tuple[dict, Backend]:
    settings = prepare(persona, folder, examples)
    with Corpus(settings.corpus_path) as corpus:
        cut = build_dataset(corpus, settings).split.cut
        every = points(corpus, settings)
    train = [p for p in every if cut is None or p.when < cut]
    val = spread([p for p in every if cut is not None and p.when >= cut], max_points)
    backend = backend or load_backend(settings)
    resources = Resources(settings, backend=backend)
    embed = resources.embedder.embed
    threshold = settings.draft.prediction_hit_similarity

    alternatives = retrieval_guesses(train, val, embed, TOP_K)
    guesses = {"frequent": [[g] for g in frequent_guesses(train, val)], "retrieval": [a[:1] for a in alternatives],
               f"retrieval_top{TOP_K}": alternatives}
    seconds = {}
    model_only = settings.draft.model_copy(update={"past_answers": False})
    k_predictions = settings.draft.model_copy(update={"predictions": TOP_K})
    for name, draft in (("model", model_only), (f"product_top{TOP_K}", k_predictions)):
        clock = time.perf_counter()
        with replay_at(resources, settings.model_copy(update={"draft": draft})) as replay:
            guesses[name] = [replay.predictions(p.thread_id, p.sent_at, list(p.sent), p.as_of) for p in val]
        seconds[name] = time.perf_counter() - clock
    # one prediction: the likeliest of the chain's, the one the model pre-drafts for (one run gives both)
    guesses["product"] = [g[:1] for g in guesses[f"product_top{TOP_K}"]]
    seconds["product"] = seconds[f"product_top{TOP_K}"]

    systems = {}
    for name in SYSTEMS:
        hit = hits(guesses[name], val, embed, threshold)
        systems[name] = rates(hit, val) | {
            "samples": [{"real": p.target[:120], "guess": [x[:120] for x in g], "hit": h}
                        for p, g, h in list(zip(val, guesses[name], hit, strict=True))[:4]],
        }
    for name, spent in seconds.items():  # retrieval and the replay's own reads included: an upper bound
        systems[name]["seconds"] = round(spent, 1)
        systems[name]["seconds_per_hit"] = round(spent / systems[name]["hits"], 1) if systems[name]["hits"] else None
    report = {"train_points": len(train), "val_points": len(val), "hit_similarity": threshold,
              "within_reach": within_reach(train, val, embed, threshold),
              "cut": cut.isoformat() if cut else None, "systems": systems,
              "hit_rule": calibrate(train, [p for p in every if cut is not None and p.when >= cut], embed)}
    return report, backend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persona", action="append", choices=PERSONAS, help="default: demo and falstaff")
    parser.add_argument("--max-points", type=int, default=60, help="validation points per persona, spread in time")
    parser.add_argument("--examples", type=int, default=0, help="draft.examples for every persona (default 0)")
    parser.add_argument("--work-dir", type=Path, help="kept afterwards (default: a temporary folder, removed)")
    args = parser.parse_args()
    enforce_offline()
    personas = each_persona(args.persona or DEFAULT_PERSONAS, args.work_dir, "predraft-prediction-",
                            lambda persona, folder, backend: run_persona(persona, folder, backend, args.max_points,
                                                                        args.examples))
    out = {"machine": {"python": platform.python_version(), "cpu": platform.machine()}, "personas": personas}
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
