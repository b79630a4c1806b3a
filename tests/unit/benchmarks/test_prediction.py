"""The prediction benchmark's baselines and rates (benchmarks/prediction.py), on hand-made points."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from benchmarks.prediction import Point, frequent_guesses, hit_rule_curve, rates, same_reply_pairs

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def point(speaker: str, target: str, n: int = 0, conversation: int = 0, thread_id: int = 1) -> Point:
    when = T0 + timedelta(minutes=n)
    return Point(thread_id=thread_id, conversation=conversation, when=when, sent_at=when, sent=("hi",),
                 as_of="2024-01-01", query="Me: hi", speaker=speaker, target=target)


def test_frequent_is_each_speakers_most_said_message_as_they_wrote_it():
    train = [point("Maya", "Haha yes!"), point("Maya", "haha yes"), point("Maya", "Haha yes!"),
             point("Maya", "see you"), point("Sam", "ok"), point("Sam", "sure"), point("Sam", "sure")]
    val = [point("Maya", "?"), point("Sam", "?"), point("Jonas", "?")]
    # Jonas never wrote before: everybody's most frequent message ("haha yes" counted three times)
    assert frequent_guesses(train, val) == ["Haha yes!", "sure", "Haha yes!"]


def test_rates_overall_short_and_two_hits_in_a_row_within_one_conversation():
    val = [point("Maya", "yes", 0), point("Maya", "see you at the station at eight then", 1),
           point("Maya", "ok", 2), point("Maya", "sure", 3, conversation=1)]
    found = rates([True, True, False, True], val)
    assert found["depth1"] == pytest.approx(3 / 4)
    assert (found["short_points"], found["depth1_short"]) == (3, pytest.approx(2 / 3))
    # pairs (0,1) and (1,2) share a conversation; (2,3) does not
    assert (found["depth2_pairs"], found["depth2"]) == (2, pytest.approx(1 / 2))


def test_the_hit_rule_curve_scores_cosine_against_answering_with_the_same_words():

    vectors = {"see you at 8?": [1.0, 0.0], "see you at 8 then?": [0.96, 0.28], "movie later?": [0.0, 1.0]}
    group = [replace(point("Maya", "see you at 8?"), reply="yes!"), replace(point("Maya", "see you at 8 then?"), reply="Yes"),
             replace(point("Maya", "movie later?"), reply="sure"), point("Maya", "unanswered")]
    cosines, same = same_reply_pairs(group, lambda texts: np.array([vectors[t] for t in texts]))
    assert same.tolist() == [True, False, False]  # "yes!" and "Yes" are the same words
    assert cosines.round(2).tolist() == [0.96, 0.0, 0.28]
    by_t = {row["threshold"]: row for row in hit_rule_curve(cosines, same, (0.25, 0.9))}
    assert (by_t[0.9]["precision"], by_t[0.9]["recall"]) == (1.0, 1.0)
    assert (by_t[0.25]["precision"], by_t[0.25]["recall"]) == (0.5, 1.0)


def test_k_predictions_hit_when_any_matches_and_retrieval_gives_distinct_answers():
    from benchmarks.prediction import hits, retrieval_guesses

    vectors = {"me too": [1.0, 0.0], "same": [0.0, 1.0], "Me: hi": [1.0, 0.0], "Me: yo": [0.9, 0.1]}
    embed = lambda texts: np.array([vectors.get(t, [0.6, 0.8]) for t in texts])  # noqa: E731
    train = [point("Maya", "me too"), point("Maya", "me too", 1), point("Maya", "same", 2)]
    val = [point("Maya", "same", 3), point("Maya", "me too", 4)]
    assert retrieval_guesses(train, val, embed, k=3)[0] == ["me too", "same"]  # repeats dropped
    assert hits([["me too", "same"], ["same"]], val, embed, 0.8) == [True, False]
    assert hits([[], [""]], val, embed, 0.8) == [False, False]
