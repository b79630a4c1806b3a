import math

import numpy as np
import pytest

from graphs.predraft.ranking import confidence, distinct_drafts, max_similarities, rank, score
from graphs.predraft.state import Draft


def test_score_mixes_probability_per_token_and_style():
    assert score(-0.5, 0.8, 0.5, has_evidence=True) == pytest.approx(0.5 * math.exp(-0.5) + 0.5 * 0.8)
    assert score(-0.5, 0.8, 0.25, has_evidence=True) == pytest.approx(0.75 * math.exp(-0.5) + 0.25 * 0.8)


def test_score_ignores_negative_cosines_and_missing_evidence():
    assert score(-1.0, -0.4, 0.5, has_evidence=True) == pytest.approx(0.5 * math.exp(-1.0))
    assert score(-1.0, 0.9, 0.5, has_evidence=False) == pytest.approx(math.exp(-1.0))
    assert score(0.3, 1.0, 0.5, has_evidence=True) == pytest.approx(1.0)  # never above 1


def test_rank_orders_by_score_and_averages_log_prob_over_tokens_plus_newline():
    drafts = [Draft(messages=["ok"], tokens=1), Draft(messages=["on my", "way"], tokens=3)]
    ranked = rank(drafts, logprob_sums=[-4.0, -2.0], similarities=[0.9, 0.1], similarity_weight=0.5, has_evidence=True)
    assert [c["text"] for c in ranked] == ["ok", "on my\nway"]
    assert ranked[0]["logprob"] == pytest.approx(-2.0)  # -4 over 1 token + the closing newline
    assert ranked[1]["logprob"] == pytest.approx(-0.5)
    assert ranked[0]["score"] == pytest.approx(0.5 * math.exp(-2.0) + 0.45)
    assert ranked[1]["messages"] == ["on my", "way"]
    assert confidence(ranked) == ranked[0]["score"]


def test_confidence_of_nothing_is_zero():
    assert confidence([]) == 0.0


def test_distinct_drafts_drops_empty_samples_and_near_repeats():
    drafts = [Draft(messages=[], tokens=0), Draft(messages=["Sounds good!"], tokens=3),
              Draft(messages=["sounds good"], tokens=2), Draft(messages=["no way"], tokens=2),
              Draft(messages=["  "], tokens=1)]
    assert [d["messages"] for d in distinct_drafts(drafts)] == [["Sounds good!"], ["no way"]]


def test_max_similarities_takes_the_best_evidence_reply():
    candidates = np.array([[1.0, 0.0], [0.0, 1.0]])
    evidence = np.array([[0.6, 0.8], [1.0, 0.0]])
    assert max_similarities(candidates, evidence) == pytest.approx([1.0, 0.8])
    assert max_similarities(candidates, np.zeros((0, 2))) == [0.0, 0.0]
