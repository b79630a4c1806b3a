"""predraft's Axolotl plugin for CPU training; it runs inside the Axolotl environment only.

predraft copies this file into every CPU run folder as `predraft_plugin.py`, and the CPU templates
name it under `plugins:`. The run folder is the training process's working directory, and Axolotl
starts that process with `python -m`, so the module imports from there.

- **Logits only where the loss is taken.** A causal LM scores every position against the whole
  vocabulary (262k tokens for Gemma 3: a [batch, ~500, 262144] fp32 tensor, 1 GB per step, and the
  largest matmul of the model), while the loss only reads the reply's few dozen tokens. The model's
  forward gets the labelled positions as `logits_to_keep`, and the loss is the model's own loss
  function on those rows, with the same reduction (sum / items in batch, or mean), so the loss and
  gradients are those of the full computation. Cut Cross-Entropy and Liger's fused linear
  cross-entropy do this on a GPU (Triton kernels); they do not run on a CPU.
- **No evaluation at step 0, one at the last step.** Axolotl turns on `eval_on_start` whenever
  `eval_steps` is set; a pass over the evaluation sample before any training only measures the base.
  The last step is evaluated even when `eval_steps` does not divide `max_steps`.
- **bf16 on a CPU** when predraft asks for it (CPUs with AVX512-BF16 or AMX): the trainer is told it
  runs on the CPU, so it autocasts to bfloat16 there instead of refusing bf16 without a GPU.
- It logs the threads PyTorch uses, which is what OMP_NUM_THREADS became after the launchers.
"""

from __future__ import annotations

import functools
import logging

import torch
from axolotl.integrations.base import BasePlugin
from transformers import TrainerCallback

IGNORE_INDEX = -100
LOG = logging.getLogger("axolotl.predraft")


def keep_labelled_logits(model: torch.nn.Module) -> None:
    """Make `model(..., labels=...)` compute logits (and the loss) only at positions that predict a label."""
    forward = model.forward

    @functools.wraps(forward)  # keeps the signature the Trainer inspects to pick dataset columns
    def labelled_forward(*args, labels=None, logits_to_keep=0, **kwargs):
        if labels is None:
            return forward(*args, logits_to_keep=logits_to_keep, **kwargs)
        # Position p predicts token p + 1: the labels shifted left, as in transformers' ForCausalLMLoss.
        targets = torch.nn.functional.pad(labels, (0, 1), value=IGNORE_INDEX)[:, 1:]
        positions = (targets != IGNORE_INDEX).any(dim=0).nonzero().squeeze(-1)  # shared by the batch's rows
        outputs = forward(*args, logits_to_keep=positions, **kwargs)
        outputs.loss = model.loss_function(outputs.logits, None, outputs.logits.shape[-1],
                                           num_items_in_batch=kwargs.get("num_items_in_batch"),
                                           shift_labels=targets[:, positions].contiguous())
        return outputs

    model.forward = labelled_forward


class _EvaluateLastStep(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if args.eval_strategy != "no" and state.global_step >= state.max_steps:
            control.should_evaluate = True
        return control


class CpuTrainingPlugin(BasePlugin):
    def get_training_args(self, cfg):
        # use_cpu: else transformers refuses bf16 without a GPU, although PyTorch runs it on CPUs with AVX512-BF16.
        return {"eval_on_start": False, "use_cpu": not torch.cuda.is_available()}

    def post_model_build(self, cfg, model):
        keep_labelled_logits(model)
        LOG.info(f"predraft: logits only at labelled positions; torch threads: {torch.get_num_threads()}")

    def add_callbacks_pre_trainer(self, cfg, model):
        return [_EvaluateLastStep()]
