"""The user's own past replies offered beside the model's samples (`draft.past_replies`)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from graph_doubles import PAST_EXCHANGES, ListIndex, WordsEmbedder

from assistant.config import ConfigError, load_settings
from graphs.predraft.api import DraftChain
from graphs.predraft.views import Candidate


@pytest.fixture
def chain(data_dir, corpus, backend, index):
    settings = load_settings(data_dir, {"draft": {"confidence_threshold": 0.2, "past_replies": 2,
                                                  "past_reply_similarity": 0.5}})
    with DraftChain(settings, backend=backend, index=index) as c:
        yield c


def test_close_past_replies_join_the_candidates_marked_with_their_exchange(chain):
    view = chain.start("Maya")
    past = [c for c in view.candidates if c.source == "past"]
    matches = {e.exchange.id: e.similarity for e in view.evidence}
    # every evidence reply at or above 0.5 (here two), the best-matching exchanges first
    assert [c.evidence_id for c in sorted(past, key=lambda c: -c.similarity)] == \
        [i for i, s in sorted(matches.items(), key=lambda kv: -kv[1]) if s >= 0.5][:2]
    first = next(c for c in past if c.text == "sounds good, see you at 9")
    assert first.similarity == pytest.approx(matches[first.evidence_id])  # style: how alike the exchange was
    assert first.origin(view.evidence).startswith("your reply to Jonas, 2021-03-02 · match")
    # the model's "sounds good, see you at 8" nearly repeats it: the user's own words are shown instead
    assert "sounds good, see you at 8" not in [c.text for c in view.candidates]
    assert all(c.origin(view.evidence).startswith("style") for c in view.candidates if c.source == "model")


def test_the_detail_line_says_how_much_a_candidate_agrees_only_where_that_was_computed():
    assert Candidate("ok", -0.2, 0.57, 0.66).origin([]) == "style 0.57"
    assert Candidate("ok", -0.2, 0.57, 0.66, agreement=0.31).origin([]) == "style 0.57 · agrees 0.31"
    past = Candidate("ok", None, 0.7, 0.79, source="past", evidence_id="1:2", agreement=0.312)
    assert past.origin([]) == "your past reply · match 0.70 · agrees 0.31"


def test_accepting_a_past_reply_sends_it_and_records_it(chain):
    view = chain.start("Maya")
    index = next(i for i, c in enumerate(view.candidates) if c.source == "past")
    after = chain.resume(view.chain_id, "accept", chosen_index=index)
    accepted = [t["text"] for t in after.context if t["source"] == "accepted"]
    assert accepted == [view.candidates[index].text]
    (decision,) = chain.feedback.decisions()
    assert decision.final_text == view.candidates[index].text and decision.action == "accept"


def test_none_offered_when_turned_off(data_dir, corpus, backend, index):
    settings = load_settings(data_dir, {"draft": {"past_replies": 0}})
    with DraftChain(settings, backend=backend, index=index) as chain:
        assert {c.source for c in chain.start("Maya").candidates} == {"model"}


def test_their_past_answer_is_the_prediction_when_you_send_your_past_reply(data_dir, corpus, backend):
    answered = replace(PAST_EXCHANGES[0], answer="perfect, bring the speaker")  # "sounds good, see you at 9"
    index = ListIndex([answered, *PAST_EXCHANGES[1:]], WordsEmbedder())
    settings = load_settings(data_dir, {"draft": {"past_replies": 2, "past_reply_similarity": 0.5}})
    with DraftChain(settings, backend=backend, index=index) as chain:
        view = chain.start("Maya")
        chosen = next(i for i, c in enumerate(view.candidates) if c.evidence_id == answered.id)
        after = chain.resume(view.chain_id, "accept", chosen_index=chosen)
        assert after.predicted_incoming == "perfect, bring the speaker"
        assert after.history[-1] | {"text": None} == {"step": 1, "event": "predicted", "text": None, "source": "past"}
        assert not [p for p, _ in backend.calls if p.endswith("\nMaya:")]  # the model was not asked
        # a reply unlike any past one: what they answered in the closest exchange, still without the model
        other = chain.start("Maya")
        model_pick = next(i for i, c in enumerate(other.candidates) if c.source == "model")
        closest = chain.resume(other.chain_id, "accept", chosen_index=model_pick)
        assert (closest.predicted_incoming, closest.history[-1]["source"]) == ("perfect, bring the speaker", "past")
    # no exchange with an answer: the model predicts, as without past answers
    with DraftChain(settings, backend=backend, index=ListIndex(PAST_EXCHANGES, WordsEmbedder())) as chain:
        view = chain.start("Maya")
        assert chain.resume(view.chain_id, "accept", chosen_index=0).history[-1]["source"] == "model"


def test_the_other_likely_messages_come_with_your_past_replies_ready(data_dir, corpus, backend):
    answers = ("perfect, bring the speaker", "great, thanks for bringing it", "no worries, next time")
    index = ListIndex([replace(e, answer=a) for e, a in zip(PAST_EXCHANGES, answers, strict=True)], WordsEmbedder())
    settings = load_settings(data_dir, {"draft": {"past_replies": 2, "past_reply_similarity": 0.0, "predictions": 3}})
    with DraftChain(settings, backend=backend, index=index) as chain:
        view = chain.start("Maya")
        chosen = next(i for i, c in enumerate(view.candidates) if c.evidence_id == PAST_EXCHANGES[0].id)
        after = chain.resume(view.chain_id, "accept", chosen_index=chosen)
        assert after.predicted_incoming == "perfect, bring the speaker"  # the likeliest: the model pre-drafts for it
        assert sorted(after.alternatives) == sorted(answers[1:])  # then the closest exchanges' answers
        asked = len(backend.calls)
        # Maya sends the second likeliest message: your past replies for it are served, no model call
        served = chain.incoming(after.chain_id, "Great, thanks for bringing it!")
        assert served.hit is True and len(backend.calls) == asked
        assert served.candidates and {c.source for c in served.candidates} == {"past"}
        assert served.status == "awaiting_review" and served.prompt.endswith("Maya: Great, thanks for bringing it!\nMe:")
        assert served.history[-1]["alternative"] == "great, thanks for bringing it"
        assert chain.ledger.prediction_counts() == {"hits": 1, "misses": 0}
        # what was served is reviewed like any draft: accepting it sends it
        done = chain.resume(served.chain_id, "accept", chosen_index=0)
        assert [t["text"] for t in done.context if t["source"] == "accepted"][-1] == served.candidates[0].text


def test_one_prediction_holds_no_alternatives(data_dir, corpus, backend):
    index = ListIndex([replace(e, answer=f"answer {i}") for i, e in enumerate(PAST_EXCHANGES)], WordsEmbedder())
    settings = load_settings(data_dir, {"draft": {"past_replies": 2, "past_reply_similarity": 0.0, "predictions": 1}})
    with DraftChain(settings, backend=backend, index=index) as chain:
        view = chain.start("Maya")
        after = chain.resume(view.chain_id, "accept", chosen_index=0)
        assert after.predicted_incoming and after.alternatives == []
        missed = chain.incoming(after.chain_id, "answer 2")
        assert missed.hit is False


def test_no_predictions_at_all_is_a_settings_error_not_a_silent_switch_to_the_model(data_dir):
    with pytest.raises(ConfigError, match=r"draft\.predictions: Input should be greater than 0"):
        load_settings(data_dir, {"draft": {"predictions": 0}})
