"""Checks on a GGUF model and its LoRA adapter, made on their headers before llama.cpp loads them.

llama.cpp (as bundled with llama-cpp-python 0.3.36) crashes the whole process at the first decode on
a LoRA made for another base model, so the model backend checks first; `predraft export` runs the same
checks on what it writes, and records the base's sha256 under BASE_SHA256_KEY for check_lora_base.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.models.base import ModelError
from assistant.models.gguf_header import GGUFHeader, NotGGUF, read_header

BASE_SHA256_KEY = "predraft.base.sha256"  # in a LoRA GGUF: the sha256 of the base GGUF it was trained on


def checked_header(path: Path, what: str) -> GGUFHeader:
    """The header of a model or adapter file that exists, is a GGUF and holds all the data it describes."""
    if not path.is_file():
        raise ModelError(
            f"the {what} file {path} does not exist: check model.gguf_path / model.lora_path "
            "(or clear model.gguf_path to use the default model)"
        )
    try:
        header = read_header(path)
    except NotGGUF as exc:
        raise ModelError(f"the {what} file is not usable: {exc}. Export or copy it again.") from exc
    if header.truncated:
        raise ModelError(
            f"the {what} file {path} is truncated: it has {header.file_size:,} bytes but its header "
            f"describes {header.data_size:,}. Copy or export it again."
        )
    return header


def check_lora_matches(base: GGUFHeader, lora: GGUFHeader, lora_path: Path, base_path: Path) -> None:
    """Raise ModelError unless every LoRA tensor pair fits the base tensor it adapts.

    The same checks llama.cpp makes, done before it gets the chance to crash the process.
    """
    if lora.metadata.get("general.type") != "adapter" or lora.metadata.get("adapter.type") != "lora":
        raise ModelError(
            f"{lora_path} is not a LoRA adapter (general.type={lora.metadata.get('general.type')!r}): "
            "model.lora_path takes the adapter GGUF written by `predraft train`, not a full model"
        )
    retrain = f"train or convert the adapter against {base_path.name}, or set model.gguf_path to its own base model"
    base_arch, lora_arch = base.metadata.get("general.architecture"), lora.metadata.get("general.architecture")
    if base_arch != lora_arch:
        raise ModelError(
            f"the LoRA {lora_path} was trained for another base model: it is for a {lora_arch!r} model, "
            f"{base_path.name} is {base_arch!r}; {retrain}"
        )
    pairs = [name.removesuffix(".lora_a") for name in lora.tensor_shapes if name.endswith(".lora_a")]
    if not pairs:
        raise ModelError(f"{lora_path} holds no LoRA tensors (*.lora_a / *.lora_b): export the adapter again")
    for target in pairs:
        a = lora.tensor_shapes[f"{target}.lora_a"]
        b = lora.tensor_shapes.get(f"{target}.lora_b")
        model = base.tensor_shapes.get(target)
        damaged = ModelError(f"{lora_path} is damaged: {target}.lora_a has no lora_b of the same rank; export it again")
        if b is None:
            raise damaged
        if target == "token_embd.weight":
            expected = (b[1], a[1])  # stored flipped: llama.cpp applies it as a row lookup, not a matmul
        elif a[1] != b[0]:
            raise damaged
        else:
            expected = (a[0], b[1])
        if model is None:
            raise ModelError(
                f"the LoRA {lora_path} was trained for another base model: {base_path.name} has no tensor "
                f"{target}; {retrain}"
            )
        if model[:2] != expected:
            raise ModelError(
                f"the LoRA {lora_path} was trained for another base model: its {target} adapts a "
                f"{expected[0]}x{expected[1]} matrix, but {base_path.name} has {model[0]}x{model[1]}; {retrain}"
            )


def check_lora_base(lora: GGUFHeader, lora_path: Path, base_path: Path, base_sha256: Callable[[], str]) -> None:
    """Raise ModelError when the LoRA records the sha256 of another base GGUF than `base_path`.

    Another fine-tune of the same model has the same shapes, so check_lora_matches lets its LoRAs
    through, yet a LoRA only means something on the exact weights it was trained on. Adapters without
    the record (older exports, other converters) pass. `base_sha256` is called only to compare a record.
    """
    recorded = lora.metadata.get(BASE_SHA256_KEY)
    if recorded is None:
        return
    actual = base_sha256()
    if recorded != actual:
        raise ModelError(
            f"the LoRA {lora_path} was trained on another base model: it records the sha256 {str(recorded)[:12]}…, "
            f"{base_path.name} has {actual[:12]}…; set model.gguf_path to the GGUF it was trained on, "
            "or train and export the adapter again on this one"
        )
