"""Model backends behind one interface (see base.py), chosen by `[model] backend` in the config."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.models.base import Backend, GenerationOptions, ModelError, ScoringUnsupported

__all__ = ["Backend", "GenerationOptions", "ModelError", "ScoringUnsupported", "load_backend"]


def load_backend(settings: Settings, *, lora_path: str | None = None) -> Backend:
    """The configured backend, ready to generate. `lora_path` overrides `model.lora_path` ("" = none)."""
    model = settings.model
    lora = model.lora_path if lora_path is None else lora_path
    # Backends are imported here so that one never loads the other's library (llama.cpp, httpx).
    if model.backend == "openai":
        if lora:
            raise ModelError(
                f"model.lora_path is {lora!r}, but the openai backend cannot apply a LoRA: load it in the "
                "server (llama.cpp: --lora FILE) and clear model.lora_path, or use model.backend = \"llama_cpp\""
            )
        from assistant.models.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(model.openai)

    from assistant.models.default_model import default_gguf_path
    from assistant.models.llama_cpp import LlamaCppBackend

    return LlamaCppBackend(
        Path(model.gguf_path).expanduser() if model.gguf_path else default_gguf_path(),
        lora_path=Path(lora).expanduser() if lora else None,
        n_ctx=model.n_ctx,
        n_threads=model.n_threads,
        seed=model.seed,
        sha256_cache_dir=settings.models_dir,
    )
