"""The base model a profile trains on, prepared once and cached under <data dir>/models.

For the default model the Hugging Face weights are dequantized from the very GGUF that llama.cpp
serves: the LoRA then adapts the served weights, and its export records that GGUF's sha256.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from assistant.config import Settings
from training import hf_base
from training.profiles import Profile
from training.venv import run_script

GEMMA_DIR = "gemma3-270m-hf"
TINY_DIR = "tiny-llama"
_SHA_CACHE = "sha256-cache.json"


def base_gguf(settings: Settings) -> Path:
    """The GGUF that `predraft draft` serves: model.gguf_path, else the default model's."""
    if settings.model.gguf_path:
        return Path(settings.model.gguf_path).expanduser()
    from assistant.models.default_model import default_gguf_path

    return default_gguf_path()


def gguf_sha256(path: Path, cache_dir: Path) -> str:
    """sha256 of a model file, remembered by (path, size, mtime) so a 250 MB file is hashed once."""
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    cache_file = cache_dir / _SHA_CACHE
    try:
        cache = json.loads(cache_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        cache = {}
    if key not in cache:
        cache[key] = hf_base.file_sha256(path)
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache_file.write_text(json.dumps(cache, indent=1))
    return cache[key]


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
    if stamp is None or stamp.get("gguf_sha256") != gguf_sha256(gguf, settings.models_dir):
        on_line(f"building the training copy of {gguf.name} in {folder} (once, a few minutes)")
        run_script(venv, Path(hf_base.__file__), ["gemma", str(gguf), str(folder)], on_line)
    return str(folder)
