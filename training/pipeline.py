"""The training commands as library calls: train, export, evaluate. The CLI only parses flags and shows progress."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.models.sha256_cache import file_sha256
from training import check_config
from training.axolotl import Metrics, Progress, Run, TrainError, find_run, new_run_name, prepare_run, run_axolotl
from training.base_model import base_gguf, ensure_base
from training.dataset import dataset_dir
from training.export import Export, activate, check_export, export_run
from training.profiles import PROFILES, Profile
from training.venv import ensure_venv, find_venv, is_ready, run_script, training_threads

if TYPE_CHECKING:
    from training.evaluate import ProductDrafts

OnLine = Callable[[str], None]


def profile_named(name: str) -> Profile:
    if name not in PROFILES:
        raise TrainError(f"no training profile {name!r}; profiles: {', '.join(PROFILES)}")
    return PROFILES[name]


@dataclass(frozen=True)
class TrainRequest:
    profile: str
    dataset: str
    steps: int | None = None  # None: the profile's schedule for the dataset, else the template's own
    save_steps: int | None = None
    wandb: bool = False
    run_name: str | None = None  # an existing, unfinished run is resumed
    config_only: bool = False  # write the run folder, do not train (GPU profiles on a CPU machine)


@dataclass(frozen=True)
class TrainOutcome:
    run: Run
    metrics: dict | None  # None when only the config was written
    resumed: bool
    validated: dict | None = None  # --config-only: key settings after Axolotl's validation


def setup(settings: Settings, on_line: OnLine) -> Path:
    """The Axolotl environment, created if needed."""
    return ensure_venv(settings.data_dir, on_line)


def train(settings: Settings, req: TrainRequest, on_line: OnLine,
          on_event: Callable[[Progress | Metrics | str], None]) -> TrainOutcome:
    folder = settings.runs_dir / (req.run_name or new_run_name(profile_named(req.profile)))
    resumed = (folder / "run.json").is_file()
    run = find_run(settings.runs_dir, folder.name) if resumed else None
    profile = profile_named(run.info()["profile"] if run else req.profile)
    if not profile.on_cpu and not req.config_only:
        raise TrainError(f"profile {profile.name} needs CUDA GPUs ({profile.summary}); write its run folder "
                         f"with `predraft train --profile {profile.name} --config-only` and run it on a GPU machine")
    if run is None:
        dataset = dataset_dir(settings, req.dataset)
        if not (dataset / "hf").is_dir():
            raise TrainError(f"no dataset {req.dataset!r} in {dataset.parent}: run `predraft dataset build` first")
        venv = setup(settings, on_line) if profile.base != "hub" else None
        base = ensure_base(profile, settings, venv, on_line) if venv else ""
        gguf = base_gguf(settings) if profile.base == "gemma" else None
        run = prepare_run(
            folder, profile, dataset, base, base_gguf=str(gguf or ""),
            base_gguf_sha256=file_sha256(gguf, settings.models_dir) if gguf else "",
            max_steps=req.steps, save_steps=req.save_steps, wandb=req.wandb,
        )
    if req.config_only:
        return TrainOutcome(run, None, resumed, validate(run, profile, settings, on_line))
    threads = training_threads(settings.train.omp_threads)
    on_line(f"starting Axolotl on {threads} thread{'s' * (threads > 1)}, {run.info().get('precision') or 'fp32'}")
    metrics = run_axolotl(run, setup(settings, on_line), on_event, wandb=req.wandb, omp_threads=threads)
    return TrainOutcome(run, metrics, resumed)


def validate(run: Run, profile: Profile, settings: Settings, on_line: OnLine) -> dict | None:
    """Axolotl's own validation of the run's YAML for a GPU machine; None when Axolotl is not installed here."""
    venv = find_venv(settings.data_dir)
    if not is_ready(venv):
        return None
    lines: list[str] = []
    run_script(venv, Path(check_config.__file__), [str(run.config), "--gpus", str(profile.gpus)], lines.append)
    return json.loads(lines[-1])


def export(settings: Settings, run_name: str | None, merged: bool, make_active: bool) -> tuple[Export, Path | None]:
    """The run's GGUF LoRA (and merged GGUF); optionally made the one `predraft draft` uses."""
    run = find_run(settings.runs_dir, run_name)
    if run.info().get("status") != "done":
        raise TrainError(f"run {run.name} has not finished training (status: {run.info().get('status')}); "
                         f"finish it with `predraft train --run {run.name}`")
    gguf = base_gguf(settings)
    if not run.info().get("base_gguf_sha256"):
        raise TrainError(f"run {run.name} (profile {run.info()['profile']}) did not train on a GGUF model, so it "
                         "has no llama.cpp export; only gemma3-270m-cpu runs export")
    result = export_run(run, gguf, file_sha256(gguf, settings.models_dir), merged=merged)
    config = activate(result.lora, settings.data_dir) if make_active else None
    return result, config


def evaluate(settings: Settings, run_name: str | None, limit: int, candidates: int, on_step: OnLine,
             product: ProductDrafts):
    """`predraft eval`; `product` drafts as the graph would with the run's LoRA (the CLI passes it in)."""
    from training.evaluate import evaluate_run

    run = find_run(settings.runs_dir, run_name)
    lora = Path(run.info().get("export", {}).get("lora") or "")
    if not lora.is_file():
        lora = export(settings, run.name, merged=False, make_active=False)[0].lora
    gguf = base_gguf(settings)
    check_export(lora, gguf, settings.models_dir)
    return evaluate_run(run, settings, gguf, lora, limit=limit, product=product, candidates=candidates,
                        on_step=on_step)
