"""`predraft export`: a trained PEFT adapter -> a GGUF LoRA that llama.cpp applies to the base GGUF.

Written directly with the `gguf` package (no llama.cpp checkout needed): each adapted linear
layer becomes `blk.N.<tensor>.weight.lora_a` / `.lora_b` under llama.cpp's tensor names, with
`general.type = adapter`, `adapter.type = lora` and `adapter.lora.alpha`, the layout llama.cpp's
own converter writes. llama.cpp scales by alpha / rank, as PEFT does.

The export also records the sha256 of the base GGUF the adapter was trained against
(`predraft.base.sha256`): a LoRA only means something on top of those exact weights.
`--merged` writes a full GGUF instead: the base with the LoRA folded into the adapted tensors
(stored as F16; every other tensor is copied unchanged, quantized as it was).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from assistant.errors import PredraftError
from assistant.files import write_atomic
from assistant.models.gguf_header import read_header
from assistant.models.lora_check import BASE_SHA256_KEY, check_lora_base, check_lora_matches
from assistant.models.sha256_cache import file_sha256
from training.axolotl import Run

RUN_KEY = "predraft.run"
LORA_FILE = "lora.gguf"
MERGED_FILE = "merged.gguf"


class ExportError(PredraftError):
    """The adapter cannot be exported for this base model."""


@dataclass(frozen=True)
class LoraPair:
    target: str  # llama.cpp tensor name of the adapted weight: "blk.0.attn_q.weight"
    a: np.ndarray  # (rank, in)
    b: np.ndarray  # (out, rank)


def peft_scale_alpha(config: dict) -> float:
    """The alpha to store so that llama.cpp's alpha/rank equals PEFT's scaling."""
    alpha, rank = float(config["lora_alpha"]), int(config["r"])
    return alpha * math.sqrt(rank) if config.get("use_rslora") else alpha  # rsLoRA scales by alpha/sqrt(r)


def lora_pairs(tensors: dict[str, np.ndarray], arch: str, n_blocks: int) -> list[LoraPair]:
    """PEFT tensors (`base_model.model.<hf module>.lora_A.weight`) paired under llama.cpp's names."""
    import gguf

    names = gguf.get_tensor_name_map(_model_arch(arch), n_blocks)
    pairs = []
    for key in sorted(k for k in tensors if k.endswith(".lora_A.weight")):
        module = key.removeprefix("base_model.model.").removesuffix(".lora_A.weight")
        target = names.get_name(module)
        if target is None:
            raise ExportError(f"the adapter adapts {module!r}, which has no {arch} tensor in llama.cpp; "
                              "train with lora_target_linear or the attention/MLP projections only")
        b = tensors.get(key.replace(".lora_A.", ".lora_B."))
        if b is None:
            raise ExportError(f"the adapter has {key} but no matching lora_B: it is damaged, train again")
        pairs.append(LoraPair(f"{target}.weight", tensors[key].astype(np.float32), b.astype(np.float32)))
    if not pairs:
        raise ExportError("the adapter holds no LoRA weights (no *.lora_A.weight tensors)")
    return pairs


def _model_arch(arch: str):
    import gguf

    for value, name in gguf.MODEL_ARCH_NAMES.items():
        if name == arch:
            return value
    raise ExportError(f"the gguf package does not know the architecture {arch!r}; upgrade it (`pip install -U gguf`)")


def read_adapter(adapter_dir: Path) -> tuple[dict, dict[str, np.ndarray]]:
    config_path, weights = adapter_dir / "adapter_config.json", adapter_dir / "adapter_model.safetensors"
    if not weights.is_file() or not config_path.is_file():
        raise ExportError(f"no trained adapter in {adapter_dir} (adapter_model.safetensors + adapter_config.json): "
                          "finish `predraft train` first")
    return json.loads(config_path.read_text()), load_file(str(weights))


def write_lora_gguf(pairs: list[LoraPair], arch: str, alpha: float, out: Path, metadata: dict[str, str]) -> None:
    import gguf

    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    for key, value in metadata.items():
        writer.add_string(key, value)
    for pair in pairs:
        writer.add_tensor(f"{pair.target}.lora_a", pair.a)
        writer.add_tensor(f"{pair.target}.lora_b", pair.b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_merged_gguf(base: Path, pairs: list[LoraPair], alpha: float, out: Path) -> None:
    """The base GGUF with W + (alpha/r)·B·A in place of each adapted tensor."""
    import gguf
    from gguf.quants import dequantize

    reader = gguf.GGUFReader(base)
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(str(out), arch)
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue  # written by the writer itself
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), vtype, sub_type=sub_type)
    deltas = {p.target: (alpha / p.a.shape[0]) * (p.b @ p.a) for p in pairs}
    for tensor in reader.tensors:
        if tensor.name in deltas:
            weight = dequantize(tensor.data, tensor.tensor_type).reshape(deltas[tensor.name].shape)
            writer.add_tensor(tensor.name, (weight + deltas[tensor.name]).astype(np.float16))
        else:
            writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@dataclass(frozen=True)
class Export:
    lora: Path
    merged: Path | None
    base: Path
    tensors: int


def export_run(run: Run, base_gguf: Path, base_sha256: str, merged: bool = False) -> Export:
    """Write <run>/export/lora.gguf (and merged.gguf) for the base GGUF the run was trained on."""
    info = run.info()
    if info.get("base_gguf_sha256") and info["base_gguf_sha256"] != base_sha256:
        raise ExportError(
            f"run {run.name} was trained on a base GGUF with sha256 {info['base_gguf_sha256'][:12]}…, but "
            f"{base_gguf} has {base_sha256[:12]}…: set model.gguf_path back to {info.get('base_gguf') or 'that file'}, "
            "or train again on this one"
        )
    header = read_header(base_gguf)
    arch = str(header.metadata["general.architecture"])
    config, tensors = read_adapter(run.output)
    pairs = lora_pairs(tensors, arch, int(header.metadata[f"{arch}.block_count"]))
    alpha = peft_scale_alpha(config)
    folder = run.folder / "export"
    folder.mkdir(exist_ok=True)
    lora = folder / LORA_FILE
    partial = lora.with_suffix(".partial")
    write_lora_gguf(pairs, arch, alpha, partial, {BASE_SHA256_KEY: base_sha256, RUN_KEY: run.name})
    check_lora_matches(header, read_header(partial), partial, base_gguf)  # shapes, as llama.cpp checks them
    partial.replace(lora)
    merged_path = None
    if merged:
        merged_path = folder / MERGED_FILE
        write_merged_gguf(base_gguf, pairs, alpha, merged_path.with_suffix(".partial"))
        merged_path.with_suffix(".partial").replace(merged_path)
    run.update(export={"lora": str(lora), "merged": str(merged_path) if merged_path else None,
                       "base_gguf": str(base_gguf), "base_gguf_sha256": base_sha256})
    return Export(lora, merged_path, base_gguf, len(pairs))


def check_export(lora: Path, base_gguf: Path, sha256_cache_dir: Path) -> None:
    """Raise ModelError unless the LoRA was exported for exactly this base GGUF (by sha256), as loading it will."""
    check_lora_base(read_header(lora), lora, base_gguf, lambda: file_sha256(base_gguf, sha256_cache_dir))


def activate(lora: Path, data_dir: Path) -> Path:
    """Set model.lora_path in the user's predraft.toml, keeping their comments and other keys."""
    import tomlkit

    from assistant.config import USER_CONFIG_NAME

    path = data_dir / USER_CONFIG_NAME
    doc = tomlkit.parse(path.read_text()) if path.is_file() else tomlkit.document()
    doc.setdefault("model", tomlkit.table())["lora_path"] = str(lora)
    write_atomic(path, tomlkit.dumps(doc))
    return path
