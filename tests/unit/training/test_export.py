"""PEFT adapter -> GGUF LoRA under llama.cpp's tensor names, checked against the real default model's shapes."""

import tomllib

import numpy as np
import pytest

from assistant.models.base import ModelError
from assistant.models.default_model import default_gguf_path
from assistant.models.gguf_header import read_header
from assistant.models.lora_check import BASE_SHA256_KEY, check_lora_matches
from assistant.models.sha256_cache import file_sha256
from training.export import ExportError, activate, check_export, lora_pairs, peft_scale_alpha, write_lora_gguf

RANK = 4


def peft_tensors(shapes: dict[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    """PEFT's layout: lora_A (rank, in), lora_B (out, rank), keyed by the HF module path."""
    rng = np.random.default_rng(0)
    out = {}
    for module, (n_out, n_in) in shapes.items():
        out[f"base_model.model.{module}.lora_A.weight"] = rng.standard_normal((RANK, n_in), dtype=np.float32)
        out[f"base_model.model.{module}.lora_B.weight"] = rng.standard_normal((n_out, RANK), dtype=np.float32)
    return out


@pytest.fixture(scope="module")
def base():
    path = default_gguf_path()
    return path, read_header(path)


def gemma_shapes(header, layers=(0, 17)) -> dict[str, tuple[int, int]]:
    shapes = {}
    for i in layers:
        for hf, gg in (("self_attn.q_proj", "attn_q"), ("self_attn.o_proj", "attn_output"), ("mlp.down_proj", "ffn_down")):
            n_in, n_out = header.tensor_shapes[f"blk.{i}.{gg}.weight"][:2]  # ggml order: row length first
            shapes[f"model.layers.{i}.{hf}"] = (n_out, n_in)
    return shapes


def test_adapter_tensors_get_llama_cpp_names_and_fit_the_base(base, tmp_path):
    path, header = base
    pairs = lora_pairs(peft_tensors(gemma_shapes(header)), "gemma3", 18)
    assert [p.target for p in pairs][:3] == ["blk.0.ffn_down.weight", "blk.0.attn_output.weight", "blk.0.attn_q.weight"]
    out = tmp_path / "lora.gguf"
    write_lora_gguf(pairs, "gemma3", 8.0, out, {"predraft.base.sha256": "abc"})
    lora = read_header(out)
    assert lora.metadata["general.type"] == "adapter" and lora.metadata["adapter.type"] == "lora"
    assert lora.metadata["adapter.lora.alpha"] == 8.0 and lora.metadata["predraft.base.sha256"] == "abc"
    assert lora.tensor_shapes["blk.0.attn_q.weight.lora_a"][:2] == (640, RANK)
    check_lora_matches(header, lora, out, path)  # the model backend's own check passes


def test_an_adapter_for_other_shapes_is_refused(base, tmp_path):
    path, header = base
    wrong = {"model.layers.0.self_attn.q_proj": (512, 640)}  # the base's q_proj is 1024 x 640
    out = tmp_path / "lora.gguf"
    write_lora_gguf(lora_pairs(peft_tensors(wrong), "gemma3", 18), "gemma3", 8.0, out, {})
    with pytest.raises(ModelError, match="trained for another base model"):
        check_lora_matches(header, read_header(out), out, path)


def test_check_export_refuses_a_lora_of_another_base_as_loading_it_would(tmp_path):
    base = tmp_path / "other-fine-tune.gguf"
    base.write_bytes(b"weights of another fine-tune")
    pairs = lora_pairs(peft_tensors({"model.layers.0.self_attn.q_proj": (1024, 640)}), "gemma3", 18)
    trained_on = tmp_path / "trained-on.gguf"
    trained_on.write_bytes(b"the weights it was trained on")
    lora = tmp_path / "lora.gguf"
    write_lora_gguf(pairs, "gemma3", 8.0, lora, {BASE_SHA256_KEY: file_sha256(trained_on)})
    check_export(lora, trained_on, tmp_path / "models")
    with pytest.raises(ModelError, match=r"trained on another base model: it records .*, other-fine-tune.gguf has"):
        check_export(lora, base, tmp_path / "models")


def test_unknown_modules_and_rslora():
    with pytest.raises(ExportError, match="'model.vision_tower.proj'"):
        lora_pairs(peft_tensors({"model.vision_tower.proj": (8, 8)}), "gemma3", 18)
    assert peft_scale_alpha({"lora_alpha": 16, "r": 8}) == 16
    assert peft_scale_alpha({"lora_alpha": 16, "r": 4, "use_rslora": True}) == 32  # alpha/sqrt(r) == alpha'/r


def test_activate_sets_lora_path_and_keeps_the_users_settings(tmp_path):
    config = tmp_path / "predraft.toml"
    config.write_text('# mine\n[model]\nn_threads = 4  # fast box\n\n[draft]\ncandidates = 5\n')
    activate(tmp_path / "runs/r1/export/lora.gguf", tmp_path)
    text = config.read_text()
    assert "# mine" in text and "# fast box" in text
    assert tomllib.loads(text) == {"model": {"n_threads": 4, "lora_path": str(tmp_path / "runs/r1/export/lora.gguf")},
                                   "draft": {"candidates": 5}}
