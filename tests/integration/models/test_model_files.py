"""Damaged model files and LoRA adapters become clear ModelErrors before llama.cpp sees them.

llama.cpp itself crashes the process (SIGSEGV) at the first decode after a mismatched LoRA, so
these checks are what keeps a wrong `--lora` from taking the review UI down.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.models import GenerationOptions, ModelError, load_backend
from assistant.models.llama_cpp import LlamaCppBackend
from assistant.models.sha256_cache import CACHE_FILE, file_sha256


def test_a_truncated_copy_of_the_model_is_reported_with_both_sizes(default_gguf: Path, tmp_path: Path):
    cut = tmp_path / "gemma.gguf"
    with default_gguf.open("rb") as src:
        cut.write_bytes(src.read(20_000_000))  # past the header, inside the tensor data
    with pytest.raises(ModelError) as err:
        LlamaCppBackend(cut)
    assert str(err.value) == (
        f"the model file {cut} is truncated: it has 20,000,000 bytes but its header describes "
        f"{default_gguf.stat().st_size:,}. Copy or export it again."
    )


def test_a_lora_for_another_base_is_refused_before_loading(default_gguf: Path, write_lora: Callable[..., Path]):
    wrong = write_lora("gemma-1b-adapter.gguf", n_in=1152, n_out=1024)
    with pytest.raises(ModelError) as err:
        LlamaCppBackend(default_gguf, lora_path=wrong)
    assert str(err.value).startswith(
        f"the LoRA {wrong} was trained for another base model: its blk.0.attn_q.weight adapts a 1152x1024 matrix, "
        "but gemma-3-270m-q4_k_m.gguf has 640x1024"
    )
    llama = write_lora("llama-adapter.gguf", n_in=640, n_out=1024, arch="llama")
    with pytest.raises(ModelError, match="it is for a 'llama' model, gemma-3-270m-q4_k_m.gguf is 'gemma3'"):
        LlamaCppBackend(default_gguf, lora_path=llama)
    with pytest.raises(ModelError, match="is not a LoRA adapter"):
        LlamaCppBackend(default_gguf, lora_path=default_gguf)


@pytest.mark.slow
def test_a_matching_lora_is_applied_and_named_in_the_adapter_id(default_gguf: Path, write_lora: Callable[..., Path]):
    adapter = write_lora("adapter.gguf", n_in=640, n_out=1024)
    with LlamaCppBackend(default_gguf, lora_path=adapter) as tuned:
        assert tuned.adapter_id.startswith("adapter.gguf@") and len(tuned.adapter_id) == len("adapter.gguf@") + 8
        reply = tuned.complete("Friend: are you coming tonight?\nMe:", GenerationOptions(max_tokens=8, stop=("\n",)))
        assert reply.strip()


@pytest.mark.slow
def test_a_lora_that_records_its_base_loads_on_that_base_only(default_gguf: Path, write_lora: Callable[..., Path],
                                                              data_dir: Path):
    settings = load_settings(data_dir)
    own = write_lora("own.gguf", n_in=640, n_out=1024, base_sha256=file_sha256(default_gguf))
    with load_backend(settings, lora_path=str(own)) as tuned:
        assert tuned.adapter_id.startswith("own.gguf@")
    assert (settings.models_dir / CACHE_FILE).is_file()  # the base is hashed once, not at every load
    other = write_lora("other-fine-tune.gguf", n_in=640, n_out=1024, base_sha256="0" * 64)
    with pytest.raises(ModelError, match="trained on another base model: it records the sha256 000000000000…"):
        load_backend(settings, lora_path=str(other))
