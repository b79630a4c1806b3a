"""The GPU profiles cannot train here, but their configs are checked with Axolotl's own validation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from assistant.config import configs_dir, load_settings
from assistant.corpus.store import Corpus
from tests.worlds.training import build_corpus
from training import check_config
from training.dataset import build_dataset, dataset_dir, write_dataset
from training.pipeline import TrainRequest, train
from training.venv import run_script

pytestmark = [pytest.mark.slow, pytest.mark.axolotl]


@pytest.fixture
def settings(data_dir):
    settings = load_settings(data_dir)
    build_corpus(settings.corpus_path).close()
    with Corpus(settings.corpus_path) as corpus:
        write_dataset(build_dataset(corpus, settings), dataset_dir(settings, "default"))
    return settings


def config_only(settings, profile: str):
    return train(settings, TrainRequest(profile, "default", run_name=profile, config_only=True),
                 lambda line: None, lambda event: None)


def test_gpu_qlora_run_folder_passes_axolotl_validation(settings, axolotl_venv):
    outcome = config_only(settings, "gpu-qlora")
    assert outcome.metrics is None and outcome.run.info()["status"] == "prepared"
    assert outcome.validated == {
        "base_model": "Qwen/Qwen2.5-7B-Instruct", "adapter": "qlora", "load_in_4bit": True, "sample_packing": True,
        "attn_implementation": "flash_attention_2", "deepspeed": None, "bf16": "auto", "sequence_len": 2048,
        "micro_batch_size": 4, "max_steps": None, "num_epochs": 2.0,
    }
    prompt, reply = json.loads((outcome.run.folder / "data" / "train.io.jsonl").read_text().splitlines()[0])["segments"]
    # Qwen: no BOS, and its own end of turn
    assert prompt["text"].startswith("### WhatsApp chat with Maya Chen") and reply["text"].endswith("🚲\n<|im_end|>")


def test_multi_gpu_run_folder_ships_deepspeed_and_validates_with_zero2_and_zero3(settings, axolotl_venv):
    outcome = config_only(settings, "multi-gpu")
    assert outcome.validated["deepspeed"] == "deepspeed/zero2.json" and outcome.validated["adapter"] == "lora"
    assert (outcome.run.folder / "deepspeed" / "zero2.json").is_file()
    # The same run with ZeRO-3, as the template's comment suggests.
    zero3 = outcome.run.folder / "deepspeed" / "zero3.json"
    shutil.copy(configs_dir() / "axolotl" / "deepspeed" / "zero3.json", zero3)
    cfg = yaml.safe_load(outcome.run.config.read_text())
    cfg["deepspeed"] = "deepspeed/zero3.json"
    variant = outcome.run.folder / "zero3.yaml"
    variant.write_text(yaml.safe_dump(cfg, sort_keys=False))
    lines: list[str] = []
    run_script(axolotl_venv, Path(check_config.__file__), [str(variant), "--gpus", "8"], lines.append)
    assert '"deepspeed": "deepspeed/zero3.json"' in lines[-1]
