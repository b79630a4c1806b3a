"""Axolotl configs from the templates, run folders, and reading Axolotl's output."""

import os
import re

import pytest
import yaml

from assistant.config import configs_dir
from training.axolotl import (
    PLUGIN_MODULE, Metrics, Pace, Progress, Run, TrainError, cpu_has_bf16, find_run, parse_output, prepare_run,
    render_config, resumable_run, spread_over_time, template,
)
from training.dataset import build_dataset, dataset_dir, write_dataset
from training.profiles import PROFILES

BLOCKS = ["model", "datasets", "sequence / packing", "adapter", "logging", "batch / optimizer", "precision"]
CPU_KEYS = {"lora_mlp_kernel": False, "lora_qkv_kernel": False, "lora_o_kernel": False, "bf16": False, "fp16": False,
            "dataloader_num_workers": 0, "pad_to_sequence_len": False, "train_on_inputs": False,
            "plugins": [f"{PLUGIN_MODULE}.CpuTrainingPlugin"]}


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
        assert "plugins" not in cfg


def test_render_config_fills_in_the_run_and_keeps_the_template_order():
    tmpl = template(PROFILES["gemma3-270m-cpu"])
    assert (tmpl["eval_steps"], tmpl["save_steps"], tmpl["num_epochs"]) == (0.5, 0.1, 1)
    cfg = render_config(tmpl, base_model="/models/gemma3-270m-hf", has_val=False, max_steps=4, save_steps=None,
                        wandb=False, run_name="r1")
    assert cfg["base_model"] == "/models/gemma3-270m-hf" and cfg["bf16"] is False
    assert (cfg["max_steps"], cfg["save_steps"]) == (4, 0.1) and "num_epochs" not in cfg  # a share of the run
    assert "test_datasets" not in cfg and "eval_steps" not in cfg
    in_order = [key.replace("num_epochs", "max_steps") for key in tmpl]  # max_steps takes num_epochs' place
    assert list(cfg) == [k for k in in_order if k in cfg]
    online = render_config(tmpl, base_model="", has_val=True, max_steps=None, save_steps=2, wandb=True, run_name="r1",
                           bf16=True)
    assert online["base_model"] == "./base" and online["eval_steps"] == 0.5 and online["save_steps"] == 2
    assert (online["wandb_mode"], online["wandb_project"], online["wandb_name"]) == ("online", "predraft", "r1")
    assert online["bf16"] is True
    smoke = render_config(template(PROFILES["cpu-smoke"]), base_model="", has_val=True, max_steps=1, save_steps=None,
                          wandb=False, run_name="r")
    assert (smoke["eval_steps"], smoke["save_steps"]) == (1, 1)  # checkpoints and evals stay inside the run
    gpu = render_config(template(PROFILES["gpu-qlora"]), base_model="", has_val=True, max_steps=50, save_steps=None,
                        wandb=False, run_name="r")
    assert gpu["max_steps"] == 50 and "num_epochs" not in gpu and gpu["base_model"] == "Qwen/Qwen2.5-7B-Instruct"


def test_the_evaluation_sample_is_fixed_and_spread_over_the_validation_period():
    rows = [{"when": f"2024-01-{day:02d}T12:00:00+00:00", "day": day} for day in range(30, 0, -1)]  # newest first
    sample = spread_over_time(rows, 3)
    assert [r["day"] for r in sample] == [6, 16, 26]  # the middle of each third, in time order
    assert spread_over_time(rows, 3) == sample
    assert spread_over_time(rows, 30) is rows and spread_over_time(rows, None) is rows
    # Offsets count: 23:00 at -05:00 is later than 02:00 the next day at +00:00.
    mixed = [{"when": "2024-01-02T02:00:00+00:00"}, {"when": "2024-01-01T23:00:00-05:00"}, {"when": "2024-01-01T00:00:00+00:00"}]
    assert spread_over_time(mixed, 1) == [mixed[0]]


def test_bf16_only_where_the_cpu_computes_in_it(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n\nprocessor\t: 1\n")
    assert cpu_has_bf16(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f amx_tile amx_bf16\n")
    assert cpu_has_bf16(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512bw\n")
    assert not cpu_has_bf16(cpuinfo)
    assert not cpu_has_bf16(tmp_path / "missing")  # not Linux


def test_prepare_run_samples_the_validation_split_schedules_steps_and_ships_the_plugin(corpus, settings, tmp_path):
    dataset = dataset_dir(settings, "default")
    write_dataset(build_dataset(corpus, settings), dataset)
    run = prepare_run(tmp_path / "run", PROFILES["gemma3-270m-cpu"], dataset, "/models/gemma3-270m-hf")
    info = run.info()
    assert info["examples"] == {"train": 29, "val": 3, "evaluated": 3}
    assert info["max_steps"] == 20  # one pass is 15 steps of 2 examples: the profile's floor is 20
    assert info["precision"] in ("bf16", "fp32") and info["status"] == "prepared"
    cfg = yaml.safe_load(run.config.read_text())
    assert cfg["max_steps"] == 20 and "num_epochs" not in cfg and cfg["bf16"] is (info["precision"] == "bf16")
    plugin = (run.folder / f"{PLUGIN_MODULE}.py").read_text()
    assert "class CpuTrainingPlugin(BasePlugin)" in plugin
    assert len((run.folder / "data" / "val.io.jsonl").read_text().splitlines()) == 3
    gpu = prepare_run(tmp_path / "gpu", PROFILES["gpu-qlora"], dataset, "")
    assert not (gpu.folder / f"{PLUGIN_MODULE}.py").exists() and gpu.info()["precision"] is None
    assert "max_steps" not in yaml.safe_load(gpu.config.read_text())  # the template's num_epochs


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


def test_the_time_left_follows_the_steps_pace_not_the_pauses():
    now = [0.0]
    pace = Pace(clock=lambda: now[0])
    estimates = []
    # steps of 10 s, a 60 s evaluation before step 4, the bar redrawn at step 5 without progress
    for step, at in ((0, 0), (1, 10), (2, 20), (3, 30), (4, 100), (5, 110), (5, 115), (6, 120)):
        now[0] = at
        estimates.append(pace.remaining(step, 10))
    assert estimates == [None, 90.0, 80.0, 70.0, 60.0, 50.0, 50.0, 40.0]
    resumed = Pace(clock=lambda: now[0])
    for step, at in ((0, 0), (40, 12), (41, 22)):  # a resumed run: its bar jumps to the checkpoint's step
        now[0] = at
        last = resumed.remaining(step, 50)
    assert last == 90.0


def test_find_run_by_name_or_latest(tmp_path):
    with pytest.raises(TrainError, match="no training runs"):
        find_run(tmp_path, None)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Run(tmp_path / name).update(name=name, status="done")
    assert find_run(tmp_path, None).name == "b" and find_run(tmp_path, "a").name == "a"
    with pytest.raises(TrainError, match=r"no training run 'c' .*\(runs: a, b\)"):
        find_run(tmp_path, "c")


def test_resumable_run_is_the_newest_unfinished_one(tmp_path):
    with pytest.raises(TrainError, match="no unfinished training run"):
        resumable_run(tmp_path)
    for age, (name, status) in enumerate((("new", "done"), ("mid", "failed"), ("old", "interrupted"))):
        (tmp_path / name).mkdir()
        Run(tmp_path / name).update(name=name, status=status)
        os.utime(tmp_path / name / "run.json", (1_700_000_000 - age, 1_700_000_000 - age))
    assert resumable_run(tmp_path).name == "mid"
