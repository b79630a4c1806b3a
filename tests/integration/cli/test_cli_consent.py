"""`consent exclude` clears a contact out of everything built from the corpus before, at once and without
a re-index: no file under the data dir that a model, the index, a dataset or an export reads holds their
words afterwards, nor do the outputs of `draft --json`, `dataset build` and `feedback export`; PII stays
out of all of them under redact_pii = true.

The model and the embedder are the graph tests' scripted doubles, so this runs in seconds; the index is
real Chroma, the chains real LangGraph checkpoints, the stores real SQLite files, and every step the user
takes runs through the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.erase import HNSW_HEADER
from assistant.feedback.store import Decision, FeedbackStore
from graphs.predraft.api import DraftChain
from tests.unit.graphs.graph_doubles import ScriptedBackend, WordsEmbedder
from tests.worlds.consent import EXCLUDED, JORDAN_WORDS, PII, build_world
from training.axolotl import prepare_run
from training.dataset import dataset_dir
from training.profiles import PROFILES

MARKERS = [*JORDAN_WORDS, "Jordan"]
RUN = "gemma3-270m-cpu-20240310-120000"
# Review decisions as a predraft before this one stored them: the prompt as shown, PII and all.
OLD_PROMPTS = {
    EXCLUDED: "### WhatsApp chat with Jordan Lee · Saturday 2024-03-02\nJordan Lee: the marmoset crack is dry again\nMe:",
    "Maya Chen": f"### WhatsApp chat with Maya Chen · Tuesday 2024-03-05\nMaya Chen: my new number is {PII[0]}\n"
                 f"Maya Chen: did Jordan Lee ever pay you back?\nMe:",
}


@pytest.fixture(params=["drop-thread", "redact"])
def world(request: pytest.FixtureRequest, data_dir: Path, cli, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr("assistant.models.load_backend", lambda settings, **_: ScriptedBackend())
    monkeypatch.setattr("assistant.retrieval.index.load_embedder", lambda *_: WordsEmbedder())
    settings = build_world(data_dir, consent_mode=request.param)
    assert cli("index").exit_code == 0
    return settings


def _holding(folder: Path, markers: list[str]) -> dict[str, list[str]]:
    """Each file under `folder` that holds any of `markers`, with those found. The corpus is the source
    of everything and keeps what was imported, so it is not searched."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("corpus.sqlite")):
        data = path.read_bytes()
        if hits := [m for m in markers if m.encode() in data]:
            found[str(path.relative_to(folder))] = hits
    return found


def _spare_rooms(index: Path) -> set[int]:
    """The byte values found past the elements of each HNSW vector file."""
    values = set()
    for vectors in index.glob("*/data_level0.bin"):
        elements, size = HNSW_HEADER.unpack(vectors.with_name("header.bin").read_bytes()[: HNSW_HEADER.size])[3:]
        values |= set(vectors.read_bytes()[elements * size :])
    return values


def _table_rows(output: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("│").split("│")] for line in output.splitlines() if line.startswith("│")]


def _stores(found: dict[str, list[str]]) -> set[str]:
    return {path.split("/")[0] for path in found}


def _review(settings: Settings, thread: str, sent: str, incoming: str) -> None:
    """What the review app does: a draft edited and sent, then the other side's real answer."""
    with DraftChain(settings) as chain:
        view = chain.start(thread)
        view = chain.resume(view.chain_id, "edit", text=sent)
        chain.incoming(view.chain_id, incoming)


def _store_old_decisions(settings: Settings, thread_ids: dict[str, int]) -> None:
    store = FeedbackStore(settings.feedback_path)
    for title, prompt in OLD_PROMPTS.items():
        store.record(Decision(thread_id=thread_ids[title], prompt=prompt, candidates=["ok"], action="edit",
                              chosen_index=0, final_text=f"mine is {PII[1]}"))
    store.close()


def _train_run(settings: Settings) -> Path:
    """A training run on the dataset as built now, its LoRA exported and in use (no training: only what
    `predraft train` and `predraft export` leave in the run folder matters here)."""
    run = prepare_run(settings.runs_dir / RUN, PROFILES["gemma3-270m-cpu"], dataset_dir(settings, "default"), "base")
    lora = run.folder / "export" / "lora.gguf"
    lora.parent.mkdir()
    lora.write_bytes(b"GGUF")
    run.update(export={"lora": str(lora)})
    config = settings.data_dir / "predraft.toml"
    config.write_text(config.read_text().replace("[model]\n", f'[model]\nlora_path = "{lora}"\n'))
    return lora


def _outputs(cli, settings: Settings) -> str:
    """What `draft --json`, `dataset build` and `feedback export` give, printed and written."""
    drafted = cli("draft", "Maya", "--json")
    built, exported = cli("dataset", "build"), cli("feedback", "export")
    assert drafted.exit_code == built.exit_code == exported.exit_code == 0, drafted.output + built.output + exported.output
    files = [*dataset_dir(settings, "default").glob("*.jsonl"), *(settings.data_dir / "feedback-export").glob("*.jsonl")]
    return drafted.stdout + built.stdout + exported.stdout + "".join(p.read_text() for p in files)


def test_consent_exclude_leaves_no_trace_of_them_in_what_was_built_before(cli, world: Settings):
    data = world.data_dir
    thread_ids = {t["title"]: t["id"] for t in json.loads(cli("threads", "--json").output)}
    _review(world, "Maya Chen", f"sure, pay to {PII[2]}", "great, see you there")
    _review(world, EXCLUDED, "see you at the wall", "quillfeather it is, bring the marmoset rope")
    _store_old_decisions(world, thread_ids)
    before = _outputs(cli, world)
    _train_run(world)
    # Everything built so far holds Jordan's words; PII reaches no output, stored decisions aside.
    assert _stores(_holding(data, MARKERS)) == {"index", "feedback.sqlite", "graph-checkpoints.sqlite", "datasets",
                                                "feedback-export", "runs"}
    assert [m for m in PII if m in before] == []
    assert _stores(_holding(data, PII)) == {"feedback.sqlite"}  # the old decisions, stored as shown

    result = cli("consent", "exclude", EXCLUDED)
    assert result.exit_code == 0, result.output
    changed = dict(_table_rows(result.output))
    assert changed == {
        "index": "4 exchanges removed",  # Alex's three turns in Jordan's chat and one in the group he is in
        "review decisions": "3 rewritten",  # Jordan's two, and the old one of Maya's (his name, her number)
        # Jordan's chain, and Maya's two (reviewed, and the one `draft --json` left), which showed his evidence
        "chains": "3 deleted, with 2 prediction outcomes and 0 edits in progress",
        "datasets": "removed: default; `predraft dataset build --name NAME` rebuilds one",
        # redact mode keeps the decisions made in Jordan's chat, with his lines withheld
        "feedback export": "written again: 2 SFT examples, 2 preference pairs" if world.privacy.consent_mode == "drop-thread"
        else "written again: 4 SFT examples, 4 preference pairs",
    }
    assert (f"LoRA run {RUN} was trained on messages of {EXCLUDED} (its copies of the training text removed); train it "
            f"again without them: predraft dataset build --name default && predraft train --profile gemma3-270m-cpu "
            "--dataset default") in " ".join(result.output.split())
    assert _holding(data, MARKERS) == {}
    assert _holding(data, PII) == {}
    # The room past hnswlib's elements held freed process memory as written; the words in it were a matter of chance.
    assert _spare_rooms(world.index_dir) == {0}

    after = _outputs(cli, world)
    assert [m for m in MARKERS + PII if m in after] == []
    assert _holding(data, MARKERS + PII) == {}
    warning = cli("draft", "Maya", "--json").stderr
    assert f"the LoRA in use (run {RUN}) was trained on messages of {EXCLUDED}, excluded since" in " ".join(warning.split())


def test_consent_include_then_index_brings_their_exchanges_back(cli, world: Settings):
    assert cli("consent", "exclude", EXCLUDED).exit_code == 0
    assert _holding(world.index_dir, MARKERS) == {}
    included = cli("consent", "include", EXCLUDED)
    assert "`predraft index` puts their exchanges back in the index" in " ".join(included.output.split())
    assert cli("index").exit_code == 0
    assert set(_holding(world.index_dir, MARKERS)["chroma.sqlite3"]) == set(MARKERS)


def test_what_was_built_after_the_exclusion_is_kept_when_excluding_again(cli, world: Settings):
    assert cli("consent", "exclude", EXCLUDED).exit_code == 0
    assert cli("dataset", "build").exit_code == 0  # redact mode: Jordan's chats in it, his lines withheld
    again = cli("consent", "exclude", EXCLUDED)
    assert dict(_table_rows(again.output)) == {"index": "0 exchanges removed", "datasets": "none held them"}
    assert dataset_dir(world, "default").is_dir()
