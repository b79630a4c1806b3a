"""One real default model per test module, and small GGUF LoRA files written on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import gguf
import numpy as np
import pytest

from assistant.config import load_settings
from assistant.models import load_backend
from assistant.models.default_model import default_gguf_path
from assistant.models.llama_cpp import LlamaCppBackend
from assistant.models.lora_check import BASE_SHA256_KEY
from assistant.prompting import Line, build_prompt, header

@pytest.fixture(scope="session")
def default_gguf() -> Path:
    return default_gguf_path()


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppBackend]:
    settings = load_settings(tmp_path_factory.mktemp("predraft-data"))
    with load_backend(settings) as loaded:
        assert isinstance(loaded, LlamaCppBackend)
        yield loaded


@pytest.fixture
def thread_prompt() -> str:
    """A realistic thread of ~300 tokens ending with "Me:"."""
    lines = [
        Line("Maya", "hey! are you still up for saturday?"),
        Line("Me", "yes!! what time were you thinking"),
        Line("Maya", "maybe 7? Jonas is bringing his new speaker"),
        Line("Me", "7 works. should I bring anything"),
        Line("Maya", "chips and something to drink maybe"),
        Line("Me", "ok I'll grab some lemonade and those spicy chips you like"),
        Line("Maya", "perfect 😍"),
        Line("Maya", "oh and Lena might come too, she just got back from Lisbon"),
        Line("Me", "nice, haven't seen her in ages"),
        Line("Maya", "she has SO many stories, the hostel one is wild"),
        Line("Me", "haha I bet"),
        Line("Maya", "also can you pick up the folding table from your parents?"),
        Line("Me", "sure, I'll ask my dad tomorrow"),
        Line("Maya", "you're the best"),
        Line("Maya", "are you coming by bike or should I pick you up?"),
    ]
    return build_prompt(header("whatsapp", "Maya", date(2024, 6, 14)), lines)


@pytest.fixture
def write_lora(tmp_path: Path) -> Callable[..., Path]:
    """Write a GGUF LoRA adapting blk.0/1 attn_q of an (n_in x n_out) base matrix, as convert_lora_to_gguf does."""

    def write(name: str, n_in: int, n_out: int, rank: int = 4, arch: str = "gemma3",
              base_sha256: str | None = None) -> Path:
        path = tmp_path / name
        writer = gguf.GGUFWriter(path, arch)
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 2.0 * rank)
        if base_sha256 is not None:
            writer.add_string(BASE_SHA256_KEY, base_sha256)  # as `predraft export` records it
        rng = np.random.default_rng(5)
        for block in range(2):
            # numpy shapes are ggml's reversed: lora_a is ne (n_in, rank), lora_b is ne (rank, n_out)
            lora_a = rng.normal(0, 0.01, (rank, n_in)).astype(np.float32)
            lora_b = rng.normal(0, 0.01, (n_out, rank)).astype(np.float32)
            writer.add_tensor(f"blk.{block}.attn_q.weight.lora_a", lora_a)
            writer.add_tensor(f"blk.{block}.attn_q.weight.lora_b", lora_b)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path

    return write
