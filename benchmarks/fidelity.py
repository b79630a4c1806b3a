"""Does predraft sound like the user? Fidelity of each drafting system on held-out turns, per persona.

For each persona (`benchmarks/personas.py`: the bundled demo user and Falstaff by default, Hamlet with
`--persona hamlet`), in a fresh data dir: ingest the exports, `me set`, `consent exclude`, index, and
build the dataset (time split). An authorship judge (training/judge.py) learns the user's replies vs the
other speakers' lines on the training split; on validation turns each system drafts the user's reply and
is scored by:

- judge: the share of its drafts the judge attributes to the user, read against the judge's ceiling
  (the user's real held-out replies) and floor (the other speakers' held-out lines) and its accuracy;
- chrF of the draft vs the real reply;
- failure rates (assistant/quality.py): echo, degenerate (empty, loop, cut mid-word), wrong speaker,
  length far from the user's median; and the mean length.

Systems: `real` (the user's own replies: the rates a person's real writing has), `retrieval` (the user's
reply to the most similar training context; the judge is cross-fitted, so each of those replies is
judged by a model that never read it), `evidence` (retrieval as the product does it: the top past
exchange the graph's `retrieve` found in the index, which also holds the turns before this one in the
validation period), `base` (the default model continuing the plain transcript, greedy), `product`
(what `predraft draft` shows first: the graph's own nodes load the thread as it was before the turn,
retrieve evidence from before that day, sample the candidates and rank them), `product_model` (the
model's best-ranked sample among those candidates: what the review lists beside your past replies), and
with `--lora PATH` (a GGUF LoRA trained on this persona's training split): `lora` (the plain transcript
with it), `product_lora` (the product drafting through it, as with `model.lora_path` set) and
`product_lora_model`.

`chains` runs the unattended chain (`predraft demo`'s: the top draft is taken at each step) to
`--chain-depth` on the persona's threads and counts the drafted and predicted texts that echo an
earlier message of the conversation or the chain.

`versus` sets each product system against every other, turn by turn: the gap in chrF and in judge
attribution with a 95% interval over resampled turns, so "beats" means beyond these turns' luck.

`by_confidence` groups the product's top drafts by the chain's confidence, in the buckets `predraft
feedback stats` shows (chrF and judge per bucket): the offline check that the gate's number means
something before any feedback exists.

Prints JSON. Usage: .venv/bin/python benchmarks/fidelity.py [--persona demo --persona falstaff]
[--persona hamlet] [--max-turns 6] [--chain-depth 3] [--lora falstaff=PATH] [--examples 3] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from statistics import fmean
from typing import Any

from assistant.config import Settings, ensure_data_dir, load_settings
from assistant.corpus.store import Corpus
from assistant.feedback.stats import BUCKET_EDGES, bucket_of
from assistant.ingest.runner import ingest_paths
from assistant.models import Backend, GenerationOptions, load_backend
from assistant.offline import enforce_offline
from assistant.privacy import PrivacyPolicy
from assistant.prompting import header_day
from assistant.quality import UserProfile, check
from assistant.retrieval.exchanges import reply_messages
from assistant.retrieval.index import ExchangeIndex
from benchmarks.personas import DEFAULT_PERSONAS, PERSONAS, Persona, each_persona
from graphs.predraft.context import Resources
from graphs.predraft.replay import Replay
from graphs.predraft.replay import replay as replay_at
from training import metrics
from training.dataset import build_dataset
from training.evaluate import Case, Fidelity, model_drafts, retrieval_drafts, versus
from training.examples import Example



def prepare(persona: Persona, folder: Path, examples: int) -> Settings:
    """A data dir in `folder` with what a new user runs: ingest, `me set`, `consent exclude`, `index`; the
    persona's time zone and `draft.examples` (`--examples`: the default, 0, unless a run measures it)."""
    ensure_data_dir(folder)
    (folder / "predraft.toml").write_text(f'[ingest]\ntimezone = "{persona.timezone}"\n\n[draft]\nexamples = {examples}\n')
    settings = load_settings(folder)
    with Corpus(settings.corpus_path) as corpus:
        result = ingest_paths(corpus, list(persona.exports), timezone=persona.timezone)
        if not result.ok:
            raise SystemExit(f"{persona.key}: exports did not import: {result.failures}")
        corpus.set_me(persona.me, persona.aliases)
        for name in persona.excluded:
            corpus.set_consent(name, excluded=True)
        ExchangeIndex(settings).update(corpus, PrivacyPolicy.from_settings(settings))
    return settings


def spread(items: list[Example], n: int) -> list[Example]:
    """n items evenly spaced over the list (the whole validation period, not just its first days)."""
    if len(items) <= n or n < 2:
        return list(items[:n])
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def product_draft(example: Example, replay: Replay) -> dict[str, Any]:
    """The top candidate `predraft draft` would have shown for this turn (graph/predraft/replay.py)."""
    day = header_day(example.prompt)
    top, state = replay.top_draft(example.thread_id, example.when, day.isoformat() if day else None)
    evidence = state["evidence"]
    model_top = next((c["text"] for c in state["candidates"] if c["source"] == "model"), "")
    return {"draft": top["text"] if top else "", "source": top["source"] if top else None, "model_top": model_top,
            "evidence_top": "\n".join(reply_messages(evidence[0]["reply"])) if evidence else "",
            "suggest": state["suggest"], "prompt_matches": state["prompt"] == example.prompt,
            "confidence": state["confidence"]}


def by_confidence(tops: list[dict], turns: list[Example], fidelity: Fidelity) -> list[dict]:
    """The top drafts grouped by the chain's confidence in the buckets `predraft feedback stats` shows: if
    confidence means anything, the drafts of a higher bucket are closer to what the user really wrote."""
    groups: dict[int, list[int]] = {}
    for i, top in enumerate(tops):
        groups.setdefault(bucket_of(top["confidence"]), []).append(i)
    return [{"from": BUCKET_EDGES[b], "to": BUCKET_EDGES[b + 1], "turns": len(rows),
             "chrf": metrics.chrf([tops[i]["draft"] for i in rows], [turns[i].reply for i in rows]),
             "judge_attribution": fidelity.judge.attribution([tops[i]["draft"] for i in rows])}
            for b, rows in sorted(groups.items())]


def system_scores(drafts: list[str], turns: list[Example], fidelity: Fidelity) -> dict:
    return {
        **fidelity.scores(drafts, [e.prompt for e in turns]),
        "judge_mean_probability": float(fidelity.judge.probabilities(drafts).mean()),
        "chrf": metrics.chrf(drafts, [e.reply for e in turns]),
        "samples": [{"real": e.reply[:160], "draft": d[:160]} for d, e in zip(drafts[:3], turns[:3], strict=False)],
    }


def chain_echoes(settings: Settings, backend: Backend, profile: UserProfile, depth: int, threads: int) -> dict:
    """Unattended chains on the persona's threads: how many drafted and predicted texts fail a rule."""
    from assistant.demo.runner import drafted_chain

    with Corpus(settings.corpus_path) as corpus:
        excluded = corpus.excluded_ids()
        usable = [t for t in corpus.threads()
                  if not any(m.sender_id in excluded for m in corpus.messages(t.id))]
        usable = sorted(usable, key=lambda t: -len(corpus.messages(t.id)))[:threads]
    texts: list[dict] = []
    for thread in usable:
        conversation: list[str] = []
        chain_texts: list[str] = []
        for view in drafted_chain(settings, depth=depth, thread=str(thread.id), backend=backend):
            if not conversation:
                conversation = [t["text"] for t in view.context if t["source"] == "corpus"]
            steps = ([("predicted", view.predicted_incoming)] if view.predicted_incoming else [])
            steps += [("draft", view.candidates[0].text if view.candidates else "")]
            for kind, text in steps:
                failures = check(text, conversation, profile, chain=chain_texts)
                texts.append({"thread": thread.title, "step": view.step, "kind": kind, "text": text[:160],
                              "echo": failures.echo, "any_failure": failures.any})
                chain_texts.append(text)
    n = max(len(texts), 1)
    return {"depth": depth, "threads": len(usable), "texts": len(texts),
            "echoes": sum(t["echo"] for t in texts), "echo_rate": sum(t["echo"] for t in texts) / n,
            "any_failure_rate": sum(t["any_failure"] for t in texts) / n, "samples": texts}


def run_persona(
    persona: Persona, folder: Path, backend: Backend | None, args: argparse.Namespace
) -> tuple[dict, Backend]:
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        seconds[phase] = round(time.perf_counter() - clock, 1)
        clock = time.perf_counter()

    settings = prepare(persona, folder, args.examples)
    lap("ingest_and_index")
    with Corpus(settings.corpus_path) as corpus:
        build = build_dataset(corpus, settings)
    train = [e for e in build.train if e.source == "corpus"]
    train_rows = [{"prompt": e.prompt, "reply": e.reply} for e in train]
    val_rows = [{"prompt": e.prompt, "reply": e.reply} for e in build.val]
    fidelity = Fidelity.from_rows(train_rows, val_rows, persona.names)
    turns = spread(build.val, args.max_turns)
    lap("dataset_and_judge")

    backend = backend or load_backend(settings)
    resources = Resources(settings, backend=backend)
    cases = [Case(e.prompt, e.target, e.reply, e.when.year) for e in turns]
    retrieval_drafts(train_rows, cases, resources.embedder.embed)
    options = GenerationOptions.from_settings(settings.model)
    model_drafts(backend, "base", cases, options, 1, lambda: None, score=False)
    lap("retrieval_and_base")
    product_lora: list[dict[str, Any]] = []
    lora = args.lora.get(persona.key)
    if lora:
        with load_backend(settings, lora_path=str(lora)) as lora_backend:
            model_drafts(lora_backend, "lora", cases, options, 1, lambda: None, score=False)
            lap("lora")
            # The product as a user with that personal LoRA gets it (`model.lora_path`): same graph, same index.
            with replay_at(Resources(settings, backend=lora_backend, index=resources.index)) as replay:
                product_lora = [product_draft(e, replay) for e in turns]
            lap("product_lora")
    with replay_at(resources) as replay:
        product = [product_draft(e, replay) for e in turns]
    lap("product")

    drafts = {"real": [e.reply for e in turns], "retrieval": [c.drafts["retrieval"][0] for c in cases],
              "evidence": [p["evidence_top"] for p in product],
              "base": [c.drafts["base"][0] for c in cases], "product": [p["draft"] for p in product],
              "product_model": [p["model_top"] for p in product]}
    if lora:
        drafts["lora"] = [c.drafts["lora"][0] for c in cases]
        drafts["product_lora"] = [p["draft"] for p in product_lora]
        drafts["product_lora_model"] = [p["model_top"] for p in product_lora]
    systems = {name: system_scores(texts, turns, fidelity) for name, texts in drafts.items()}
    for name, tops in (("product", product), ("product_lora", product_lora)):
        if tops:
            systems[name]["suggested"] = fmean(p["suggest"] for p in tops)
            systems[name]["prompt_as_in_training"] = fmean(p["prompt_matches"] for p in tops)
            systems[name]["past_reply_on_top"] = fmean(p["source"] == "past" for p in tops)
            systems[name]["by_confidence"] = by_confidence(tops, turns, fidelity)
    report = {
        "versus": {name: versus(name, {k: v for k, v in drafts.items() if k != "real"}, [e.reply for e in turns],
                                fidelity.judge)
                   for name in ("product", "product_lora") if name in drafts},
        "dataset": {"train": len(train), "val": len(build.val),
                    "cut": build.split.cut.isoformat() if build.split.cut else None},
        "profile": {"median_reply_chars": fidelity.profile.median_chars, "names": list(fidelity.profile.names)},
        "judge": fidelity.reference.as_dict(),
        "turns": len(turns),
        "systems": systems,
    }
    if args.chain_depth:
        report["chains"] = chain_echoes(settings, backend, fidelity.profile, args.chain_depth, args.chain_threads)
        lap("chains")
    report["seconds"] = seconds | {"total": round(sum(seconds.values()), 1)}
    return report, backend


def persona_lora(value: str) -> tuple[str, Path]:
    key, _, path = value.partition("=")
    if key not in PERSONAS or not path:
        raise argparse.ArgumentTypeError(f"expected PERSONA=PATH with PERSONA one of {', '.join(PERSONAS)}")
    return key, Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persona", action="append", choices=PERSONAS, help="default: demo and falstaff")
    parser.add_argument("--max-turns", type=int, default=6, help="validation turns drafted per persona")
    parser.add_argument("--chain-depth", type=int, default=3, help="0: no chains")
    parser.add_argument("--chain-threads", type=int, default=3)
    parser.add_argument("--lora", action="append", type=persona_lora, default=[], metavar="PERSONA=PATH",
                        help="a GGUF LoRA trained on that persona's training split, for `lora` and `product_lora`")
    parser.add_argument("--examples", type=int, default=0, help="draft.examples for every persona (default 0)")
    parser.add_argument("--work-dir", type=Path, help="kept afterwards (default: a temporary folder, removed)")
    args = parser.parse_args()
    args.lora = dict(args.lora)
    enforce_offline()
    machine = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()}
    personas = each_persona(args.persona or DEFAULT_PERSONAS, args.work_dir, "predraft-fidelity-",
                            lambda persona, folder, backend: run_persona(persona, folder, backend, args))
    out = {"machine": machine, "max_turns": args.max_turns, "personas": personas}
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
