"""Training profiles: which Axolotl template, which base model, and whether it runs on this machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from training.records import GEMMA_TOKENS, SpecialTokens

QWEN_TOKENS = SpecialTokens(bos="", eos="<|im_end|>")  # Qwen adds no BOS; <|im_end|> ends a turn


@dataclass(frozen=True)
class Profile:
    name: str
    template: str  # under configs/axolotl/: <family>/<size>-<method>.yaml
    base: Literal["tiny", "gemma", "hub"]  # built at run time, dequantized from the GGUF, or the template's hub id
    tokens: SpecialTokens
    on_cpu: bool  # False: needs CUDA; predraft writes the run folder for a GPU machine (--config-only)
    summary: str
    gpus: int = 1  # GPUs the config is validated for


PROFILES = {p.name: p for p in (
    Profile("cpu-smoke", "llama/tiny-lora.yaml", "tiny", GEMMA_TOKENS, True,
            "tiny random Llama, 4 steps: checks the pipeline in about a minute, learns nothing"),
    Profile("gemma3-270m-cpu", "gemma3/270m-lora.yaml", "gemma", GEMMA_TOKENS, True,
            "LoRA r=8 on the default model (Gemma 3 270M) on CPU, 200 steps (10-30 min); exports to GGUF for llama.cpp"),
    Profile("gpu-qlora", "qwen2.5/7b-qlora.yaml", "hub", QWEN_TOKENS, False,
            "Qwen2.5 7B Instruct, 4-bit QLoRA, sample packing, flash attention: one CUDA GPU"),
    Profile("multi-gpu", "qwen2.5/7b-lora-deepspeed.yaml", "hub", QWEN_TOKENS, False,
            "Qwen2.5 7B Instruct, LoRA with DeepSpeed ZeRO-2 (ZeRO-3 JSON included) over several GPUs", gpus=8),
)}
