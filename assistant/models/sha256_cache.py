"""The sha256 of a model file, remembered by (path, size, mtime) in <cache dir>/sha256-cache.json.

A LoRA records the sha256 of the base GGUF it was trained on, and training and loading compare it
with the base in use: hashing a 253 MB file takes about half a second (a 7B model's, several), so
each version of a file is hashed once.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from assistant.files import write_atomic

CACHE_FILE = "sha256-cache.json"


def file_sha256(path: Path, cache_dir: Path | None = None) -> str:
    """sha256 of `path`; with `cache_dir` (settings.models_dir), looked up there first and remembered."""
    if cache_dir is None:
        return _hash(path)
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    cache_file = cache_dir / CACHE_FILE
    try:
        cache = json.loads(cache_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        cache = {}
    if key not in cache:
        cache[key] = _hash(path)
        write_atomic(cache_file, json.dumps(cache, indent=1))
    return cache[key]


def _hash(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
