import numpy as np

from assistant.retrieval.search import is_near_duplicate, mmr_select


def _unit(*rows):
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_repeated_short_replies_count_once():
    assert is_near_duplicate("OK!", ["ok"])
    assert is_near_duplicate("haha yes", ["Haha, yes."])
    assert is_near_duplicate("❤️", ["❤️"])  # emoji-only replies still compare by their emoji
    assert not is_near_duplicate("❤️", ["😂"])
    assert not is_near_duplicate("ok", ["no"])
    assert not is_near_duplicate("see you at 8", ["see you at the gym"])


def test_mmr_drops_five_oks_down_to_one_and_keeps_the_most_similar_first():
    vectors = _unit([1, 0, 0], [1, 0.01, 0], [1, 0.02, 0], [1, 0.03, 0], [1, 0.04, 0], [0.6, 0.8, 0])
    sims = np.array([0.95, 0.94, 0.93, 0.92, 0.91, 0.5], dtype=np.float32)
    replies = ["ok", "Ok", "ok!", "OK", "ok.", "only if we leave by 7"]
    assert mmr_select(sims, vectors, replies, k=3, mmr_lambda=0.6) == [0, 5]


def test_mmr_prefers_a_different_candidate_over_a_near_copy():
    # 1 is almost the same vector as 0; 2 is less similar to the query but says something else.
    vectors = _unit([1, 0, 0], [1, 0.05, 0], [0.7, 0, 0.7])
    sims = np.array([0.9, 0.89, 0.7], dtype=np.float32)
    replies = ["yes, bringing the speaker", "yes and I'll bring the speaker too", "running late, start without me"]
    assert mmr_select(sims, vectors, replies, k=2, mmr_lambda=0.6) == [0, 2]
    # lambda 1 ranks by relevance alone.
    assert mmr_select(sims, vectors, replies, k=2, mmr_lambda=1.0) == [0, 1]
