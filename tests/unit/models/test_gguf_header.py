"""The GGUF header reader and the LoRA/base compatibility check, on small files and headers made here."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest

from assistant.models.base import ModelError
from assistant.models.gguf_header import GGUFHeader, NotGGUF, read_header
from assistant.models.lora_check import check_lora_matches


def write_tiny_model(path: Path) -> Path:
    """A two-tensor 'model' with a string-array vocabulary, the part a real model's header is slow at."""
    writer = gguf.GGUFWriter(path, "gemma3")
    writer.add_name("Tiny test model")
    writer.add_context_length(128)
    writer.add_token_list(["<pad>", "<bos>", "hello", "world", "▁Me", ":"])
    writer.add_token_scores([0.0, 0.0, -1.0, -2.0, -3.0, -4.0])
    writer.add_tensor("token_embd.weight", np.zeros((6, 8), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((16, 8), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_reads_metadata_and_tensor_shapes_in_ggml_order(tmp_path: Path):
    path = write_tiny_model(tmp_path / "tiny.gguf")
    header = read_header(path)
    assert header.metadata["general.architecture"] == "gemma3"
    assert header.metadata["general.name"] == "Tiny test model"
    assert header.metadata["gemma3.context_length"] == 128
    assert "tokenizer.ggml.tokens" not in header.metadata  # arrays are skipped, not parsed
    assert header.tensor_shapes == {"token_embd.weight": (8, 6), "blk.0.attn_q.weight": (8, 16)}
    assert header.data_size == header.file_size == path.stat().st_size
    assert not header.truncated


def test_a_file_cut_inside_tensor_data_reads_as_truncated(tmp_path: Path):
    whole = write_tiny_model(tmp_path / "tiny.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole[:-100])
    header = read_header(cut)
    assert header.truncated
    assert header.data_size - header.file_size == 100


def test_a_file_cut_inside_the_header_is_not_gguf(tmp_path: Path):
    whole = write_tiny_model(tmp_path / "tiny.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole[:60])
    with pytest.raises(NotGGUF, match="the header ends early, the file is truncated"):
        read_header(cut)


def test_other_files_are_not_gguf(tmp_path: Path):
    junk = tmp_path / "model.gguf"
    junk.write_text("<html>404 Not Found</html>" * 4)
    with pytest.raises(NotGGUF, match=r"not a GGUF file \(it starts with b'<htm'"):
        read_header(junk)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(NotGGUF, match="0 bytes, less than a GGUF header"):
        read_header(empty)


BASE = GGUFHeader(
    metadata={"general.architecture": "gemma3", "general.type": "model"},
    tensor_shapes={
        "token_embd.weight": (640, 262144),
        "blk.0.attn_q.weight": (640, 1024),
        "blk.0.attn_output.weight": (1024, 640),
    },
    data_size=1,
    file_size=1,
)


def lora(shapes: dict[str, tuple[int, ...]], arch: str = "gemma3", kind: str = "adapter") -> GGUFHeader:
    meta = {"general.architecture": arch, "general.type": kind, "adapter.type": "lora"}
    return GGUFHeader(metadata=meta, tensor_shapes=shapes, data_size=1, file_size=1)


def check(adapter: GGUFHeader) -> None:
    check_lora_matches(BASE, adapter, Path("/runs/7/adapter.gguf"), Path("/models/gemma-3-270m.gguf"))


def test_a_lora_made_for_this_base_passes():
    check(lora({
        "blk.0.attn_q.weight.lora_a": (640, 8), "blk.0.attn_q.weight.lora_b": (8, 1024),
        "blk.0.attn_output.weight.lora_a": (1024, 8), "blk.0.attn_output.weight.lora_b": (8, 640),
        # token_embd's pair is stored flipped
        "token_embd.weight.lora_a": (8, 262144), "token_embd.weight.lora_b": (8, 640),
    }))


def test_a_lora_for_a_wider_model_names_the_tensor_and_both_shapes():
    with pytest.raises(ModelError) as err:
        check(lora({"blk.0.attn_q.weight.lora_a": (1152, 8), "blk.0.attn_q.weight.lora_b": (8, 1024)}))
    assert str(err.value) == (
        "the LoRA /runs/7/adapter.gguf was trained for another base model: its blk.0.attn_q.weight adapts a "
        "1152x1024 matrix, but gemma-3-270m.gguf has 640x1024; train or convert the adapter against "
        "gemma-3-270m.gguf, or set model.gguf_path to its own base model"
    )


def test_a_lora_for_another_architecture_or_a_deeper_model_is_refused():
    with pytest.raises(ModelError, match="it is for a 'llama' model, gemma-3-270m.gguf is 'gemma3'"):
        check(lora({"blk.0.attn_q.weight.lora_a": (640, 8), "blk.0.attn_q.weight.lora_b": (8, 1024)}, arch="llama"))
    with pytest.raises(ModelError, match="gemma-3-270m.gguf has no tensor blk.30.attn_q.weight"):
        check(lora({"blk.30.attn_q.weight.lora_a": (640, 8), "blk.30.attn_q.weight.lora_b": (8, 1024)}))


def test_a_full_model_or_a_broken_adapter_is_refused():
    with pytest.raises(ModelError, match=r"is not a LoRA adapter \(general.type='model'\)"):
        check(lora({}, kind="model"))
    with pytest.raises(ModelError, match="holds no LoRA tensors"):
        check(lora({"output_norm.weight": (640,)}))
    with pytest.raises(ModelError, match="blk.0.attn_q.weight.lora_a has no lora_b of the same rank"):
        check(lora({"blk.0.attn_q.weight.lora_a": (640, 8), "blk.0.attn_q.weight.lora_b": (16, 1024)}))
