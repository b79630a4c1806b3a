"""The Embedder's own part: the cache of repeated texts around the model's encode."""

from __future__ import annotations

import numpy as np

from assistant.retrieval.embed import Embedder


class CountingModel:
    """Stands in for a SentenceTransformer: a distinct unit vector per text, and a log of what it encoded."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def get_embedding_dimension(self) -> int:
        return 4

    def encode(self, texts: list[str], **_) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.array([[len(t), t.count("a"), t.count("o"), 1] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_repeats_are_encoded_once_within_a_call_and_across_calls():
    model = CountingModel()
    embedder = Embedder(model, "torch")
    first = embedder.embed(["ok", "haha", "ok", "see you at 8"])
    assert model.calls == [["ok", "haha", "see you at 8"]]
    assert np.array_equal(first[0], first[2])
    second = embedder.embed(["haha", "on my way", "ok"])
    assert model.calls[1] == ["on my way"]
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])


def test_rows_follow_the_input_order_and_an_empty_call_encodes_nothing():
    model = CountingModel()
    embedder = Embedder(model, "torch")
    texts = ["b", "aaa", "oo", "b"]
    assert np.allclose(embedder.embed(texts), model.encode(texts))
    assert embedder.embed([]).shape == (0, 4)
    assert len(model.calls) == 2  # the direct encode above, and the embedder's one


def test_the_least_recently_used_text_is_forgotten_first():
    model = CountingModel()
    embedder = Embedder(model, "torch", cache_size=2)
    embedder.embed(["a", "b"])
    embedder.embed(["a"])  # "a" is now more recent than "b"
    embedder.embed(["c"])  # evicts "b"
    embedder.embed(["a", "b"])
    assert model.calls == [["a", "b"], ["c"], ["b"]]
