"""The one interface every model backend offers: stream text, sample candidates, score a reply.

Prompts are plain completions of a transcript (see assistant.prompting): no chat template, so any
base model or completion server can serve them.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

from assistant.errors import PredraftError

if TYPE_CHECKING:
    from assistant.config import ModelSettings


class ModelError(PredraftError):
    """The model cannot be loaded or reached: says which file or server, and what to do."""


class ScoringUnsupported(ModelError):
    """The backend (or its server) cannot return log-probabilities of a given continuation."""


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 64
    temperature: float = 0.8
    top_p: float = 0.95
    repeat_penalty: float = 1.0
    seed: int = 7
    stop: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, model: ModelSettings, stop: Sequence[str] = ()) -> GenerationOptions:
        return cls(
            max_tokens=model.max_tokens,
            temperature=model.temperature,
            top_p=model.top_p,
            repeat_penalty=model.repeat_penalty,
            seed=model.seed,
            stop=tuple(stop),
        )


class Backend(ABC):
    name: ClassVar[str]
    can_score: ClassVar[bool]
    supports_lora: ClassVar[bool]

    model_id: str  # recorded with every feedback row
    adapter_id: str = ""  # "" when no LoRA is applied

    @abstractmethod
    def stream(
        self, prompt: str, options: GenerationOptions, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Yield the continuation in pieces; stop early (within a token) once `cancel` is set."""

    def complete(self, prompt: str, options: GenerationOptions) -> str:
        return "".join(self.stream(prompt, options))

    def candidates(
        self,
        prompt: str,
        options: GenerationOptions,
        n: int,
        on_piece: Callable[[int, str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[str]:
        """`n` samples of the same prompt with seeds seed..seed+n-1, so a run is reproducible.

        `on_piece(i, piece)` sees every piece of candidate i as it arrives; it runs while the model
        is busy, so it must not call back into the backend. After a cancel the list holds what was
        generated so far (later candidates are empty strings).
        """
        results = [""] * n
        for i in range(n):
            if cancel is not None and cancel.is_set():
                break
            for piece in self.stream(prompt, replace(options, seed=options.seed + i), cancel):
                results[i] += piece
                if on_piece is not None:
                    on_piece(i, piece)
        return results

    def score(self, prompt: str, continuation: str) -> float:
        """Total natural-log probability of the continuation's tokens given the prompt."""
        return self.score_tokens(prompt, continuation)[0]

    @abstractmethod
    def score_tokens(self, prompt: str, continuation: str) -> tuple[float, int]:
        """The continuation's total log-probability and how many tokens it spans (ranking compares
        texts of any origin and length per token)."""

    def close(self) -> None:
        """Release the model or connection; the backend is unusable afterwards."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
