"""Feedback statistics from stored decisions, and chat ratings in the feedback store."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.feedback.stats import bucket_of, compute_stats
from assistant.feedback.store import ChatRating, Decision, FeedbackStore
from assistant.quality import UserProfile


def decision(action: str, confidence: float | None, final: str | None = None, chosen: int | None = None,
             candidates: tuple[str, ...] = ("see you at 8", "can't tonight")) -> Decision:
    return Decision(thread_id=1, prompt="### chat\nMaya: tonight?\nMe:", candidates=list(candidates), action=action,
                    chosen_index=chosen, final_text=final, confidence=confidence)


DECISIONS = [
    decision("accept", 0.9, "see you at 8", 0),
    decision("accept", 0.7, "see you at 8", 0),
    decision("edit", 0.7, "see you at 9", 0),  # 1 character changed of 12
    decision("edit", 0.3, "can't tonight, sorry", 1),  # 7 added to 13
    decision("reject", 0.1),
    decision("reject", 0.25),
    decision("regenerate", 0.1),
]


def test_rates_edit_distance_and_buckets():
    stats = compute_stats(DECISIONS, {"hits": 3, "misses": 1})
    assert stats.actions == {"accept": 2, "edit": 2, "regenerate": 1, "reject": 2}
    assert stats.acceptance_rate == pytest.approx(2 / 6)  # regenerations are not an answer
    assert stats.used_rate == pytest.approx(4 / 6)
    assert stats.mean_edit_distance == pytest.approx((1 + 7) / 2)
    assert stats.mean_normalized_edit_distance == pytest.approx((1 / 12 + 7 / 20) / 2)
    assert stats.hit_rate == pytest.approx(0.75)
    by_range = {b.label: (b.answered, b.accepted, b.edited) for b in stats.buckets}
    assert by_range == {"0.00-0.20": (1, 0, 0), "0.20-0.35": (2, 0, 1), "0.35-0.50": (0, 0, 0),
                        "0.50-0.65": (0, 0, 0), "0.65-0.80": (2, 1, 1), "0.80-1.00": (1, 1, 0)}
    low = stats.buckets[1]
    assert (low.acceptance_rate, low.used_rate) == (0.0, 0.5)
    assert stats.buckets[2].acceptance_rate is None
    assert stats.failures == {}  # no profile of the user: the rules are not applied


def test_failures_of_the_top_draft_shown():
    prompt = "### WhatsApp chat with Maya · Monday 2023-05-01\nMaya: are you coming to the party tonight?\nMe:"
    profile = UserProfile.from_replies(["sounds good", "on my way", "see you at 8 then"], ["Alex"])
    shown = [decision("accept", 0.9, candidates=("see you at 8",)),
             decision("reject", 0.2, candidates=("Are you coming to the party tonight?", "yes")),  # echo
             decision("reject", 0.2, candidates=("Alex, see you there",)),  # addresses the user
             decision("regenerate", 0.1, candidates=())]  # nothing shown: not counted
    shown = [Decision(**{**d.__dict__, "prompt": prompt}) for d in shown]
    failures = compute_stats(shown, {}, profile=profile).failures
    assert failures["echo"] == pytest.approx(1 / 3) and failures["wrong_speaker"] == pytest.approx(1 / 3)
    assert failures["any"] == pytest.approx(2 / 3)


def test_no_data_gives_none_not_a_division_by_zero():
    stats = compute_stats([], {})
    assert (stats.acceptance_rate, stats.mean_edit_distance, stats.hit_rate, stats.mean_chat_rating) == (None,) * 4
    assert stats.as_json()["buckets"][0] == {"range": "0.00-0.20", "answered": 0, "accepted": 0, "edited": 0,
                                             "acceptance_rate": None, "used_rate": None}


@pytest.mark.parametrize(("confidence", "bucket"), [(0.0, 0), (0.19, 0), (0.2, 1), (0.35, 2), (0.99, 5), (1.0, 5)])
def test_bucket_edges(confidence, bucket):
    assert bucket_of(confidence) == bucket


def test_chat_ratings_round_trip_and_count(tmp_path: Path):
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    turns = [{"speaker": "Maya", "text": "tonight?"}, {"speaker": "Me", "text": "yes!"}]
    store.record_chat(ChatRating(contact="Maya", turns=turns, rating=4, model_id="gemma", as_of="2022-12-31"))
    store.record_chat(ChatRating(contact="Sam", turns=turns, rating=None))
    saved = list(store.chat_ratings())
    store.close()
    assert [(c.contact, c.rating, c.turns, c.as_of) for c in saved] == [("Maya", 4, turns, "2022-12-31"),
                                                                        ("Sam", None, turns, None)]
    stats = compute_stats([], {}, saved)
    assert (stats.chats_saved, stats.chats_rated, stats.mean_chat_rating) == (2, 1, 4.0)
    with pytest.raises(ValueError, match="1 to 5"):
        ChatRating(contact="Maya", turns=turns, rating=6)
