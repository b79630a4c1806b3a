"""Small deterministic stand-ins for the model and the index, for tests of the graph's logic.

The real model, Chroma index and checkpoints are exercised in tests/integration/graphs.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np

from assistant.models.base import Backend, GenerationOptions
from assistant.prompting import ME
from assistant.retrieval.exchanges import Exchange
from assistant.retrieval.index import Evidence


class WordsEmbedder:
    """Bag of words hashed into 256 dimensions, L2-normalised: equal words, high cosine."""

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, zlib.crc32(word.encode()) % 256] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


class ScriptedBackend(Backend):
    """The reply depends only on the seed and on who is to speak: runs are exactly repeatable."""

    name = "scripted"
    can_score = True
    supports_lora = False
    model_id = "scripted-model"
    adapter_id = ""
    REPLIES = ("sounds good, see you at 8", "sure! bringing snacks", "Sounds good, see you at 8!",
               "can't tonight, sorry")
    PREDICTION = "great, see you there\nMaya: bring the speaker"

    def __init__(self) -> None:
        self.calls: list[tuple[str, GenerationOptions]] = []

    def stream(self, prompt: str, options: GenerationOptions, cancel: threading.Event | None = None) -> Iterator[str]:
        self.calls.append((prompt, options))
        speaker = prompt.rsplit("\n", 1)[-1].removesuffix(":")
        text = self.REPLIES[options.seed % len(self.REPLIES)] if speaker == ME else self.PREDICTION
        for word in text.split(" "):
            if cancel is not None and cancel.is_set():
                return
            yield " " + word

    def score_tokens(self, prompt: str, continuation: str) -> tuple[float, int]:
        # shorter replies are likelier: a fixed, easy order
        return -0.1 * len(continuation), len(continuation.split()) + 1


class ListIndex:
    """Evidence from a fixed list, honouring the as-of cut and the thread's-future exclusion."""

    def __init__(self, exchanges: list[Exchange], embedder: WordsEmbedder):
        self.exchanges = exchanges
        self.embedder = embedder
        self.queries: list[dict] = []

    def count(self) -> int:
        return len(self.exchanges)

    def search(self, query: str, *, k: int | None = None, before: datetime | None = None,
               exclude_thread: tuple[int, datetime] | None = None, hidden_threads=()) -> list[Evidence]:
        self.queries.append({"query": query, "before": before, "exclude_thread": exclude_thread,
                             "hidden_threads": set(hidden_threads)})
        usable = [
            e for e in self.exchanges
            if (before is None or e.timestamp < before) and e.thread_id not in hidden_threads
            and not (exclude_thread and e.thread_id == exclude_thread[0] and e.timestamp >= exclude_thread[1])
        ]
        if not usable:
            return []
        q = self.embedder.embed([query])[0]
        sims = self.embedder.embed([e.context for e in usable]) @ q
        order = np.argsort(-sims, kind="stable")[: k or 5]
        return [Evidence(usable[i], float(sims[i])) for i in order]


def exchange(n: int, when: datetime, context: str, reply: str, thread_id: int = 99) -> Exchange:
    return Exchange(id=f"{thread_id}:{n}", thread_id=thread_id, thread_title="Jonas", contact="Jonas",
                    platform="whatsapp", timestamp=when, year=when.year, context=context, reply=reply)


PAST_EXCHANGES = [
    exchange(1, datetime(2021, 3, 2, 19, 0, tzinfo=UTC), "Jonas: are you coming tonight?", "sounds good, see you at 9"),
    exchange(2, datetime(2022, 7, 9, 12, 0, tzinfo=UTC), "Jonas: bring the speaker", "sure, bringing it"),
    exchange(3, datetime(2024, 1, 5, 20, 0, tzinfo=UTC), "Jonas: tonight?", "can't tonight, sorry"),
]
