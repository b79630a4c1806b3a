"""`python -m assistant.models.runs_here`: does the installed llama.cpp run on this CPU? One token from the
default model. `scripts/setup.sh` asks after installing: a build that uses an instruction this machine
refuses (an AMX tile op where the virtual machine does not enable AMX) dies with SIGILL at the first
matrix product, not at import or load, so only running the model tells."""

from __future__ import annotations

from llama_cpp import Llama

from assistant.models.default_model import default_gguf_path

if __name__ == "__main__":
    model = Llama(model_path=str(default_gguf_path()), n_ctx=64, n_threads=1, verbose=False)
    model("Hello", max_tokens=1)
