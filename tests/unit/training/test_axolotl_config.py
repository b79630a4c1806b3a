"""Axolotl configs from the templates, and reading Axolotl's output."""

import re

import pytest
import yaml

from assistant.config import configs_dir
from training.axolotl import Metrics, Progress, Run, find_run, parse_output, render_config, template, TrainError
from training.profiles import PROFILES

BLOCKS = ["model", "datasets", "sequence / packing", "adapter", "logging", "batch / optimizer", "precision"]
CPU_KEYS = {"lora_mlp_kernel": False, "lora_qkv_kernel": False, "lora_o_kernel": False, "bf16": False, "fp16": False,
            "dataloader_num_workers": 0, "pad_to_sequence_len": False, "train_on_inputs": False}


@pytest.mark.parametrize("profile", PROFILES.values(), ids=list(PROFILES))
def test_every_template_is_standalone_with_blocks_in_the_fixed_order(profile):
    path = configs_dir() / "axolotl" / profile.template
    assert re.fullmatch(r"[\w.]+/[\w.]+-[\w-]+\.yaml", profile.template)
    blocks = re.findall(r"^# ---- (.+)$", path.read_text(), re.MULTILINE)
    assert blocks == BLOCKS
    cfg = yaml.safe_load(path.read_text())
    assert cfg["datasets"][0] == {"path": "./data/train.io.jsonl", "ds_type": "json", "type": "input_output"}
    assert cfg["auto_resume_from_checkpoints"] is True and cfg["wandb_mode"] == "disabled"
    if profile.on_cpu:
        assert {k: cfg[k] for k in CPU_KEYS} == CPU_KEYS
    else:
        assert cfg["attn_implementation"] == "flash_attention_2" and cfg["sample_packing"] is True


def test_render_config_fills_in_the_run_and_keeps_the_template_order():
    tmpl = template(PROFILES["gemma3-270m-cpu"])
    cfg = render_config(tmpl, base_model="/models/gemma3-270m-hf", has_val=False, max_steps=4, save_steps=None,
                        wandb=False, run_name="r1")
    assert cfg["base_model"] == "/models/gemma3-270m-hf"
    assert (cfg["max_steps"], cfg["save_steps"]) == (4, 4)  # checkpoints stay inside the run
    assert "test_datasets" not in cfg and "eval_steps" not in cfg
    assert list(cfg) == [k for k in tmpl if k in cfg]
    online = render_config(tmpl, base_model="", has_val=True, max_steps=None, save_steps=2, wandb=True, run_name="r1")
    assert online["base_model"] == "./base" and online["eval_steps"] == 50 and online["save_steps"] == 2
    assert (online["wandb_mode"], online["wandb_project"], online["wandb_name"]) == ("online", "predraft", "r1")
    gpu = render_config(template(PROFILES["gpu-qlora"]), base_model="", has_val=True, max_steps=50, save_steps=None,
                        wandb=False, run_name="r")
    assert gpu["max_steps"] == 50 and "num_epochs" not in gpu and gpu["base_model"] == "Qwen/Qwen2.5-7B-Instruct"


# What Axolotl 0.19 prints: tqdm bars (\r-separated) and metric dicts with numbers as strings.
LOG = (
    " 17%|█▋        | 1/6 [00:50<04:11, 50.23s/it]\r"
    "{'loss': '6.964', 'grad_norm': '24.64', 'learning_rate': '0.0005', 'tokens/trainable': 40, 'epoch': '0.0625'}\r"
    " 50%|█████     | 2/4 [00:09<00:09,  4.51s/it]\r"
    "{'eval_loss': '1.373', 'eval_runtime': '36.06', 'epoch': '0.1875'}\r"
    " 67%|██████▋   | 4/6 [02:17<01:11, 35.65s/it]"
)


def test_parse_output_reads_the_training_bar_and_metrics():
    events = [e for part in LOG.split("\r") for e in parse_output(part, total_steps=6)]
    assert events == [
        Progress(1, 6),
        Metrics({"loss": 6.964, "grad_norm": 24.64, "learning_rate": 0.0005, "tokens/trainable": 40.0, "epoch": 0.0625}),
        Metrics({"eval_loss": 1.373, "eval_runtime": 36.06, "epoch": 0.1875}),  # 2/4 is the eval bar: ignored
        Progress(4, 6),
    ]


def test_find_run_by_name_or_latest(tmp_path):
    with pytest.raises(TrainError, match="no training runs"):
        find_run(tmp_path, None)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Run(tmp_path / name).update(name=name, status="done")
    assert find_run(tmp_path, None).name == "b" and find_run(tmp_path, "a").name == "a"
    with pytest.raises(TrainError, match=r"no training run 'c' .*\(runs: a, b\)"):
        find_run(tmp_path, "c")
