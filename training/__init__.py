"""Training: the dataset from the corpus, Axolotl LoRA runs, GGUF export and evaluation.

Runs in the runtime environment; Axolotl itself lives in its own virtual environment (see venv.py)
and is driven as a subprocess. hf_base.py and check_config.py are the two scripts that run there.
"""
