"""`predraft eval`: what you would get, and each of its parts alone, on the validation split, in llama.cpp.

Four systems draft a reply to each validation prompt:

- product: what `predraft draft` would have shown first with this LoRA, through the graph's own nodes
  on the thread as it stood before the turn (its prompt, candidates, your past replies, ranking); the
  caller supplies it (graphs/predraft/replay.py), since training sits below the graph;
- base: the base GGUF alone;
- lora: the base GGUF with the run's exported LoRA;
- retrieval: no generation; the user's own reply to the most similar training context (by
  embedding), the floor any model has to beat.

The report (report.md, report.json, plots/*.png in <run>/eval) gives per system: perplexity of the
real replies (models only), ExactMatch@1/@3 on short replies, embedding cosine and chrF of draft
vs real, style distance, and the share of keystrokes a draft would have saved; and a per-year breakdown.

Whether the drafts sound like the user: an authorship judge (training/judge.py) trained on the
training split says which share of each system's drafts it attributes to the user, next to its
ceiling (the user's real validation replies) and floor (the other speakers' validation lines); and
the failure rules of assistant/quality.py count echoes, degenerate drafts, drafts that address the
user by name, and lengths far from the user's median, for each system and for the real replies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import fmean

import numpy as np

from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.models.base import Backend, GenerationOptions
from assistant.prompting import ME, context_turns, parse_reply, stop_sequences
from assistant.quality import UserProfile, addressable_names, check, failure_rates
from training import metrics
from training.axolotl import Run
from training.dataset import load_examples
from training.judge import AuthorshipJudge, AuthorshipTexts, JudgeReference

SYSTEMS = ("product", "base", "lora", "retrieval")
COLOURS = ["#555", "#d83", "#999", "#2a7", "#57c"]  # real replies, then SYSTEMS in order
REAL = "real"  # the user's own replies: the judge's ceiling and the failure rates of real writing
FAILURES = ("echo", "degenerate", "wrong_speaker", "length")


@dataclass
class Case:
    """One validation example and what each system drafted for it."""

    prompt: str
    target: str
    reply: str
    year: int
    drafts: dict[str, list[str]] = field(default_factory=dict)  # system -> candidates, best first
    logprob: dict[str, tuple[float, int]] = field(default_factory=dict)  # system -> (total, tokens)


def context_of(prompt: str) -> str:
    """What retrieval matches on: the transcript without header and the final `Me:`."""
    body = prompt.split("\n", 1)[1] if "\n" in prompt else ""
    return body.removesuffix(f"{ME}:").strip() or prompt.split("\n", 1)[0]


def other_speakers(prompt: str) -> set[str]:
    return {name for name, _ in context_turns(prompt) if name != ME}


@dataclass(frozen=True)
class Fidelity:
    """The authorship judge and the user's profile for the failure rules, both from the training split."""

    judge: AuthorshipJudge
    reference: JudgeReference  # the judge on the validation split
    profile: UserProfile

    @classmethod
    def from_rows(cls, train: Sequence[dict], val: Sequence[dict], names: Sequence[str]) -> Fidelity:
        judge = AuthorshipJudge.fit_texts(AuthorshipTexts.from_examples((r["prompt"], r["reply"]) for r in train))
        reference = judge.reference(AuthorshipTexts.from_examples((r["prompt"], r["reply"]) for r in val))
        return cls(judge, reference, UserProfile.from_replies([r["reply"] for r in train], names))

    def scores(self, drafts: Sequence[str], prompts: Sequence[str]) -> dict:
        """Judge attribution, failure rates against each prompt's conversation, and mean length."""
        found = [check(d, [text for _, text in context_turns(p)], self.profile)
                 for d, p in zip(drafts, prompts, strict=True)]
        return {
            "judge_attribution": self.judge.attribution(drafts),
            "failures": failure_rates(found),
            "mean_chars": fmean(len(d) for d in drafts) if drafts else 0.0,
        }


def retrieval_drafts(train: Sequence[dict], cases: Sequence[Case], embed: Callable[[list[str]], np.ndarray]) -> None:
    """The reply of the most similar training context (cosine of unit vectors)."""
    train_vecs = embed([context_of(r["prompt"]) for r in train])
    case_vecs = embed([context_of(c.prompt) for c in cases])
    best = (case_vecs @ train_vecs.T).argmax(axis=1)
    for case, i in zip(cases, best, strict=True):
        case.drafts["retrieval"] = [train[int(i)]["reply"]]


def model_drafts(backend, name: str, cases: Sequence[Case], options: GenerationOptions, n: int,
                 on_step: Callable[[], None], *, score: bool = True) -> None:
    """Greedy draft first, then n-1 samples for short replies (ExactMatch@n); with `score`, the log-prob of
    the real reply (for perplexity: another pass over the prompt and the reply)."""
    for case in cases:
        stops = tuple(stop_sequences(other_speakers(case.prompt)))
        greedy = replace(options, temperature=0.0, stop=stops)
        texts = [backend.complete(case.prompt, greedy)]
        if metrics.is_short(case.reply) and n > 1:
            texts += backend.candidates(case.prompt, replace(options, stop=stops), n - 1)
        case.drafts[name] = ["\n".join(parse_reply(t)) for t in texts]
        if not score:
            on_step()
            continue
        full = backend.tokenize(case.prompt + case.target)
        prefix = len(backend.tokenize(case.prompt))
        case.logprob[name] = (backend.score(case.prompt, case.target), max(len(full) - prefix, 1))
        on_step()


def system_metrics(cases: Sequence[Case], system: str, embed: Callable[[list[str]], np.ndarray],
                   fidelity: Fidelity) -> dict:
    if not cases:
        return {}
    drafts = [c.drafts[system][0] for c in cases]
    reals = [c.reply for c in cases]
    short = [c for c in cases if metrics.is_short(c.reply)]
    cos = (embed(drafts) * embed(reals)).sum(axis=1)
    out = {
        "examples": len(cases),
        "short_replies": len(short),
        "exact_match@1": fmean(metrics.exact_match(c.drafts[system], c.reply, 1) for c in short) if short else None,
        "exact_match@3": fmean(metrics.exact_match(c.drafts[system], c.reply, 3) for c in short) if short else None,
        "cosine": float(cos.mean()),
        "chrf": metrics.chrf(drafts, reals),
        "saved_keystrokes": sum(metrics.saved_keystrokes(d, r) for d, r in zip(drafts, reals)) / max(sum(map(len, reals)), 1),
        "style_distance": metrics.style_distance(drafts, reals),
        **fidelity.scores(drafts, [c.prompt for c in cases]),
    }
    if all(system in c.logprob for c in cases):
        out["perplexity"] = metrics.perplexity(sum(c.logprob[system][0] for c in cases),
                                               sum(c.logprob[system][1] for c in cases))
    return out


def versus(ours: str, drafts: dict[str, list[str]], reals: Sequence[str], judge: AuthorshipJudge) -> dict:
    """System `ours` against each other one, turn by turn: the gap in chrF and in judge attribution, with
    a 95% interval over resampled turns (metrics.paired_bootstrap): "better" only when it holds beyond
    the luck of these turns."""
    attributed = {name: (judge.probabilities(texts) >= 0.5).tolist() for name, texts in drafts.items()}

    def share(flags: Sequence[bool], _reals: Sequence[str]) -> float:
        return fmean(flags) if flags else 0.0

    return {name: {"chrf": metrics.paired_bootstrap(metrics.chrf, drafts[ours], texts, reals),
                   "judge_attribution": metrics.paired_bootstrap(share, attributed[ours], attributed[name], reals)}
            for name, texts in drafts.items() if name != ours}


def report(cases: Sequence[Case], embed: Callable[[list[str]], np.ndarray], info: dict, fidelity: Fidelity) -> dict:
    years = sorted({c.year for c in cases})
    drafts = {s: [c.drafts[s][0] for c in cases] for s in SYSTEMS}
    return {
        "run": info,
        "judge": fidelity.reference.as_dict() | {"median_reply_chars": fidelity.profile.median_chars},
        "real": fidelity.scores([c.reply for c in cases], [c.prompt for c in cases]),
        "overall": {s: system_metrics(cases, s, embed, fidelity) for s in SYSTEMS},
        "versus": versus("product", drafts, [c.reply for c in cases], fidelity.judge) if cases else {},
        "per_year": {str(y): {s: system_metrics([c for c in cases if c.year == y], s, embed, fidelity)
                              for s in SYSTEMS}
                     for y in years},
        "samples": [{"prompt_tail": c.prompt[-200:], "real": c.reply, **{s: c.drafts[s][0] for s in SYSTEMS}}
                    for c in cases[:10]],
    }


ROWS = ("perplexity", "exact_match@1", "exact_match@3", "cosine", "chrf", "saved_keystrokes", "judge_attribution",
        "mean_chars")


def fmt(value: object) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown(rep: dict) -> str:
    overall = rep["overall"]
    lines = [f"# Evaluation of run {rep['run']['run']}", "",
             f"{overall['base'].get('examples', 0)} validation examples "
             f"({overall['base'].get('short_replies', 0)} short replies for ExactMatch). Lower perplexity and "
             "style distance are better; everything else higher is better.", "",
             "| metric | " + " | ".join(SYSTEMS) + " |", "|---" * (len(SYSTEMS) + 1) + "|"]
    for row in ROWS:
        lines.append(f"| {row} | " + " | ".join(fmt(overall[s].get(row)) for s in SYSTEMS) + " |")
    for key in overall["base"].get("style_distance", {}):
        lines.append(f"| style: {key} | " + " | ".join(fmt(overall[s]["style_distance"].get(key)) for s in SYSTEMS) + " |")
    lines += fidelity_markdown(rep)
    lines += versus_markdown(rep.get("versus", {}))
    lines += ["", "## Per year (chrF / cosine)", "", "| year | " + " | ".join(SYSTEMS) + " |", "|---" * (len(SYSTEMS) + 1) + "|"]
    for year, by_system in rep["per_year"].items():
        lines.append(f"| {year} | " + " | ".join(
            f"{by_system[s]['chrf']:.1f} / {by_system[s]['cosine']:.2f}" for s in SYSTEMS) + " |")
    lines += ["", "## Samples", ""]
    for sample in rep["samples"]:
        lines.append(f"- real: `{sample['real']}` · " + " · ".join(f"{s}: `{sample[s]}`" for s in SYSTEMS))
    return "\n".join(lines) + "\n"


def fidelity_markdown(rep: dict) -> list[str]:
    judge, real, overall = rep["judge"], rep["real"], rep["overall"]
    columns = [real, *(overall[s] for s in SYSTEMS)]
    lines = ["", "## Does it sound like you?", "",
             f"The authorship judge (trained on the training split) attributes to you {judge['ceiling']:.0%} of your "
             f"real validation replies (its ceiling) and {judge['floor']:.0%} of the other speakers' lines (its "
             f"floor); balanced accuracy {judge['balanced_accuracy']:.2f} on "
             f"{judge['user_texts'] + judge['other_texts']} held-out texts. It is cross-fitted: each text is judged "
             "by a model that never read it, so your past replies that retrieval and the product hand back are "
             "judged on their style, not recognised. Failure rates are shares of drafts; the "
             "real replies show how often real writing trips the same rules (length: outside a band around your "
             f"median reply of {judge['median_reply_chars']:.0f} characters).", "",
             f"| | {REAL} replies | " + " | ".join(SYSTEMS) + " |", "|---" * (len(SYSTEMS) + 2) + "|",
             "| judge attribution | " + " | ".join(fmt(c.get("judge_attribution")) for c in columns) + " |"]
    for key in (*FAILURES, "any"):
        lines.append(f"| {key.replace('_', ' ')} | " + " | ".join(fmt(c.get("failures", {}).get(key)) for c in columns)
                     + " |")
    lines.append("| mean length (chars) | " + " | ".join(f"{c.get('mean_chars', 0):.0f}" for c in columns) + " |")
    return lines


def verdict(interval: Sequence[float]) -> str:
    low, high = interval
    return "better" if low > 0 else "worse" if high < 0 else "a tie"


def versus_markdown(gaps: dict) -> list[str]:
    if not gaps:
        return []
    lines = ["", "## Is what you get better than each part alone?", "",
             "The product's gap to each system on the same examples, with a 95% interval over resampled "
             "examples: \"a tie\" when the interval holds 0.", "",
             "| product vs | chrF gap | judge attribution gap |", "|---|---|---|"]
    for name, gap in gaps.items():
        chrf, judged = gap["chrf"], gap["judge_attribution"]
        lines.append(f"| {name} | {chrf['difference']:+.1f} [{chrf['ci95'][0]:+.1f}, {chrf['ci95'][1]:+.1f}]: "
                     f"{verdict(chrf['ci95'])} | {judged['difference']:+.2f} [{judged['ci95'][0]:+.2f}, "
                     f"{judged['ci95'][1]:+.2f}]: {verdict(judged['ci95'])} |")
    return lines


def plot(rep: dict, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    keys = ("cosine", "chrf", "saved_keystrokes")
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.2))
    for ax, key in zip(axes, keys):
        ax.bar(SYSTEMS, [rep["overall"][s].get(key) or 0 for s in SYSTEMS], color=COLOURS[1:])
        ax.set_title(key)
    fig.tight_layout()
    paths.append(folder / "overall.png")
    fig.savefig(paths[-1], dpi=100)
    years = list(rep["per_year"])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, key in zip(axes, ("chrf", "cosine")):
        width = 0.8 / len(SYSTEMS)
        for i, s in enumerate(SYSTEMS):
            ax.bar(np.arange(len(years)) + i * width, [rep["per_year"][y][s][key] for y in years], width, label=s)
        ax.set_xticks(np.arange(len(years)) + width, years)
        ax.set_title(f"{key} per year")
    axes[0].legend()
    fig.tight_layout()
    paths.append(folder / "per_year.png")
    fig.savefig(paths[-1], dpi=100)
    paths.append(_plot_fidelity(rep, folder / "fidelity.png"))
    plt.close("all")
    return paths


def _plot_fidelity(rep: dict, path: Path) -> Path:
    """Judge attribution against its ceiling and floor; failure rates per system, real replies first."""
    import matplotlib.pyplot as plt  # `plot` chose the Agg backend

    names = [REAL, *SYSTEMS]
    columns = [rep["real"], *(rep["overall"][s] for s in SYSTEMS)]
    fig, (judged, failed) = plt.subplots(1, 2, figsize=(10, 3.4))
    judged.bar(names, [c.get("judge_attribution", 0) for c in columns], color=COLOURS)
    judged.axhline(rep["judge"]["ceiling"], color="#2a7", linestyle="--", label="ceiling")
    judged.axhline(rep["judge"]["floor"], color="#c55", linestyle="--", label="floor")
    judged.set_ylim(0, 1)
    judged.set_title("attributed to you by the judge")
    judged.legend()
    width = 0.8 / len(names)
    for i, (name, column) in enumerate(zip(names, columns, strict=True)):
        failed.bar(np.arange(len(FAILURES)) + i * width, [column.get("failures", {}).get(k, 0) for k in FAILURES],
                   width, label=name)
    failed.set_xticks(np.arange(len(FAILURES)) + width * (len(names) - 1) / 2, [k.replace("_", " ") for k in FAILURES])
    failed.set_title("failure rates")
    failed.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def user_names(settings: Settings) -> tuple[str, ...]:
    """What others call the user, for the wrong-speaker rule: their name as `predraft me` knows it."""
    with Corpus(settings.corpus_path) as corpus:
        me = corpus.me()
    return addressable_names(me.name) if me else ()


ProductDrafts = Callable[[Backend, Sequence[dict]], list[str]]  # (the LoRA backend, validation rows) -> top drafts


def evaluate_run(
    run: Run, settings: Settings, base_gguf: Path, lora: Path, *, limit: int, product: ProductDrafts,
    candidates: int = 3, on_step: Callable[[str], None] = lambda _: None,
) -> tuple[dict, Path]:
    """Run the four systems on the first `limit` validation examples; write the report files."""
    from assistant.models.llama_cpp import LlamaCppBackend
    from assistant.retrieval.embed import load_embedder

    dataset = Path(run.info()["dataset"])
    val = load_examples(dataset, "validation")[:limit]
    train = [r for r in load_examples(dataset, "train") if r["source"] == "corpus"]
    cases = [Case(r["prompt"], r["target"], r["reply"], r["year"]) for r in val]
    fidelity = Fidelity.from_rows(train, load_examples(dataset, "validation"), user_names(settings))
    embedder = load_embedder(settings.retrieval.embedding_backend)
    retrieval_drafts(train, cases, embedder.embed)
    options = replace(GenerationOptions.from_settings(settings.model), max_tokens=min(settings.model.max_tokens, 48))
    for name, adapter in (("base", None), ("lora", lora)):
        with LlamaCppBackend(base_gguf, lora_path=adapter, n_ctx=settings.model.n_ctx,
                             n_threads=settings.model.n_threads, seed=settings.model.seed,
                             sha256_cache_dir=settings.models_dir) as backend:
            model_drafts(backend, name, cases, options, candidates, lambda: on_step(name))
            if adapter is not None:
                for case, top in zip(cases, product(backend, val), strict=True):
                    case.drafts["product"] = [top]
    rep = report(cases, embedder.embed, {"run": run.name, "lora": str(lora), "base_gguf": str(base_gguf),
                                         "limit": limit, "candidates": candidates}, fidelity)
    folder = run.folder / "eval"
    folder.mkdir(exist_ok=True)
    (folder / "report.json").write_text(json.dumps(rep, indent=2, ensure_ascii=False))
    (folder / "report.md").write_text(markdown(rep))
    plot(rep, folder / "plots")
    return rep, folder
