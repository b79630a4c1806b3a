"""Which built datasets and training runs hold the words of a contact excluded after they were built.

A dataset's summary.json records its sources: the threads its examples come from, and who was
excluded when it was built; a run keeps a copy in run.json. Data holds a contact's words when they
were not excluded then and one of its threads involves them, by the consent rule itself
(`assistant.privacy.exclusions`). Data built before sources were recorded counts as holding every
excluded contact's: nothing says otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.privacy import exclusions
from training.axolotl import RUN_FILE, Run
from training.dataset import dataset_sources

# A run's copies of its training text, Axolotl's tokenized cache and the evaluation report included.
# The adapter stays: it is what the user retrains, and nothing can take a contact out of its weights.
RUN_TEXT_COPIES = ("data", "prepared", "eval")


def contacts_in(sources: dict | None, corpus: Corpus) -> list[str]:
    """The names of the contacts excluded now whose words data built from `sources` holds."""
    excluded_then = set(sources["excluded_people"]) if sources else set()
    threads = set(sources["threads"]) if sources else None
    names = {p.id: p.name for p in corpus.people()}
    held = []
    for person_id in sorted(corpus.excluded_ids() - excluded_then):
        involved = exclusions(corpus, {person_id}).thread_ids
        if involved if threads is None else involved & threads:
            held.append(names[person_id])
    return held


def remove_datasets_holding(settings: Settings, corpus: Corpus) -> list[str]:
    """Delete the built datasets (and leftovers of interrupted builds) that hold an excluded contact's
    words; their names, to rebuild with `predraft dataset build --name NAME`."""
    removed = []
    for folder in sorted(p for p in (settings.data_dir / "datasets").glob("*") if p.is_dir()):
        if contacts_in(dataset_sources(folder), corpus):
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed


def runs_holding(settings: Settings, corpus: Corpus) -> list[tuple[Run, list[str]]]:
    """The training runs whose data held an excluded contact's words, with those contacts' names."""
    return [(run, contacts) for run in _runs(settings) if (contacts := contacts_in(run.info().get("sources"), corpus))]


def remove_text_copies(run: Run) -> bool:
    """Delete the run's copies of its training text; whether there were any."""
    found = [run.folder / name for name in RUN_TEXT_COPIES if (run.folder / name).exists()]
    for path in found:
        shutil.rmtree(path)
    return bool(found)


def retrain_command(run: Run) -> str:
    """The commands that train the run again on data without the contacts excluded since."""
    info = run.info()
    dataset = Path(info["dataset"]).name
    return f"predraft dataset build --name {dataset} && predraft train --profile {info['profile']} --dataset {dataset}"


def lora_warning(settings: Settings) -> str | None:
    """One line when the LoRA in use (`model.lora_path`) was trained on messages of contacts excluded since."""
    if not settings.model.lora_path:
        return None
    lora = Path(settings.model.lora_path).expanduser().resolve()
    for run in _runs(settings):
        exported = (run.info().get("export") or {}).get("lora")
        if exported and Path(exported).resolve() == lora:
            with Corpus(settings.corpus_path) as corpus:
                contacts = contacts_in(run.info().get("sources"), corpus)
            return (f"the LoRA in use (run {run.name}) was trained on messages of {', '.join(contacts)}, excluded "
                    f"since; `{retrain_command(run)}` trains it again without them") if contacts else None
    return None


def _runs(settings: Settings) -> list[Run]:
    return [Run(p) for p in sorted(settings.runs_dir.glob("*")) if (p / RUN_FILE).is_file()]
