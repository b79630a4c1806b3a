"""A backend that replays canned replies in the demo persona's voice: snapshots need the same text every run.

The reply depends only on who is to speak and the sampling seed, like a seeded model would; the
log-probability is a fixed function of the text. Everything else in the snapshots (corpus, Chroma
index, MiniLM similarities, the graph) is the real thing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from assistant.models.base import Backend, GenerationOptions
from assistant.prompting import ME


class CannedBackend(Backend):
    name = "canned"
    can_score = True
    supports_lora = False
    model_id = "canned-replies"
    adapter_id = ""
    MINE = ("Yes. I'm bringing dessert.", "Just me, see you at 7!", "Of course. Should I bring anything?",
            "Sounds good, see you there.")
    THEIRS = "perfect, see you at 7"

    def stream(self, prompt: str, options: GenerationOptions, cancel: threading.Event | None = None) -> Iterator[str]:
        speaker = prompt.rsplit("\n", 1)[-1].removesuffix(":")
        text = self.MINE[options.seed % len(self.MINE)] if speaker == ME else self.THEIRS
        for word in text.split(" "):
            if cancel is not None and cancel.is_set():
                return
            yield " " + word

    def score_tokens(self, prompt: str, continuation: str) -> tuple[float, int]:
        return -0.05 * len(continuation.split()), len(continuation.split()) + 1
