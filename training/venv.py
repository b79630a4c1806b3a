"""The Axolotl virtual environment: found, or created on first use.

Axolotl pins exact versions (transformers, pydantic, zstandard...) that conflict with the runtime's
langgraph stack, so it lives in its own environment and predraft drives it as a subprocess.
Where it is, first match wins:

1. the PREDRAFT_AXOLOTL_VENV environment variable;
2. `.venv-axolotl` in the source checkout (what `scripts/setup.sh --training` creates);
3. `<data dir>/axolotl-venv`, created here on first use (`predraft train --setup-only`).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from assistant.errors import PredraftError
from assistant.offline import OFFLINE_ENV

VENV_ENV = "PREDRAFT_AXOLOTL_VENV"
REPO = Path(__file__).resolve().parent.parent
REQUIREMENTS = Path(__file__).resolve().parent / "requirements-axolotl.txt"
CONSTRAINTS = REPO / "constraints.txt"  # keeps torch on the CPU wheel; absent from a wheel install


class VenvError(PredraftError):
    """The Axolotl environment is missing or broken."""


def find_venv(data_dir: Path) -> Path:
    """Where the Axolotl environment is or will be (see the module docstring)."""
    if os.environ.get(VENV_ENV):
        return Path(os.environ[VENV_ENV]).expanduser()
    checkout = REPO / ".venv-axolotl"
    if checkout.is_dir():
        return checkout
    return data_dir / "axolotl-venv"


def is_ready(venv: Path) -> bool:
    return (venv / "bin" / "axolotl").is_file() and (venv / "bin" / "python").is_file()


def python(venv: Path) -> Path:
    return venv / "bin" / "python"


def create_venv(venv: Path, on_line: Callable[[str], None]) -> None:
    """Create the environment and install Axolotl into it (~4 GB, a few minutes), streaming pip's output."""
    if not (venv / "bin" / "python").is_file():
        on_line(f"creating {venv}")
        _stream([sys.executable, "-m", "venv", str(venv)], on_line, os.environ)
    pip = [str(python(venv)), "-m", "pip", "install", "--disable-pip-version-check"]
    constraints = ["-c", str(CONSTRAINTS)] if CONSTRAINTS.is_file() else []
    on_line("installing Axolotl (about 4 GB; pip resolves for ~3 minutes)")
    _stream([*pip, *constraints, "-r", str(REQUIREMENTS)], on_line, os.environ)
    if not is_ready(venv):
        raise VenvError(f"pip finished but {venv}/bin/axolotl is missing: remove {venv} and run `predraft train --setup-only`")


def ensure_venv(data_dir: Path, on_line: Callable[[str], None]) -> Path:
    venv = find_venv(data_dir)
    if not is_ready(venv):
        if os.environ.get(VENV_ENV):
            raise VenvError(f"{VENV_ENV}={venv} has no Axolotl (no bin/axolotl): install it there with "
                            f"`{venv}/bin/pip install -r {REQUIREMENTS}`, or unset {VENV_ENV}")
        create_venv(venv, on_line)
    return venv


def training_threads(setting: int) -> int:
    """Threads per PyTorch op: `setting`, or for 0 the cores idle now (cores less the load average, at least 1).

    More threads than idle cores is the slowest choice: each op waits for its last thread, and on
    2 cores shared with other jobs 2 threads made training steps 4x slower than 1 (docs/training.md).
    """
    if setting > 0:
        return setting
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, math.floor(cores - os.getloadavg()[0] + 0.5)))


def training_env(venv: Path, *, wandb: bool = False, omp_threads: int = 1) -> dict[str, str]:
    """The environment for Axolotl: its venv first on PATH (it calls `accelerate`), offline, no telemetry.

    `accelerate launch` passes OMP_NUM_THREADS on to the training process (1 when it is unset).
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(OFFLINE_ENV)
    env.update({
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "OMP_NUM_THREADS": str(omp_threads),
        "PYTHONUNBUFFERED": "1",
    })
    if wandb:
        env.pop("WANDB_MODE", None)
    return env


def _stream(cmd: list[str], on_line: Callable[[str], None], env: Mapping[str, str]) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(env))
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line:
            on_line(line)
            tail = [*tail[-19:], line]
    if proc.wait() != 0:
        raise VenvError(f"`{' '.join(cmd[:4])} ...` failed (exit {proc.returncode}):\n" + "\n".join(tail))


def run_script(venv: Path, script: Path, args: list[str], on_line: Callable[[str], None]) -> None:
    """Run one of predraft's own scripts (training/hf_base.py) with the Axolotl environment's Python.

    `-P` keeps the script's folder off sys.path: training/axolotl.py must not shadow the axolotl package.
    """
    _stream([str(python(venv)), "-P", str(script), *args], on_line, training_env(venv))
