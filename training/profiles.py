"""Training profiles: which Axolotl template, which base model, and whether it runs on this machine."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from training.records import GEMMA_TOKENS, SpecialTokens

QWEN_TOKENS = SpecialTokens(bos="", eos="<|im_end|>")  # Qwen adds no BOS; <|im_end|> ends a turn


@dataclass(frozen=True)
class Schedule:
    """How many steps a CPU run trains, from its dataset: one pass over the training examples, cut
    short at `max_tokens` tokens in all (what bounds the time on a CPU), and never under `min_steps`."""

    min_steps: int
    max_tokens: int

    def steps(self, examples: int, tokens_per_example: float, batch: int) -> int:
        epoch = math.ceil(examples / batch)
        budget = math.floor(self.max_tokens / (batch * max(tokens_per_example, 1.0)))
        return max(self.min_steps, min(epoch, budget))


@dataclass(frozen=True)
class Profile:
    name: str
    template: str  # under configs/axolotl/: <family>/<size>-<method>.yaml
    base: Literal["tiny", "gemma", "hub"]  # built at run time, dequantized from the GGUF, or the template's hub id
    tokens: SpecialTokens
    on_cpu: bool  # False: needs CUDA; predraft writes the run folder for a GPU machine (--config-only)
    summary: str
    gpus: int = 1  # GPUs the config is validated for
    schedule: Schedule | None = None  # None: the template's max_steps or num_epochs
    eval_examples: int | None = None  # evaluate on this many validation examples, spread over time; None: all


PROFILES = {p.name: p for p in (
    Profile("cpu-smoke", "llama/tiny-lora.yaml", "tiny", GEMMA_TOKENS, True,
            "tiny random Llama, 4 steps: checks the pipeline in about a minute, learns nothing", eval_examples=24),
    Profile("gemma3-270m-cpu", "gemma3/270m-lora.yaml", "gemma", GEMMA_TOKENS, True,
            "LoRA r=8 on the default model (Gemma 3 270M) on CPU, one pass over the dataset up to 80k tokens "
            "(~12 min for 500 turns on 2 idle cores); exports to GGUF for llama.cpp",
            schedule=Schedule(min_steps=20, max_tokens=80_000), eval_examples=24),
    Profile("gpu-qlora", "qwen2.5/7b-qlora.yaml", "hub", QWEN_TOKENS, False,
            "Qwen2.5 7B Instruct, 4-bit QLoRA, sample packing, flash attention: one CUDA GPU"),
    Profile("multi-gpu", "qwen2.5/7b-lora-deepspeed.yaml", "hub", QWEN_TOKENS, False,
            "Qwen2.5 7B Instruct, LoRA with DeepSpeed ZeRO-2 (ZeRO-3 JSON included) over several GPUs", gpus=8),
)}
