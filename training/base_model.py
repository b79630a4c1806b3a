"""The base model a profile trains on, prepared once and cached under <data dir>/models.

For the default model the Hugging Face weights are dequantized from the very GGUF that llama.cpp
serves: the LoRA then adapts the served weights, and its export records that GGUF's sha256.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from assistant.config import Settings
from assistant.models.sha256_cache import file_sha256
from training import hf_base
from training.profiles import Profile
from training.venv import run_script

GEMMA_DIR = "gemma3-270m-hf"
TINY_DIR = "tiny-llama"


def base_gguf(settings: Settings) -> Path:
    """The GGUF that `predraft draft` serves: model.gguf_path, else the default model's."""
    if settings.model.gguf_path:
        return Path(settings.model.gguf_path).expanduser()
    from assistant.models.default_model import default_gguf_path

    return default_gguf_path()


def read_stamp(folder: Path) -> dict | None:
    try:
        return json.loads((folder / hf_base.STAMP).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def ensure_base(profile: Profile, settings: Settings, venv: Path, on_line: Callable[[str], None]) -> str:
    """A local folder (built if missing or stale) or, for GPU profiles, the template's hub id ("")."""
    if profile.base == "hub":
        return ""
    if profile.base == "tiny":
        folder = settings.models_dir / TINY_DIR
        if read_stamp(folder) is None:
            run_script(venv, Path(hf_base.__file__), ["tiny", str(folder)], on_line)
        return str(folder)
    gguf = base_gguf(settings)
    folder = settings.models_dir / GEMMA_DIR
    stamp = read_stamp(folder)
    sha256 = file_sha256(gguf, settings.models_dir)
    if stamp is None or stamp.get("gguf_sha256") != sha256:
        on_line(f"building the training copy of {gguf.name} in {folder} (once, a few minutes)")
        run_script(venv, Path(hf_base.__file__), ["gemma", str(gguf), sha256, str(folder)], on_line)
    return str(folder)
