"""predraft's Axolotl plugin, in the Axolotl environment: logits only at the labelled positions give
the loss and gradients of the full computation."""

from __future__ import annotations

import json
import subprocess

import pytest

from training.axolotl import PLUGIN_SOURCE
from training.venv import python, training_env

pytestmark = [pytest.mark.slow, pytest.mark.axolotl]

# Two batches of two rows, right-padded, the loss on a few tokens at different places in each row;
# models small enough to build in a second, Gemma with a final logit soft-cap as Gemma 2 has.
COMPARE = """
import importlib.util, json, sys
import torch
from transformers import Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig, LlamaForCausalLM

spec = importlib.util.spec_from_file_location("predraft_plugin", sys.argv[1])
plugin = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plugin)
small = dict(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2)
models = {"llama": lambda: LlamaForCausalLM(LlamaConfig(**small)),
          "gemma3": lambda: Gemma3ForCausalLM(Gemma3TextConfig(**small, head_dim=8, final_logit_softcapping=30.0))}
ids = torch.randint(0, 300, (2, 12), generator=torch.Generator().manual_seed(0))
mask = torch.ones_like(ids)
mask[1, 9:] = 0
labels = torch.full_like(ids, -100)
labels[0, 5:9] = ids[0, 5:9]
labels[1, 2:4] = ids[1, 2:4]
result = {}
for name, build in models.items():
    runs = []
    for labelled in (False, True):
        torch.manual_seed(0)
        model = build()
        if labelled:
            plugin.keep_labelled_logits(model)
        for items in (None, torch.tensor(6)):
            out = model(input_ids=ids, attention_mask=mask, labels=labels, num_items_in_batch=items)
            out.loss.backward()
            grad = model.model.layers[0].self_attn.q_proj.weight.grad.clone()
            model.zero_grad()
            runs.append((out.loss.item(), grad, tuple(out.logits.shape)))
    full, kept = runs[:2], runs[2:]
    result[name] = {"losses": [[f[0], k[0]] for f, k in zip(full, kept)],
                    "grads_equal": all(torch.allclose(f[1], k[1], atol=1e-6) for f, k in zip(full, kept)),
                    "shapes": [full[0][2], kept[0][2]]}
print(json.dumps(result))
"""


def test_labelled_logits_give_the_full_loss_and_gradients(axolotl_venv):
    out = subprocess.run([str(python(axolotl_venv)), "-P", "-c", COMPARE, str(PLUGIN_SOURCE)], capture_output=True,
                         text=True, env=training_env(axolotl_venv), check=True)
    result = json.loads(out.stdout.splitlines()[-1])
    for name in ("llama", "gemma3"):
        (mean_full, mean_kept), (sum_full, sum_kept) = result[name]["losses"]
        assert mean_kept == pytest.approx(mean_full, rel=1e-5) and sum_kept == pytest.approx(sum_full, rel=1e-5)
        assert sum_full == pytest.approx(mean_full, rel=1e-5)  # 6 labelled tokens: sum / 6 is the mean
        assert result[name]["grads_equal"], name
        # logits for the 6 positions that predict a label (4 + 2, none shared), not all 12
        assert result[name]["shapes"] == [[2, 12, 300], [2, 6, 300]]
