"""Validate an Axolotl YAML with Axolotl's own schema, as if on a GPU machine; no GPU needed.

Run by the Axolotl environment's Python (`python -P check_config.py CONFIG [--gpus N]`): it loads
the YAML and calls `axolotl.utils.config.validate_config` with the capabilities of an sm_90 GPU
(bf16, tf32), which is what `axolotl train` does after probing the real device. Prints the
validated config's key settings as JSON; exits 1 with Axolotl's message when the config is invalid.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("config", type=Path)
    parser.add_argument("--gpus", type=int, default=1)
    args = parser.parse_args(argv)

    import torch
    import yaml
    from axolotl.utils.config import validate_config
    from axolotl.utils.dict import DictDefault

    config = args.config.resolve()
    os.chdir(config.parent)  # relative paths (deepspeed JSON, data) resolve as in a run
    raw = DictDefault(yaml.safe_load(config.read_text()))
    capabilities = {"bf16": True, "fp8": False, "tf32": True, "n_gpu": args.gpus, "compute_capability": "sm_90"}
    env = {"torch_version": torch.__version__.split("+", 1)[0]}
    try:
        cfg = validate_config(raw, capabilities=capabilities, env_capabilities=env)
    except Exception as exc:  # pydantic ValidationError or Axolotl's ValueError: both are the user's answer
        print(f"invalid: {exc}", file=sys.stderr)
        return 1
    keys = ("base_model", "adapter", "load_in_4bit", "sample_packing", "attn_implementation", "deepspeed", "bf16",
            "sequence_len", "micro_batch_size", "max_steps", "num_epochs")
    print(json.dumps({k: cfg.get(k) for k in keys}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
