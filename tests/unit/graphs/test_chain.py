"""The whole graph with a scripted model and a list index: flow, state and side effects, exactly."""

import threading
from datetime import UTC, date, datetime

import pytest
from graph_doubles import ListIndex, ScriptedBackend, WordsEmbedder

from assistant.corpus.store import CorpusError
from assistant.models.base import ScoringUnsupported
from assistant.prompting import ME, NEUTRAL_CONTACT
from assistant.retrieval.index import EmptyIndexError
from graphs.predraft.api import ChainError, DraftChain, prediction_stats
from graphs.predraft.context import ChainContext
from training.examples import thread_examples

# seeds 7, 8, 9 pick these replies; ranked by closeness to the evidence replies and by length
FIRST_DRAFTS = ["can't tonight, sorry", "sounds good, see you at 8", "sure! bringing snacks"]


def test_the_draft_that_says_what_you_said_before_comes_first(settings, corpus, backend, index):
    # you answered "are you coming tonight?" with "sounds good, see you at 9": of the scripted samples the one
    # that shares most with your replies in the evidence rises above "can't tonight, sorry", first without it
    agreeing = settings.model_copy(update={"draft": settings.draft.model_copy(update={"agreement_weight": 1.0})})
    with DraftChain(agreeing, backend=backend, index=index) as chain:
        view = chain.start("Maya")
    assert [c.text for c in view.candidates][0] == "sounds good, see you at 8"
    assert sorted(c.text for c in view.candidates) == sorted(FIRST_DRAFTS)
    assert view.confidence == view.candidates[0].score
    assert view.candidates[0].agreement == max(c.agreement for c in view.candidates)  # shown to the reviewer


def _decisions(chain: DraftChain) -> list:
    return list(chain.feedback.decisions())


def test_start_stops_at_review_with_ranked_candidates_and_evidence(chain, index):
    tokens: list[tuple[int, str]] = []
    view = chain.start("Maya", on_token=lambda i, piece: tokens.append((i, piece)))
    assert view.status == "awaiting_review" and view.step == 0 and view.depth == 2
    assert [c.text for c in view.candidates] == FIRST_DRAFTS
    assert view.confidence == view.candidates[0].score
    assert view.candidates[0].similarity == pytest.approx(1.0)  # the user wrote exactly this before
    assert {c.agreement for c in view.candidates} == {None}  # agreement_weight 0: not computed
    assert view.evidence[0].exchange.reply == "sounds good, see you at 9"
    assert view.prompt.endswith("Maya: are you coming tonight?\nMe:")
    assert view.prompt.startswith("### WhatsApp chat with Maya · Monday 2023-05-01\n")
    assert "".join(piece for i, piece in tokens if i == 0) == " can't tonight, sorry"
    # the query is the thread's last messages; the thread's own exchanges from the start of the conversation
    # going on are left out (those before its last message are in the prompt already, the rest its future)
    query = index.queries[0]
    assert query["query"].splitlines()[-1] == "Maya: are you coming tonight?"
    assert query["exclude_thread"] == (view.thread_id, datetime(2023, 5, 1, 18, 0, tzinfo=UTC))
    assert query["before"] is None


def test_accept_records_once_predicts_and_pre_drafts_the_next_reply(chain, backend):
    first = chain.start("Maya")
    view = chain.resume(first.chain_id, "accept", chosen_index=1)
    assert (view.status, view.step) == ("awaiting_review", 1)
    assert view.predicted_incoming == "great, see you there\nbring the speaker"
    assert [c.text for c in view.predraft] == [c.text for c in view.candidates]
    assert "Me: sounds good, see you at 8\nMaya: great, see you there\nMaya: bring the speaker\nMe:" in view.prompt
    assert [t["source"] for t in view.context[-3:]] == ["accepted", "predicted", "predicted"]
    [decision] = _decisions(chain)
    assert (decision.action, decision.chosen_index, decision.final_text) == ("accept", 1, "sounds good, see you at 8")
    assert (decision.chain_id, decision.step, decision.model_id) == (first.chain_id, 0, "scripted-model")
    assert decision.candidates == FIRST_DRAFTS and decision.prompt == first.prompt
    assert decision.latency_ms is not None and decision.latency_ms >= 0
    assert [h["event"] for h in view.history] == ["accept", "predicted"]


def test_depth_ends_the_chain_and_done_chains_refuse_answers(chain):
    view = chain.start("Maya", depth=1)
    done = chain.resume(view.chain_id, "edit", chosen_index=0, text="can't tonight, sorry!! next week?")
    assert done.status == "done" and done.step == 1
    [decision] = _decisions(chain)
    assert (decision.action, decision.final_text, decision.edit_distance) == (
        "edit", "can't tonight, sorry!! next week?", 13)
    with pytest.raises(ChainError, match="is finished"):
        chain.resume(view.chain_id, "accept")


def test_regenerate_samples_new_seeds_and_drops_near_repeats(chain, backend):
    view = chain.start("Maya")
    again = chain.resume(view.chain_id, "regenerate")
    assert again.step == 0
    # seeds 10, 11, 12: "Sounds good, see you at 8!" and "sounds good, see you at 8" are one suggestion
    assert sorted(c.text for c in again.candidates) == ["Sounds good, see you at 8!", "can't tonight, sorry"]
    assert [o.seed for _, o in backend.calls[-3:]] == [10, 11, 12]
    assert [d.action for d in _decisions(chain)] == ["regenerate"]


def test_reject_stops_the_chain(chain):
    view = chain.start("Maya")
    assert chain.resume(view.chain_id, "reject").status == "done"
    assert [d.action for d in _decisions(chain)] == ["reject"]


def test_low_confidence_says_no_suggestion_but_keeps_the_chain_going(settings, corpus, backend, index):
    strict = settings.model_copy(update={"draft": settings.draft.model_copy(update={"confidence_threshold": 0.99})})
    with DraftChain(strict, backend=backend, index=index) as chain:
        view = chain.start("Maya")
        assert view.status == "low_confidence" and len(view.candidates) == 3
        assert chain.resume(view.chain_id, "regenerate").status == "low_confidence"


def test_a_hit_serves_the_pre_draft_without_drafting_again(chain, backend):
    view = chain.resume(chain.start("Maya").chain_id, "accept", chosen_index=1)
    calls = len(backend.calls)
    served = chain.incoming(view.chain_id, "Great, see you there! Bring the speaker")
    assert served.hit is True and len(backend.calls) == calls
    assert [c.text for c in served.candidates] == [c.text for c in view.predraft]
    assert served.context[-1] == {"speaker": "Maya", "text": "Great, see you there! Bring the speaker",
                                  "source": "incoming"}
    assert "predicted" not in [t["source"] for t in served.context]
    assert prediction_stats(chain.settings) == {"hits": 1, "misses": 0}


def test_a_miss_drafts_again_for_what_was_really_said(chain, backend):
    view = chain.resume(chain.start("Maya").chain_id, "accept", chosen_index=1)
    redrafted = chain.incoming(view.chain_id, "actually can we make it 9?")
    assert redrafted.hit is False and redrafted.status == "awaiting_review"
    assert backend.calls[-1][0].endswith("Me: sounds good, see you at 8\nMaya: actually can we make it 9?\nMe:")
    assert [c.text for c in redrafted.predraft] == [c.text for c in view.predraft]  # kept for comparison
    assert redrafted.history[-1]["event"] == "incoming" and redrafted.history[-1]["hit"] is False
    assert prediction_stats(chain.settings) == {"hits": 0, "misses": 1}


def test_a_message_before_any_prediction_just_drafts_again(chain, backend):
    view = chain.start("Maya")
    again = chain.incoming(view.chain_id, "also, bring dessert")
    assert again.hit is None and again.step == 0
    assert backend.calls[-1][0].endswith("Maya: are you coming tonight?\nMaya: also, bring dessert\nMe:")
    assert prediction_stats(chain.settings) == {"hits": 0, "misses": 0}


def test_a_rerun_record_node_writes_the_decision_once(chain):
    view = chain.resume(chain.start("Maya").chain_id, "accept", chosen_index=0)
    before_record = next(s for s in chain.graph.get_state_history({"configurable": {"thread_id": view.chain_id}})
                         if s.next == ("record",))
    context = ChainContext(settings=chain.settings, corpus=chain.corpus, feedback=chain.feedback,
                           ledger=chain.ledger, resources=chain.resources)
    replayed = chain.graph.invoke(None, before_record.config, context=context)  # record, predict, pre-draft again
    assert replayed["history"][-2:] == view.history[-2:] and "__interrupt__" in replayed
    assert len(_decisions(chain)) == 1


def test_unreviewed_decisions_move_the_chain_without_feedback(chain):
    view = chain.start("Maya")
    assert chain.resume(view.chain_id, "accept", reviewed=False).step == 1
    assert _decisions(chain) == []


def test_a_chain_resumes_from_a_new_chain_object(settings, chain, backend, index):
    view = chain.start("Maya", chain_id="maya-1")
    with DraftChain(settings, backend=backend, index=index) as other:
        assert other.view("maya-1").candidates == view.candidates
        assert other.resume("maya-1", "accept").step == 1
    assert chain.latest_chain(view.thread_id) == "maya-1"


def test_cancel_lands_at_review_and_regenerate_finishes(chain):
    cancel = threading.Event()
    cancel.set()
    view = chain.start("Maya", cancel=cancel)
    assert (view.status, view.candidates, view.confidence) == ("low_confidence", [], 0.0)
    assert len(chain.resume(view.chain_id, "regenerate").candidates) == 2


def test_a_chain_cut_off_mid_draft_is_stalled_until_regenerated(chain, backend):
    def broken(*args, **kwargs):
        raise RuntimeError("process died")

    backend.candidates = broken
    with pytest.raises(RuntimeError):
        chain.start("Maya", chain_id="cut")
    assert chain.view("cut").status == "stalled"
    with pytest.raises(ChainError, match="regenerate"):
        chain.resume("cut", "accept")
    del backend.candidates
    assert chain.resume("cut", "regenerate").status == "awaiting_review"


def test_as_of_dates_the_header_and_cuts_the_evidence(chain):
    view = chain.start("Maya", as_of=date(2022, 12, 31))
    assert view.prompt.startswith("### WhatsApp chat with Maya · Saturday 2022-12-31\n")
    assert sorted(e.exchange.year for e in view.evidence) == [2021, 2022]
    assert view.as_of == date(2022, 12, 31)


def test_redact_names_heads_the_prompt_as_training_did(settings, corpus, backend, index):
    redacting = settings.model_copy(update={"privacy": settings.privacy.model_copy(update={"redact_names": True})})
    thread = corpus.thread("Maya")
    messages = corpus.messages(thread.id)
    [trained] = thread_examples(thread, messages, redacting.dataset, "Alex", redact_names=True).examples
    with DraftChain(redacting, backend=backend, index=index) as chain:
        view = chain.resume(chain.start("Maya").chain_id, "accept", chosen_index=0)
    assert trained.header == f"### WhatsApp chat with {NEUTRAL_CONTACT} · Monday 2023-05-01"
    assert view.prompt.startswith(trained.header + "\n")
    # the other side keeps their name where it is theirs: their lines, the prediction, the stop sequences
    assert view.prompt.endswith("Maya: great, see you there\nMaya: bring the speaker\nMe:")
    assert "\nMaya:" in backend.calls[-1][1].stop  # the pre-draft after the prediction


def test_clear_errors_for_bad_requests(settings, chain, backend):
    with pytest.raises(CorpusError, match="no thread 'Nobody'"):
        chain.start("Nobody")
    with pytest.raises(ChainError, match="no chain 'nope'"):
        chain.view("nope")
    view = chain.start("Maya", chain_id="dup")
    with pytest.raises(ChainError, match="exists already"):
        chain.start("Maya", chain_id="dup")
    with pytest.raises(ChainError, match="no #7"):
        chain.resume(view.chain_id, "accept", chosen_index=7)
    with pytest.raises(ChainError, match="edit needs the text"):
        chain.resume(view.chain_id, "edit", text="  ")
    with pytest.raises(ChainError, match="unknown action 'send'"):
        chain.resume(view.chain_id, "send")
    empty_index = ListIndex([], WordsEmbedder())
    with DraftChain(settings, backend=backend, index=empty_index) as empty, pytest.raises(EmptyIndexError):
        empty.start("Maya")


def test_drafting_needs_to_know_who_the_user_is(settings, corpus, index):
    corpus.db.execute("UPDATE people SET is_me = 0")
    chain = DraftChain(settings, backend=ScriptedBackend(), index=index)
    with chain, pytest.raises(ChainError, match="me set NAME"):
        chain.start("Maya")


class EchoingBackend(ScriptedBackend):
    """Predicts, at its likeliest (temperature 0), that Maya repeats the user's reply word for word."""

    def stream(self, prompt, options, cancel=None):
        speaker = prompt.rsplit("\n", 1)[-1].removesuffix(":")
        if speaker != ME and options.temperature == 0:
            self.calls.append((prompt, options))
            last_reply = prompt.rsplit("\nMe: ", 1)[-1].split("\n")[0]
            yield " " + last_reply
            return
        yield from super().stream(prompt, options, cancel)


def test_drafts_and_predictions_never_echo_the_conversation(settings, corpus, index):
    backend = EchoingBackend()
    with DraftChain(settings, backend=backend, index=index) as chain:
        first = chain.start("Maya")
        view = chain.resume(first.chain_id, "accept", chosen_index=1)  # "sounds good, see you at 8"
        # the likeliest prediction repeated the reply: sampled again, with a new seed
        assert view.predicted_incoming == "great, see you there\nbring the speaker"
        predictions = [o for p, o in backend.calls if not p.endswith("\nMe:")]
        assert [o.temperature == 0 for o in predictions] == [True, False]
        # seed 8 drafts "sounds good, see you at 8" again: an echo of the accepted reply, dropped
        assert [c.text for c in view.candidates] == ["can't tonight, sorry", "sure! bringing snacks"]


def test_a_prediction_that_only_ever_echoes_ends_the_chain(settings, corpus, index):
    class AlwaysEchoing(EchoingBackend):
        PREDICTION = "sounds good, see you at 8"

    with DraftChain(settings, backend=AlwaysEchoing(), index=index) as chain:
        first = chain.start("Maya")
        view = chain.resume(first.chain_id, "accept", chosen_index=1)
        assert view.predicted_incoming is None and view.status == "done"


class UnscoredBackend(ScriptedBackend):
    """A server that generates but returns no log-probabilities (Ollama's OpenAI API)."""

    def score_tokens(self, prompt: str, continuation: str) -> tuple[float, int]:
        raise ScoringUnsupported("no prompt log-probabilities on /v1/completions")


def test_a_server_without_log_probabilities_still_drafts_ranked_by_style(settings, corpus, index):
    style_alone = settings.model_copy(update={"draft": settings.draft.model_copy(update={"length_weight": 0.0})})
    with DraftChain(style_alone, backend=UnscoredBackend(), index=index) as chain:
        view = chain.start("Maya")
    assert view.status == "awaiting_review" and view.candidates
    assert all(c.logprob is None for c in view.candidates)
    assert [c.score for c in view.candidates] == sorted((c.similarity for c in view.candidates), reverse=True)
