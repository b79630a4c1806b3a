"""A LoRA that records its base GGUF's sha256 loads only on that base; the base is hashed once per version."""

from __future__ import annotations

import hashlib
from pathlib import Path

import gguf
import numpy as np
import pytest

from assistant.models import sha256_cache
from assistant.models.base import ModelError
from assistant.models.gguf_header import read_header
from assistant.models.llama_cpp import LlamaCppBackend
from assistant.models.lora_check import BASE_SHA256_KEY, check_lora_base
from assistant.models.sha256_cache import CACHE_FILE, file_sha256


def write_gguf(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None,
               adapter: bool = False) -> Path:
    writer = gguf.GGUFWriter(path, "gemma3")
    if adapter:
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 8.0)
    for key, value in (metadata or {}).items():
        writer.add_string(key, value)
    for name, array in tensors.items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A one-tensor "model": blk.0.attn_q.weight, 8 in, 16 out."""
    return write_gguf(tmp_path / "fine-tune-b.gguf", {"blk.0.attn_q.weight": np.zeros((16, 8), dtype=np.float16)})


def lora_for(path: Path, recorded: dict[str, str]) -> Path:
    """A LoRA whose shapes fit `base` (numpy shapes are ggml's reversed)."""
    pair = {"blk.0.attn_q.weight.lora_a": np.zeros((4, 8), dtype=np.float32),
            "blk.0.attn_q.weight.lora_b": np.zeros((16, 4), dtype=np.float32)}
    return write_gguf(path, pair, recorded, adapter=True)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files actually read to hash them."""
    read: list[Path] = []
    real = sha256_cache._hash

    def counting(path: Path) -> str:
        read.append(path)
        return real(path)

    monkeypatch.setattr(sha256_cache, "_hash", counting)
    return read


def test_a_file_is_hashed_once_per_version(base: Path, tmp_path: Path, hashes: list[Path]):
    cache = tmp_path / "models"
    expected = hashlib.sha256(base.read_bytes()).hexdigest()
    assert file_sha256(base, cache) == file_sha256(base, cache) == expected
    assert hashes == [base] and (cache / CACHE_FILE).is_file()
    with base.open("ab") as fh:
        fh.write(b"\0")  # another version of the file: new size and mtime
    assert file_sha256(base, cache) == hashlib.sha256(base.read_bytes()).hexdigest() != expected
    assert file_sha256(base) == file_sha256(base, cache)  # without a cache folder: hashed every time
    assert len(hashes) == 3


def test_a_lora_trained_on_another_base_of_the_same_shapes_is_refused_at_load(base: Path, tmp_path: Path,
                                                                             hashes: list[Path]):
    other = lora_for(tmp_path / "adapter.gguf", {BASE_SHA256_KEY: "ab12" * 16})
    for _ in range(2):
        with pytest.raises(ModelError) as err:
            LlamaCppBackend(base, lora_path=other, sha256_cache_dir=tmp_path / "models")
    assert str(err.value) == (
        f"the LoRA {other} was trained on another base model: it records the sha256 ab12ab12ab12…, "
        f"fine-tune-b.gguf has {hashlib.sha256(base.read_bytes()).hexdigest()[:12]}…; set model.gguf_path "
        "to the GGUF it was trained on, or train and export the adapter again on this one"
    )
    assert hashes == [base]  # the second load found the base's hash in the cache


def test_a_lora_on_its_own_base_or_without_a_record_passes(base: Path, tmp_path: Path):
    own = read_header(lora_for(tmp_path / "own.gguf", {BASE_SHA256_KEY: file_sha256(base)}))
    check_lora_base(own, tmp_path / "own.gguf", base, lambda: file_sha256(base))

    def not_needed() -> str:
        raise AssertionError("an adapter without a record needs no hash of the base")

    older = read_header(lora_for(tmp_path / "older.gguf", {}))
    check_lora_base(older, tmp_path / "older.gguf", base, not_needed)
