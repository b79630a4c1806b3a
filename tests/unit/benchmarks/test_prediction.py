"""The prediction benchmark's baselines and rates (benchmarks/prediction.py), on hand-made points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from benchmarks.prediction import Point, frequent_guesses, rates

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
