import math

import numpy as np
import pytest

from graphs.predraft.ranking import (
    agreement,
    confidence,
    distinct_drafts,
    length_fit,
    max_similarities,
    past_answers,
    past_replies,
    rank,
    reply_texts,
    score,
)
from graphs.predraft.state import Draft, EvidenceRecord


def test_score_mixes_probability_per_token_and_style():
    assert score(-0.5, 0.8, 0.5, has_evidence=True) == pytest.approx(0.5 * math.exp(-0.5) + 0.5 * 0.8)
    assert score(-0.5, 0.8, 0.25, has_evidence=True) == pytest.approx(0.75 * math.exp(-0.5) + 0.25 * 0.8)


def test_without_log_probabilities_style_alone_decides():
    assert score(None, 0.7, 0.5, has_evidence=True) == pytest.approx(0.7)
    assert score(None, 0.7, 0.5, has_evidence=False) == 0.0  # nothing to go on: below any gate
    ranked = rank([sample("ok"), sample("on my way")], None, [0.2, 0.6], 0.5, has_evidence=True)
    assert [(c["text"], c["logprob"]) for c in ranked] == [("on my way", None), ("ok", None)]


def test_score_ignores_negative_cosines_and_missing_evidence():
    assert score(-1.0, -0.4, 0.5, has_evidence=True) == pytest.approx(0.5 * math.exp(-1.0))
    assert score(-1.0, 0.9, 0.5, has_evidence=False) == pytest.approx(math.exp(-1.0))
    assert score(0.3, 1.0, 0.5, has_evidence=True) == pytest.approx(1.0)  # never above 1


def sample(*messages: str) -> Draft:
    return Draft(messages=list(messages), source="model", evidence_id=None)


def past(evidence_id: str, *messages: str) -> Draft:
    return Draft(messages=list(messages), source="past", evidence_id=evidence_id)


def evidence(id_: str, reply: str, similarity: float, answer: str = "") -> EvidenceRecord:
    return EvidenceRecord(id=id_, thread_id=1, thread_title="Jonas", contact="Jonas", platform="whatsapp",
                          timestamp="2024-01-01T00:00:00+00:00", year=2024, context="Jonas: hi", reply=reply,
                          answer=answer, similarity=similarity)


def test_rank_orders_by_score_and_averages_log_prob_over_tokens():
    drafts = [sample("ok"), past("1:2", "on my", "way")]
    ranked = rank(drafts, logprobs=[(-4.0, 2), (-2.0, 4)], similarities=[0.9, 0.1], similarity_weight=0.5,
                  has_evidence=True)
    assert [c["text"] for c in ranked] == ["ok", "on my\nway"]
    assert [(c["source"], c["evidence_id"]) for c in ranked] == [("model", None), ("past", "1:2")]
    assert ranked[0]["logprob"] == pytest.approx(-2.0)  # -4 over 2 tokens
    assert ranked[1]["logprob"] == pytest.approx(-0.5)
    assert ranked[0]["score"] == pytest.approx(0.5 * math.exp(-2.0) + 0.45)
    assert ranked[1]["messages"] == ["on my", "way"]
    assert confidence(ranked) == ranked[0]["score"]


def test_confidence_of_nothing_is_zero():
    assert confidence([]) == 0.0


def test_distinct_drafts_drops_empty_samples_and_near_repeats():
    drafts = [sample(), past("1:2", "Sounds good!"), sample("sounds good"), sample("no way"), sample("  ")]
    kept = distinct_drafts(drafts)
    assert [d["messages"] for d in kept] == [["Sounds good!"], ["no way"]]
    assert kept[0]["source"] == "past"  # a sample repeating the user's own reply shows as that reply


def test_past_replies_take_the_closest_exchanges_above_the_threshold_and_skip_echoes():
    found = [evidence("1:1", "see you at 9 by the old bridge", 0.9), evidence("1:2", "ok\n\ton my way\nbring snacks", 0.8),
             evidence("1:3", "sure thing", 0.7), evidence("1:4", "maybe", 0.3)]
    replies = past_replies(found, n=5, min_similarity=0.5, said=["hi", "See you at 9 by the old bridge!"], chain=[])
    assert [(d["evidence_id"], d["messages"]) for d in replies] == [
        ("1:2", ["ok\non my way", "bring snacks"]), ("1:3", ["sure thing"])]
    assert all(d["source"] == "past" for d in replies)
    assert [d["evidence_id"] for d in past_replies(found, 1, 0.5, [], [])] == ["1:1"]
    assert past_replies(found, 0, 0.5, [], []) == []


def test_max_similarities_takes_the_best_evidence_reply():
    candidates = np.array([[1.0, 0.0], [0.0, 1.0]])
    evidence = np.array([[0.6, 0.8], [1.0, 0.0]])
    assert max_similarities(candidates, evidence) == pytest.approx([1.0, 0.8])
    assert max_similarities(candidates, np.zeros((0, 2))) == [0.0, 0.0]


def test_past_answer_is_what_they_said_when_you_sent_the_same_words():
    found = [evidence("1:1", "see you at 9", 0.9, answer="perfect"),
             evidence("1:2", "thanks so much!\n\tfor everything", 0.8, answer="anytime, it was lovely to have you"),
             evidence("1:3", "thanks so much!", 0.7, answer="")]

    def first(sent: str, said: list[str]) -> str | None:
        return next(iter(past_answers(found, sent, said, [], 1)), None)

    assert first("Thanks so much\nfor everything", []) == "anytime, it was lovely to have you"
    assert first("see you at 9!", []) == "perfect"
    assert first("thanks a lot for everything", []) == "anytime, it was lovely to have you"
    # not something you said before: what they answered in the closest exchange
    assert first("can't tonight", []) == "perfect"
    # an answer that repeats the conversation predicts nothing new: the next exchange's answer does
    assert first("thanks so much! for everything", ["Anytime, it was lovely to have you!"]) == "perfect"
    assert past_answers([found[2]], "thanks so much!", [], [], 3) == []  # no answer known


def test_k_past_answers_come_likeliest_first_and_each_once():
    found = [evidence("1:1", "see you at 9", 0.9, answer="perfect"),
             evidence("1:2", "thanks so much!", 0.8, answer="anytime!"),
             evidence("1:3", "thank you so much", 0.7, answer="Anytime"),
             evidence("1:4", "on my way", 0.6, answer="drive safe")]
    # the answer to your own words first, then the closest exchanges' answers; "Anytime" repeats "anytime!"
    assert past_answers(found, "thanks so much!", [], [], 3) == ["anytime!", "perfect", "drive safe"]
    assert past_answers(found, "thanks so much!", [], [], 2) == ["anytime!", "perfect"]
    assert past_answers(found, "thanks so much!", [], [], 0) == []


def test_length_fit_is_a_bell_on_the_log_of_the_length_around_your_replies():
    assert length_fit(40, []) == 1.0  # no evidence: length says nothing
    assert length_fit(20, [10, 40]) == pytest.approx(1.0)  # the geometric mean of 10 and 40
    assert length_fit(54, [10, 40]) == pytest.approx(math.exp(-math.log(54 / 20) ** 2 / 2))  # ~e times longer
    assert length_fit(40, [10, 40]) == pytest.approx(length_fit(10, [10, 40]))  # twice as long as twice as short
    assert length_fit(0, [10]) == length_fit(1, [10])  # an empty text is as short as one character


def test_a_draft_of_your_usual_length_wins_a_tie_and_weight_zero_ignores_length():
    speech = "I will tell thee, Hal, the whole tale of the men in buckram, every one of them"
    drafts = [sample("ay"), sample(speech)]
    usual = reply_texts([evidence("1:1", speech.upper(), 0.9), evidence("1:2", speech[:60] + "\n\tmore", 0.8)])
    assert usual == [speech.upper(), speech[:60] + "\nmore"]  # as a candidate is written: no continuation tab
    both = {"logprobs": [(-1.0, 1), (-10.0, 10)], "similarities": [0.5, 0.5], "similarity_weight": 0.5,
            "has_evidence": True}
    ranked = rank(drafts, **both, evidence_replies=usual, length_weight=0.5)
    assert [c["text"] for c in ranked] == [speech, "ay"]
    assert ranked[1]["score"] < score(-1.0, 0.5, 0.5, True) * 0.5  # "ay" is ~35 times shorter than they were
    assert [c["text"] for c in rank(drafts, **both, evidence_replies=usual, length_weight=0.0)] == ["ay", speech]


def test_agreement_is_the_mean_chrf_against_your_other_replies_in_the_evidence():
    replies = ["yes! see you at 7", "yes! 7 works", "can't tonight, sorry"]
    assert agreement("yes! 7 it is", replies) > agreement("the quarterly report is attached", replies)
    # a past reply is compared with your other replies, not with itself
    assert agreement("yes! 7 works", replies) == pytest.approx(agreement("yes! 7 works", [replies[0], replies[2]]))
    assert 0 < agreement("yes! 7 works", replies) < 1
    assert agreement("ok", ["ok", "ok "]) is None and agreement("ok", ["fine"]) is None  # nothing to agree with


def test_the_candidate_that_says_what_you_said_wins_and_keeps_its_own_score():
    drafts = [sample("the quarterly report is attached"), sample("yes! 7 it is")]
    usual = ["yes! see you at 7", "yes! 7 works", "can't tonight, sorry"]
    even = {"logprobs": [(-1.0, 1), (-1.0, 1)], "similarities": [0.5, 0.5], "similarity_weight": 0.5,
            "has_evidence": True, "evidence_replies": usual}
    ranked = rank(drafts, **even, agreement_weight=1.0)
    assert [c["text"] for c in ranked] == ["yes! 7 it is", "the quarterly report is attached"]
    assert ranked[0]["score"] == pytest.approx(score(-1.0, 0.5, 0.5, True))  # relative to the best: the gate's scale
    assert ranked[1]["score"] < ranked[0]["score"] / 2
    ties = rank(drafts, **even, agreement_weight=0.0)
    assert ties[0]["score"] == ties[1]["score"]  # weight 0: agreement does not count


def test_rank_keeps_each_candidates_own_agreement_and_none_where_it_did_not_count():
    drafts = [sample("the quarterly report is attached"), sample("yes! 7 it is")]
    usual = ["yes! see you at 7", "yes! 7 works", "can't tonight, sorry"]
    even = {"logprobs": [(-1.0, 1), (-1.0, 1)], "similarities": [0.5, 0.5], "similarity_weight": 0.5,
            "has_evidence": True, "evidence_replies": usual}
    ranked = rank(drafts, **even, agreement_weight=1.0)
    # the raw chrF, not the factor relative to the best that weighs the score
    assert [c["agreement"] for c in ranked] == [agreement(c["text"], usual) for c in ranked]
    assert [c["agreement"] for c in rank(drafts, **even, agreement_weight=0.0)] == [None, None]
    assert rank(drafts, **(even | {"evidence_replies": usual[:1]}), agreement_weight=1.0)[0]["agreement"] is None
