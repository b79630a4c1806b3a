"""The demo pipeline on the bundled persona: ingest -> me -> consent -> index -> a drafted chain.

It runs in a data dir of its own (<data dir>/demo by default), so the user's corpus, index and
feedback are never touched. Every step is idempotent: a second run imports and embeds nothing new.
`train_demo_lora` adds the optional LoRA on the persona (the CPU profile, minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.config import USER_CONFIG_NAME, Settings, ensure_data_dir, load_settings
from assistant.corpus.store import Corpus
from assistant.demo import DEMO_ALIASES, DEMO_EXCLUDED, DEMO_ME, SAMPLES_DIR
from assistant.errors import PredraftError
from assistant.ingest.runner import ingest_paths
from assistant.models.base import Backend
from assistant.privacy import PrivacyPolicy

DEMO_FOLDER = "demo"
DEMO_THREAD = "Maya Chen"  # her last message waits for an answer
DEMO_TIMEZONE = "America/Chicago"  # where the persona lives: the WhatsApp samples carry no UTC offset
DEMO_RUN = "demo-lora"
DEMO_PROFILE = "gemma3-270m-cpu"
DEMO_STEPS = 20  # enough for the persona's style to show in the drafts, in minutes on a laptop CPU
DEMO_EVAL_TURNS = 12  # validation turns `demo --train` evaluates: what the LoRA changed, in a few minutes
DEMO_CONFIG = f"""\
# The demo's own settings: bundled sample data, kept apart from your corpus.
[ingest]
timezone = "{DEMO_TIMEZONE}"
"""

OnStep = Callable[[str], None]
OnProgress = Callable[[int, int], None]


class DemoError(PredraftError):
    """A demo step that could not run (a damaged install, most likely)."""


@dataclass(frozen=True)
class DemoReport:
    messages: int
    threads: int
    exchanges: int  # in the index after the excluded contact was dropped


def demo_dir(data_dir: Path) -> Path:
    return data_dir / DEMO_FOLDER


def demo_settings(folder: Path, overrides: dict | None = None) -> Settings:
    """The demo data dir's settings (its predraft.toml is written on first use, then left alone)."""
    ensure_data_dir(folder)
    config = folder / USER_CONFIG_NAME
    if not config.is_file():
        config.write_text(DEMO_CONFIG)
    return load_settings(folder, overrides)


def prepare(settings: Settings, on_step: OnStep, on_progress: OnProgress | None = None) -> DemoReport:
    """The commands a new user runs, as library calls: ingest, me set, consent exclude, index."""
    from assistant.retrieval.index import ExchangeIndex  # torch and Chroma: loaded only when indexing

    with Corpus(settings.corpus_path) as corpus:
        on_step(f"ingest {SAMPLES_DIR}")
        result = ingest_paths(corpus, [SAMPLES_DIR], timezone=settings.ingest.timezone)
        if not result.ok:
            problems = "; ".join(f"{f.path}: {f.message}" for f in result.failures)
            raise DemoError(f"the bundled samples did not import ({problems}): reinstall predraft")
        aliases = " ".join(f"--alias {a!r}" for a in DEMO_ALIASES)
        on_step(f"me set {DEMO_ME!r} {aliases}")
        corpus.set_me(DEMO_ME, DEMO_ALIASES)
        on_step(f"consent exclude {DEMO_EXCLUDED!r}")
        corpus.set_consent(DEMO_EXCLUDED, excluded=True)
        on_step("index")
        report = ExchangeIndex(settings).update(corpus, PrivacyPolicy.from_settings(settings), progress=on_progress)
        messages = corpus.db.execute("SELECT count(*) FROM messages").fetchone()[0]
        return DemoReport(messages=messages, threads=len(corpus.threads()), exchanges=report.total)


def drafted_chain(
    settings: Settings,
    *,
    depth: int = 2,
    thread: str = DEMO_THREAD,
    backend: Backend | None = None,
    on_token: Callable[[int, str], None] | None = None,
) -> Iterator:
    """Each step of a new chain on the demo thread, taking the top draft as sent (not stored as feedback).

    Unlike `predraft draft`, a step under the confidence gate does not end the chain: the demo shows
    what the untuned base model drafts, confidence and all.
    """
    from graphs.predraft.api import DraftChain

    with DraftChain(settings, backend=backend) as chain:
        view = chain.start(thread, depth=depth, on_token=on_token)
        while True:
            yield view
            if view.status not in ("awaiting_review", "low_confidence") or not view.candidates:
                return
            if view.step + 1 >= depth:
                return
            view = chain.resume(view.chain_id, "accept", chosen_index=0, reviewed=False, on_token=on_token)


def train_demo_lora(settings: Settings, on_line: OnStep, on_event: Callable) -> Path:
    """Dataset from the persona, a LoRA with the CPU profile, exported to GGUF. Returns the LoRA's path."""
    from training.dataset import build_dataset, dataset_dir, write_dataset
    from training.pipeline import TrainRequest, export, train

    on_line("building the dataset")
    with Corpus(settings.corpus_path) as corpus:
        build = build_dataset(corpus, settings)
    write_dataset(build, dataset_dir(settings, settings.dataset.name))
    request = TrainRequest(DEMO_PROFILE, settings.dataset.name, steps=DEMO_STEPS, run_name=DEMO_RUN)
    train(settings, request, on_line, on_event)
    on_line("exporting the LoRA to GGUF")
    result, _ = export(settings, DEMO_RUN, merged=False, make_active=False)
    return result.lora


def demo_lora(settings: Settings) -> Path | None:
    """The demo LoRA if `predraft demo --train` made one."""
    from training.export import LORA_FILE

    lora = settings.runs_dir / DEMO_RUN / "export" / LORA_FILE
    return lora if lora.is_file() else None
