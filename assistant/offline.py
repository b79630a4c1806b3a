"""Run-time offline guarantees: no library may reach the network for weights or telemetry."""

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma
    "AXOLOTL_DO_NOT_TRACK": "1",
    "DO_NOT_TRACK": "1",
    "WANDB_MODE": "disabled",
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline() -> None:
    """Set the variables that keep Hugging Face, Chroma and Axolotl from phoning home.

    Explicit user settings win: a variable already set is left alone.
    """
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
