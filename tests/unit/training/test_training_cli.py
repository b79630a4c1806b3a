"""The training commands' CLI: exit codes and what they print (no Axolotl needed)."""

import json

from typer.testing import CliRunner

from assistant.cli import app
from assistant.corpus.store import Corpus
from assistant.feedback.store import Decision, FeedbackStore
from training.dataset import DatasetError


def invoke(settings, *args):
    return CliRunner().invoke(app, ["--data-dir", str(settings.data_dir), *args])


def test_dataset_build_prints_the_summary_and_takes_flags(corpus, settings):
    result = invoke(settings, "dataset", "build", "--name", "v1", "--val-fraction", "0.25")
    assert result.exit_code == 0, result.output
    assert "24 training and 8 validation examples (0 from review feedback) from 3 threads" in result.output
    summary = json.loads((settings.data_dir / "datasets" / "v1" / "summary.json").read_text())
    assert summary["examples"] == {"train": 24, "val": 8, "feedback_in_train": 0}


def test_dataset_build_without_a_user_is_an_error_naming_the_fix(settings):
    Corpus(settings.corpus_path).close()
    result = invoke(settings, "dataset", "build")
    assert isinstance(result.exception, DatasetError)
    assert "predraft me set NAME" in str(result.exception)


def test_feedback_export_writes_both_files(settings):
    store = FeedbackStore(settings.feedback_path)
    store.record(Decision(thread_id=1, prompt="### SMS chat with Jo · Monday 2025-01-06\nJo: hi\nMe:",
                          candidates=["Hello."], action="edit", chosen_index=0, final_text="heyy"))
    store.close()
    result = invoke(settings, "feedback", "export", "--out", str(settings.data_dir / "fb"))
    assert result.exit_code == 0, result.output
    assert "1 SFT examples" in result.output and "1 preference pairs" in result.output
    assert json.loads((settings.data_dir / "fb" / "preference.jsonl").read_text()) == {
        "prompt": "### SMS chat with Jo · Monday 2025-01-06\nJo: hi\nMe:", "chosen": " heyy\n", "rejected": " Hello.\n"}


def test_gpu_profiles_refuse_to_train_on_this_machine(corpus, settings):
    assert invoke(settings, "dataset", "build").exit_code == 0
    result = invoke(settings, "train", "--profile", "gpu-qlora")
    assert "needs CUDA GPUs" in str(result.exception) and "--config-only" in str(result.exception)
    result = invoke(settings, "train", "--profile", "nope")
    assert "no training profile 'nope'; profiles: cpu-smoke, gemma3-270m-cpu, gpu-qlora, multi-gpu" in str(result.exception)


def test_export_and_eval_need_a_run(settings):
    for command in (["export"], ["eval"]):
        result = invoke(settings, *command)
        assert "no training runs" in str(result.exception) and "predraft train" in str(result.exception)
    result = invoke(settings, "train", "--resume")
    assert "no unfinished training run" in str(result.exception) and "predraft train" in str(result.exception)
