"""`predraft dataset build`: corpus (through the privacy policy) + review feedback -> a dataset folder.

The folder (<data dir>/datasets/<name>) holds the same examples in several forms:

    train.jsonl, val.jsonl          OpenAI messages (Axolotl chat_template, Unsloth, LLaMA-Factory)
    train.io.jsonl, val.io.jsonl    Axolotl input_output segments for the default model (what we train on)
    hf/                             a Hugging Face DatasetDict (save_to_disk) with every column
    summary.json                    counts per year/platform, token percentiles, what each filter removed,
                                    its sources: the threads in it, who was excluded (training/provenance.py)
"""

from __future__ import annotations

import gc
import json
import math
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.errors import PredraftError
from assistant.feedback.store import Decision
from assistant.privacy import PrivacyPolicy, usable_threads
from assistant.prompting import CHARS_PER_TOKEN
from training.examples import FILTERS, Example, drop_duplicates, thread_examples
from training.feedback_export import cap_feedback, sft_examples
from training.records import GEMMA_TOKENS, example_row, io_record, messages_record, write_jsonl
from training.splits import Split, split_examples


class DatasetError(PredraftError):
    """The corpus cannot make a usable dataset (too few examples, nobody marked as the user)."""


@dataclass
class DatasetBuild:
    split: Split
    removed: Counter[str]  # filter -> user turns removed
    threads: int
    user_turns: int  # before filtering
    feedback_available: int = 0
    feedback: list[Example] = field(default_factory=list)  # the feedback examples added to train
    excluded_people: list[int] = field(default_factory=list)  # the contacts excluded when it was built

    @property
    def train(self) -> list[Example]:
        return sorted([*self.split.train, *self.feedback], key=lambda e: e.when)

    @property
    def val(self) -> list[Example]:
        return self.split.val


@dataclass
class Collected:
    examples: list[Example]
    removed: Counter[str]
    threads: int


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Reference counting alone frees what a build discards (messages, turns, rejected runs); the
    cyclic collector would only rescan the growing heap of examples, 3-4 s of a 1M-message build.
    Cycles made meanwhile, if any, are collected once it is back on."""
    if not gc.isenabled():  # the caller's choice: leave it off
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def collect(corpus_path: Path, settings: Settings, my_name: str, thread_ids: set[int] | None = None) -> Collected:
    """Examples of the given threads (all by default), read through the privacy policy."""
    collected = Collected([], Counter(), 0)
    with Corpus(corpus_path) as corpus, cyclic_gc_paused():
        for thread, messages in usable_threads(corpus, PrivacyPolicy.from_settings(settings), thread_ids):
            outcome = thread_examples(thread, messages, settings.dataset, my_name, settings.privacy.redact_names)
            collected.examples += outcome.examples
            collected.removed.update(outcome.removed)
            collected.threads += 1
    return collected


def collect_all(corpus: Corpus, settings: Settings, my_name: str) -> Collected:
    """`collect` over every thread, then duplicates dropped in thread order.

    One process: with 2 worker processes on 2 cores a 1M-message build took 67-73 s instead of 58 s
    (pickling the examples back costs more than the second core gives).
    """
    found = collect(corpus.path, settings, my_name)
    examples, duplicates = drop_duplicates(found.examples)
    found.removed["duplicate"] += duplicates
    return Collected(examples, found.removed, found.threads)


def build_dataset(corpus: Corpus, settings: Settings, decisions: Sequence[Decision] = ()) -> DatasetBuild:
    """Examples from the corpus (consent exclusions and PII redaction applied), split, plus capped feedback
    (`decisions` as `training.feedback_export.usable_decisions` gives them)."""
    me = corpus.me()
    if me is None:
        raise DatasetError("no sender is marked as you: run `predraft me` for suggestions, then `predraft me set NAME`")
    found = collect_all(corpus, settings, me.name)
    human, removed, n_threads = found.examples, found.removed, found.threads
    cfg = settings.dataset
    if len(human) < cfg.min_examples:
        raise DatasetError(too_few_message(len(human), removed, n_threads, cfg.min_examples))
    split = split_examples(human, cfg.split, cfg.val_fraction, cfg.seed)
    val_prompts = {e.prompt for e in split.val}
    offered = [e for e in sft_examples(decisions) if e.prompt not in val_prompts]
    feedback = cap_feedback(offered, len(split.train), cfg.human_to_feedback_ratio)
    return DatasetBuild(split, removed, n_threads, len(human) + sum(removed.values()), len(offered), feedback,
                        sorted(corpus.excluded_ids()))


def too_few_message(found: int, removed: Counter[str], threads: int, needed: int) -> str:
    why = ", ".join(f"{removed[f]} {f}" for f in FILTERS if removed[f]) or "no turn was filtered"
    return (
        f"only {found} training examples (dataset.min_examples is {needed}) from {threads} usable threads; "
        f"user turns removed by filters: {why}. Import more chats with `predraft ingest`, check that "
        "`predraft me` names you, or lower dataset.min_examples / dataset.min_reply_chars in predraft.toml."
    )


def approx_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def percentiles(values: Sequence[int]) -> dict[str, int]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> int:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": ordered[-1]}


def summarize(build: DatasetBuild, name: str) -> dict:
    def counts(examples: list[Example], key) -> dict[str, int]:
        return dict(sorted(Counter(str(key(e)) for e in examples).items()))

    train, val = build.train, build.val
    everything = train + val
    return {
        "name": name,
        "examples": {"train": len(train), "val": len(val), "feedback_in_train": len(build.feedback)},
        "split": {"method": build.split.method, "cut": build.split.cut.isoformat() if build.split.cut else None},
        "threads": build.threads,
        "user_turns": build.user_turns,
        "removed": {f: build.removed[f] for f in FILTERS},
        "feedback": {"available": build.feedback_available, "used": len(build.feedback)},
        "per_year": {"train": counts(train, lambda e: e.when.year), "val": counts(val, lambda e: e.when.year)},
        "per_platform": {"train": counts(train, lambda e: e.platform or e.source), "val": counts(val, lambda e: e.platform)},
        "tokens": {
            "approximation": f"characters / {CHARS_PER_TOKEN}",
            "prompt": percentiles([approx_tokens(e.prompt) for e in everything]),
            "target": percentiles([approx_tokens(e.target) for e in everything]),
        },
        # what training/provenance.py reads to find the data that holds a contact excluded later
        "sources": {"threads": sorted({e.thread_id for e in everything}), "excluded_people": build.excluded_people},
    }


def write_dataset(build: DatasetBuild, out_dir: Path) -> dict:
    """Write every form into `out_dir` (replacing an older build atomically); returns the summary."""
    from datasets import Dataset, DatasetDict, disable_progress_bars  # heavy import, only where it is needed

    disable_progress_bars()  # the CLI shows its own progress

    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    train, val = build.train, build.val
    write_jsonl(staging / "train.jsonl", map(messages_record, train))
    write_jsonl(staging / "val.jsonl", map(messages_record, val))
    write_jsonl(staging / "train.io.jsonl", (io_record(e.prompt, e.target, GEMMA_TOKENS) for e in train))
    write_jsonl(staging / "val.io.jsonl", (io_record(e.prompt, e.target, GEMMA_TOKENS) for e in val))
    columns = list(example_row(train[0]))

    def table(rows: list[Example]) -> Dataset:
        return Dataset.from_list([example_row(e) for e in rows]) if rows else Dataset.from_dict({c: [] for c in columns})

    DatasetDict(train=table(train), validation=table(val)).save_to_disk(str(staging / "hf"))
    summary = summarize(build, out_dir.name)
    (staging / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return summary


def dataset_dir(settings: Settings, name: str) -> Path:
    return settings.data_dir / "datasets" / name


def dataset_sources(folder: Path) -> dict | None:
    """What a built dataset says it was made from; None for one built before datasets recorded it."""
    try:
        return json.loads((folder / "summary.json").read_text()).get("sources")
    except FileNotFoundError:
        return None


def load_examples(folder: Path, split: str) -> list[dict]:
    """Rows of a built dataset's split ("train" or "validation") from its saved DatasetDict."""
    from datasets import disable_progress_bars, load_from_disk

    disable_progress_bars()

    if not (folder / "hf").is_dir():
        raise DatasetError(f"no dataset in {folder}: run `predraft dataset build` first")
    return load_from_disk(str(folder / "hf"))[split].to_list()
