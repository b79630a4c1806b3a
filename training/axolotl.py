"""`predraft train`: a run folder with an Axolotl config and data, and Axolotl run in it as a subprocess.

A run folder (<data dir>/runs/<name>) is self-contained and relocatable:

    run.json        profile, dataset and its sources (the threads, who was excluded), base model (and the sha256
                    of the GGUF it came from), status, metrics
    axolotl.yaml    the profile's template with this run's values; paths are relative to the folder
    data/           train.io.jsonl, val.io.jsonl rendered with the profile's BOS/EOS
    predraft_plugin.py  CPU profiles: predraft's Axolotl plugin (training/axolotl_plugin.py)
    output/         Axolotl's output_dir: checkpoint-N/ while training, the LoRA adapter at the end
    train.log       everything Axolotl printed

Axolotl runs with the folder as its working directory. Rerunning an interrupted run continues
from its last checkpoint (`auto_resume_from_checkpoints` in every template).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import yaml

from assistant.config import configs_dir
from assistant.errors import PredraftError
from assistant.files import write_atomic
from training.dataset import approx_tokens, dataset_sources, load_examples
from training.profiles import Profile
from training.records import io_record, write_jsonl
from training.venv import training_env

RUN_FILE = "run.json"
CONFIG_FILE = "axolotl.yaml"
LOG_FILE = "train.log"
ADAPTER_FILE = "adapter_model.safetensors"
PLUGIN_MODULE = "predraft_plugin"  # the name the CPU templates give PLUGIN_SOURCE under `plugins:`
PLUGIN_SOURCE = Path(__file__).with_name("axolotl_plugin.py")  # imports axolotl: never imported here


class TrainError(PredraftError):
    """Training could not start or Axolotl failed; the message names the log to read."""


# ---- the run folder ------------------------------------------------------------------------


@dataclass
class Run:
    folder: Path

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def config(self) -> Path:
        return self.folder / CONFIG_FILE

    @property
    def output(self) -> Path:
        return self.folder / "output"

    @property
    def log(self) -> Path:
        return self.folder / LOG_FILE

    @property
    def adapter(self) -> Path:
        return self.output / ADAPTER_FILE

    def info(self) -> dict:
        try:
            return json.loads((self.folder / RUN_FILE).read_text())
        except FileNotFoundError as exc:
            raise TrainError(f"{self.folder} is not a training run (no {RUN_FILE})") from exc

    def update(self, **values) -> dict:
        info = {**self.info(), **values} if (self.folder / RUN_FILE).is_file() else values
        write_atomic(self.folder / RUN_FILE, json.dumps(info, indent=2, default=str))
        return info

    def checkpoints(self, complete: bool = True) -> list[Path]:
        """Checkpoint folders by step. The trainer writes trainer_state.json last: without it, a save was cut short."""
        found = [p for p in self.output.glob("checkpoint-*") if p.name.rsplit("-", 1)[-1].isdigit()
                 and (p / "trainer_state.json").is_file() == complete]
        return sorted(found, key=lambda p: int(p.name.rsplit("-", 1)[-1]))


def find_run(runs_dir: Path, name: str | None) -> Run:
    """A run by name, or the newest one."""
    if name:
        run = Run(runs_dir / name)
        if not (run.folder / RUN_FILE).is_file():
            known = ", ".join(sorted(p.name for p in runs_dir.glob("*") if (p / RUN_FILE).is_file())) or "none yet"
            raise TrainError(f"no training run {name!r} in {runs_dir} (runs: {known})")
        return run
    runs = _oldest_first(runs_dir)
    if not runs:
        raise TrainError(f"no training runs in {runs_dir}: run `predraft train` first")
    return runs[-1]


def resumable_run(runs_dir: Path) -> Run:
    """The newest run that has not finished, for `predraft train --resume`."""
    for run in reversed(_oldest_first(runs_dir)):
        if run.info().get("status") != "done":
            return run
    raise TrainError(f"no unfinished training run in {runs_dir} to resume: start one with `predraft train`")


def _oldest_first(runs_dir: Path) -> list[Run]:
    """The runs in `runs_dir` by when their run.json last changed."""
    folders = (p for p in runs_dir.glob("*") if (p / RUN_FILE).is_file())
    return [Run(p) for p in sorted(folders, key=lambda p: (p / RUN_FILE).stat().st_mtime)]


def template(profile: Profile) -> dict:
    return yaml.safe_load((configs_dir() / "axolotl" / profile.template).read_text())


def render_config(
    tmpl: dict, *, base_model: str, has_val: bool, max_steps: int | None, save_steps: int | None,
    wandb: bool, run_name: str, bf16: bool = False,
) -> dict:
    """The template with this run's values, keys in the template's order."""
    cfg = dict(tmpl)
    if base_model:
        cfg["base_model"] = base_model
    if not has_val:  # nothing to evaluate on: Axolotl would fail on an empty test file
        cfg.pop("test_datasets", None)
        cfg.pop("eval_steps", None)
    if max_steps:  # in num_epochs' place: the run's YAML reads like its template
        cfg = {("max_steps" if key == "num_epochs" else key): value for key, value in cfg.items()}
        cfg["max_steps"] = max_steps
    if save_steps:
        cfg["save_steps"] = save_steps
    if cfg.get("max_steps"):  # keep checkpoints and evals inside the run
        for key in ("save_steps", "eval_steps"):
            if cfg.get(key, 0) >= 1:  # below 1 it is a share of max_steps already
                cfg[key] = min(cfg[key], cfg["max_steps"])
    if bf16:
        cfg["bf16"] = True
    if wandb:
        cfg.update(wandb_mode="online", wandb_project="predraft", wandb_name=run_name)
    return cfg


def spread_over_time(rows: list[dict], limit: int | None) -> list[dict]:
    """`limit` rows taken at even intervals of their time order (the middle of each interval): a fixed
    sample that covers the whole validation period. All rows when there are no more than `limit`."""
    if limit is None or len(rows) <= limit:
        return rows
    ordered = sorted(rows, key=lambda r: datetime.fromisoformat(r["when"]))
    return [ordered[(2 * i + 1) * len(ordered) // (2 * limit)] for i in range(limit)]


def training_steps(profile: Profile, tmpl: dict, train: list[dict]) -> int | None:
    """The profile's schedule applied to this dataset; None leaves the template's own."""
    if profile.schedule is None or not train:
        return None
    batch = tmpl["micro_batch_size"] * tmpl.get("gradient_accumulation_steps", 1)
    tokens = sum(approx_tokens(r["prompt"]) + approx_tokens(r["target"]) for r in train) / len(train)
    return profile.schedule.steps(len(train), tokens, batch)


def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU computes in bfloat16 natively (AVX512-BF16 or AMX): there bf16 training runs about
    twice as fast as fp32; elsewhere it is emulated and slower, so CPU runs stay in fp32."""
    try:
        flags = set(re.findall(r"^flags\s*:(.*)$", cpuinfo.read_text(), re.MULTILINE)[0].split())
    except (OSError, IndexError):
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def prepare_run(
    folder: Path, profile: Profile, dataset_folder: Path, base_model: str, *, base_gguf: str = "",
    base_gguf_sha256: str = "", max_steps: int | None = None, save_steps: int | None = None, wandb: bool = False,
) -> Run:
    """Write the run folder: data rendered for the profile's tokenizer, the config, run.json."""
    run = Run(folder)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    train = load_examples(dataset_folder, "train")
    val = load_examples(dataset_folder, "validation")
    evaluated = spread_over_time(val, profile.eval_examples)
    write_jsonl(data / "train.io.jsonl", (io_record(r["prompt"], r["target"], profile.tokens) for r in train))
    write_jsonl(data / "val.io.jsonl", (io_record(r["prompt"], r["target"], profile.tokens) for r in evaluated))
    tmpl = template(profile)
    bf16 = profile.on_cpu and cpu_has_bf16()
    steps = max_steps or training_steps(profile, tmpl, train)
    cfg = render_config(tmpl, base_model=base_model, has_val=bool(val), max_steps=steps, save_steps=save_steps,
                        wandb=wandb, run_name=run.name, bf16=bf16)
    if "deepspeed" in cfg:  # ship the DeepSpeed JSON with the run, at the same relative path
        target = folder / cfg["deepspeed"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(configs_dir() / "axolotl" / cfg["deepspeed"], target)
    if any(name.split(".")[0] == PLUGIN_MODULE for name in cfg.get("plugins", [])):
        shutil.copy(PLUGIN_SOURCE, folder / f"{PLUGIN_MODULE}.py")
    header = (f"# predraft run {run.name}: profile {profile.name}, from configs/axolotl/{profile.template}.\n"
              f"# Run it from this folder: axolotl train {CONFIG_FILE}\n")
    run.config.write_text(header + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    run.update(
        name=run.name, profile=profile.name, template=profile.template, dataset=str(dataset_folder),
        sources=dataset_sources(dataset_folder),  # its own copy: a later `dataset build` replaces the folder
        examples={"train": len(train), "val": len(val), "evaluated": len(evaluated)}, base_model=cfg["base_model"],
        base_gguf=base_gguf, base_gguf_sha256=base_gguf_sha256, max_steps=cfg.get("max_steps"),
        precision=("bf16" if bf16 else "fp32") if profile.on_cpu else None, status="prepared",
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return run


def new_run_name(profile: Profile) -> str:
    return f"{profile.name}-{datetime.now():%Y%m%d-%H%M%S}"


# ---- reading Axolotl's output ----------------------------------------------------------------

_BAR = re.compile(r"(\d+)/(\d+) \[")
_METRICS = re.compile(r"\{'(?:loss|eval_loss|train_runtime)'[^{}]*\}")


@dataclass(frozen=True)
class Progress:
    step: int
    total: int
    remaining: float | None = None  # seconds, from the pace of the latest steps (see Pace)


@dataclass
class Metrics:
    values: dict[str, float] = field(default_factory=dict)


def parse_output(text: str, total_steps: int | None) -> Iterator[Progress | Metrics]:
    """Training progress and logged metrics in a piece of Axolotl's output.

    Only the progress bar whose total is the run's max_steps is the training bar; the others
    (tokenizing, evaluation) count something else.
    """
    for match in _METRICS.finditer(text):
        raw = ast.literal_eval(match.group(0))
        yield Metrics({k: float(v) for k, v in raw.items() if _is_number(v)})
    if total_steps:
        steps = [int(m.group(1)) for m in _BAR.finditer(text) if int(m.group(2)) == total_steps]
        if steps:
            yield Progress(max(steps), total_steps)


@dataclass
class Pace:
    """Time left in a run: the steps to go times the median duration of the last 10 steps.

    The median leaves out the pauses for an evaluation or a checkpoint, which would otherwise double
    the estimate for a while after each. Only step-to-next-step intervals count: a resumed run's
    bar jumps from 0 to the checkpoint's step at once.
    """

    clock: Callable[[], float] = time.monotonic
    _last: tuple[int, float] | None = field(default=None, init=False)  # (step, when it was seen)
    _durations: deque[float] = field(default_factory=lambda: deque(maxlen=10), init=False)

    def remaining(self, step: int, total: int) -> float | None:
        now = self.clock()
        if self._last is not None and step == self._last[0] + 1:
            self._durations.append(now - self._last[1])
        if self._last is None or step != self._last[0]:
            self._last = (step, now)
        return (total - step) * statistics.median(self._durations) if self._durations else None


def _is_number(value: object) -> bool:
    try:
        float(value)  # Axolotl logs numbers as strings: {'loss': '1.96'}
    except (TypeError, ValueError):
        return False
    return True


# ---- running Axolotl -------------------------------------------------------------------------


def run_axolotl(
    run: Run, venv: Path, on_event: Callable[[Progress | Metrics | str], None], *,
    wandb: bool = False, omp_threads: int = 1,
) -> dict:
    """`axolotl train axolotl.yaml` in the run folder; streams events, returns the final metrics.

    Ctrl-C (or SIGTERM) stops Axolotl's whole process group and leaves the checkpoints for a rerun.
    """
    info = run.info()
    _check_startable(run, info)
    for broken in run.checkpoints(complete=False):  # a crash mid-save; Axolotl would resume from it and fail
        on_event(f"removing the incomplete {broken.name}")
        shutil.rmtree(broken)
    if run.checkpoints():
        on_event(f"resuming from {run.checkpoints()[-1].name}")
    eval_losses: list[float] = [*info.get("eval_losses", [])]
    with run.log.open("ab") as log, _sigterm_as_interrupt():
        proc = subprocess.Popen(
            [str(venv / "bin" / "axolotl"), "train", CONFIG_FILE], cwd=run.folder, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=training_env(venv, wandb=wandb, omp_threads=omp_threads),
            start_new_session=True,  # its own process group: stopping it reaches accelerate's children too
        )
        run.update(status="running", pid=proc.pid, threads=omp_threads,
                   started=datetime.now(UTC).isoformat(timespec="seconds"))
        try:
            metrics = _follow(proc, log, info.get("max_steps"), on_event, eval_losses)
        except KeyboardInterrupt:
            _stop(proc)
            run.update(status="interrupted", eval_losses=eval_losses)
            raise
    if proc.returncode != 0:
        run.update(status="failed", exit_code=proc.returncode)
        raise TrainError(f"Axolotl failed (exit {proc.returncode}); the end of {run.log}:\n{_tail(run.log)}")
    if not run.adapter.is_file():
        run.update(status="failed")
        raise TrainError(f"Axolotl finished without writing {run.adapter}; see {run.log}")
    final = {k: v for k, v in metrics.items() if k in ("loss", "eval_loss", "train_loss", "train_runtime")}
    run.update(status="done", finished=datetime.now(UTC).isoformat(timespec="seconds"), metrics=final,
               eval_losses=eval_losses)
    return final


def _check_startable(run: Run, info: dict) -> None:
    if info.get("status") == "done":
        raise TrainError(f"run {run.name} already finished; choose a new name with --run, or export it")
    pid = info.get("pid")
    if info.get("status") == "running" and pid and _is_axolotl(pid):
        raise TrainError(f"run {run.name} is still training (Axolotl, process {pid}); wait for it, or stop it "
                         f"with `kill -INT -{pid}` and rerun to resume")


def _is_axolotl(pid: int) -> bool:
    try:
        return "axolotl" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _follow(proc: subprocess.Popen, log, total: int | None, on_event, eval_losses: list[float]) -> dict[str, float]:
    """Copy Axolotl's output to the log while turning it into events; returns the last metrics seen."""
    metrics: dict[str, float] = {}
    pace = Pace()
    pending = ""
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read1(65536), b""):
        log.write(chunk)
        log.flush()
        pending += chunk.decode("utf-8", "replace")
        *lines, pending = re.split(r"[\r\n]", pending)  # tqdm redraws with \r
        for line in lines:
            for event in parse_output(line, total):
                if isinstance(event, Progress):
                    event = replace(event, remaining=pace.remaining(event.step, event.total))
                if isinstance(event, Metrics):
                    metrics.update(event.values)
                    if "eval_loss" in event.values:
                        eval_losses.append(event.values["eval_loss"])
                on_event(event)
            if "[INFO]" in line:
                on_event(line.split("] ", 3)[-1].strip())
    proc.wait()
    return metrics


@contextmanager
def _sigterm_as_interrupt():
    """A `kill` of predraft stops training like Ctrl-C does, instead of orphaning Axolotl."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 25) -> str:
    text = path.read_bytes()[-20000:].decode("utf-8", "replace")
    kept = [line for line in re.split(r"[\r\n]", text) if line.strip()]
    return "\n".join(kept[-lines:])
