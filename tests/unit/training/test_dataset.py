"""`dataset build` end to end on the fixture corpus: privacy, formats, feedback cap, and the too-small error."""

import gc
import json

import pytest

from assistant.feedback.store import Decision
from tests.worlds.training import EXCHANGES, EXCLUDED_WORDS, PHONE
from training.dataset import DatasetError, build_dataset, cyclic_gc_paused, dataset_dir, load_examples, write_dataset


def test_dataset_files_have_every_form_and_no_excluded_contact(corpus, settings):
    build = build_dataset(corpus, settings)
    folder = dataset_dir(settings, "default")
    summary = write_dataset(build, folder)
    assert summary["examples"] == {"train": 29, "val": 3, "feedback_in_train": 0}
    assert summary["threads"] == 3  # Victor Hale's thread is dropped whole
    assert summary["per_year"] == {"train": {"2022": 14, "2023": 15}, "val": {"2023": 2, "2024": 1}}
    texts = {name: (folder / name).read_text() for name in ("train.jsonl", "val.jsonl", "train.io.jsonl", "val.io.jsonl")}
    everything = "\n".join(texts.values()) + json.dumps(load_examples(folder, "train") + load_examples(folder, "validation"))
    for word in EXCLUDED_WORDS:
        assert word.lower() not in everything.lower()
    assert PHONE not in everything and "it's <PHONE>" in everything

    first = json.loads(texts["train.jsonl"].splitlines()[0])
    assert first == {"messages": [
        {"role": "system", "content": "### WhatsApp chat with Maya Chen · Tuesday 2022-03-01"},
        {"role": "user", "content": "Maya Chen: are you coming tonight?"},
        {"role": "assistant", "content": "yess obviously\nomw 🚲"},
    ]}
    segments = json.loads(texts["train.io.jsonl"].splitlines()[0])["segments"]
    row = load_examples(folder, "train")[0]
    assert segments == [{"text": "<bos>" + row["prompt"], "label": False}, {"text": row["target"] + "<eos>", "label": True}]
    assert row["prompt"] + row["target"] == (
        "### WhatsApp chat with Maya Chen · Tuesday 2022-03-01\nMaya Chen: are you coming tonight?\n"
        "Me: yess obviously\nMe: omw 🚲\n"
    )


def test_too_few_examples_is_an_error_that_says_why(corpus, settings):
    strict = settings.model_copy(update={"dataset": settings.dataset.model_copy(update={"min_examples": 40, "min_reply_chars": 12})})
    with pytest.raises(DatasetError) as err:
        build_dataset(corpus, strict)
    short = sum(1 for _, replies in EXCHANGES if sum(map(len, replies)) < 12)
    assert f"only {len(EXCHANGES) - short} training examples (dataset.min_examples is 40) from 3 usable threads" in str(err.value)
    assert f"{short} too-short" in str(err.value)
    assert not dataset_dir(settings, "default").exists()


def _decision(i: int, action: str = "accept") -> Decision:
    return Decision(thread_id=1, prompt=f"### SMS chat with Jonas Weber · Monday 2025-01-0{i % 9 + 1}\nJonas Weber: q{i}?\nMe:",
                    candidates=[f"draft {i}", "other"], action=action, chosen_index=0, final_text=f"sent {i}",
                    created_at=f"2025-01-01T00:00:{i:02d}+00:00")


def test_feedback_is_capped_by_the_human_ratio_and_deterministic(corpus, settings):
    decisions = [_decision(i) for i in range(20)] + [_decision(30, "regenerate")]
    build = build_dataset(corpus, settings, decisions)
    assert build.feedback_available == 20  # regenerate rows carry no sent text
    assert len(build.split.train) == 29 and len(build.feedback) == 9  # floor(29 / 3.0)
    assert len(build.train) == 38 and all(e.source == "feedback" for e in build.train[-9:])
    assert [e.prompt for e in build_dataset(corpus, settings, list(reversed(decisions))).feedback] == \
        [e.prompt for e in build.feedback]
    assert {e.target for e in build.feedback} <= {f" sent {i}\n" for i in range(20)}



def test_the_garbage_collector_is_paused_only_for_the_build():
    with pytest.raises(RuntimeError), cyclic_gc_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
