"""End to end on the default model: fixture corpus -> dataset -> Axolotl LoRA (a few CPU steps) ->
GGUF LoRA -> llama.cpp scores the user's replies better with it -> evaluation report."""

from __future__ import annotations

import json

import pytest

from assistant.config import load_settings
from assistant.corpus.store import Corpus
from assistant.models.llama_cpp import LlamaCppBackend
from assistant.privacy import PrivacyPolicy
from assistant.retrieval.index import ExchangeIndex
from graphs.predraft.replay import top_drafts
from training.base_model import base_gguf
from training.dataset import build_dataset, dataset_dir, load_examples, write_dataset
from training.pipeline import TrainRequest, evaluate, export, train

pytestmark = [pytest.mark.slow, pytest.mark.axolotl]
STEPS = 10


@pytest.fixture(scope="module")
def trained(tmp_path_factory, make_settings):
    """One training run shared by the tests of this module."""
    settings = make_settings(tmp_path_factory.mktemp("gemma-e2e"))
    with Corpus(settings.corpus_path) as corpus:
        write_dataset(build_dataset(corpus, settings), dataset_dir(settings, "default"))
        ExchangeIndex(settings).update(corpus, PrivacyPolicy.from_settings(settings))  # evidence for the product
    outcome = train(settings, TrainRequest("gemma3-270m-cpu", "default", steps=STEPS, run_name="e2e"),
                    lambda line: None, lambda event: None)
    return settings, outcome


def test_training_writes_the_adapter_and_lowers_the_eval_loss(trained):
    _, outcome = trained
    info = outcome.run.info()
    assert info["status"] == "done" and info["max_steps"] == STEPS
    assert info["examples"] == {"train": 29, "val": 3, "evaluated": 3}
    assert outcome.run.adapter.is_file()
    adapter = json.loads((outcome.run.output / "adapter_config.json").read_text())
    assert adapter["r"] == 8 and set(adapter["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj",
                                                                    "gate_proj", "up_proj", "down_proj"}
    half_way, last = info["eval_losses"]  # evaluated at steps 5 and 10, not before training
    assert last < half_way


def _total_logprob(backend: LlamaCppBackend, rows: list[dict]) -> float:
    return sum(backend.score(r["prompt"], r["target"]) for r in rows)


def test_gguf_lora_makes_llama_cpp_score_the_users_replies_higher(trained):
    settings, outcome = trained
    result, config = export(settings, "e2e", merged=False, make_active=True)
    assert result.tensors == 18 * 7 and result.lora.stat().st_size > 1_000_000
    assert load_settings(settings.data_dir).model.lora_path == str(result.lora)
    rows = load_examples(dataset_dir(settings, "default"), "train")[:8]
    with LlamaCppBackend(base_gguf(settings), n_ctx=512) as base:
        plain = _total_logprob(base, rows)
    with LlamaCppBackend(base_gguf(settings), lora_path=result.lora, n_ctx=512) as tuned:
        adapted = _total_logprob(tuned, rows)
        # The adapter learned to stop: a reply ends with a newline and EOS, not another speaker's line.
        draft = tuned.complete(rows[0]["prompt"], _greedy(tuned))
    assert adapted > plain + 20, (plain, adapted)
    assert "Maya Chen:" not in draft


def _greedy(backend):
    from assistant.models.base import GenerationOptions

    return GenerationOptions(max_tokens=24, temperature=0.0, stop=("\n\n", "\nMaya Chen:"))


def test_merged_gguf_scores_like_base_plus_lora(trained):
    settings, _ = trained
    result, _ = export(settings, "e2e", merged=True, make_active=False)
    rows = load_examples(dataset_dir(settings, "default"), "train")[:4]
    with LlamaCppBackend(base_gguf(settings), lora_path=result.lora, n_ctx=512) as tuned:
        adapted = _total_logprob(tuned, rows)
    with LlamaCppBackend(result.merged, n_ctx=512) as merged:
        folded = _total_logprob(merged, rows)
    assert folded == pytest.approx(adapted, rel=0.03)


def test_eval_compares_the_product_with_base_lora_and_retrieval(trained):
    settings, _ = trained
    rep, folder = evaluate(settings, "e2e", limit=3, candidates=2, on_step=lambda system: None,
                           product=lambda backend, rows: top_drafts(settings, backend, rows))
    for name in ("report.md", "report.json", "plots/overall.png", "plots/per_year.png", "plots/fidelity.png"):
        assert (folder / name).stat().st_size > 100, name
    overall = rep["overall"]
    assert {overall[s]["examples"] for s in ("product", "base", "lora", "retrieval")} == {3}
    assert all(s["product"] for s in rep["samples"])  # the graph drafted each turn
    assert overall["lora"]["perplexity"] < overall["base"]["perplexity"]
    assert "perplexity" not in overall["retrieval"]
    assert set(rep["per_year"]) == {"2023", "2024"}
    assert "| chrf |" in (folder / "report.md").read_text()
