"""The model reads your closest past exchanges before the conversation (`draft.examples`)."""

from __future__ import annotations

from dataclasses import replace

from graph_doubles import PAST_EXCHANGES, ListIndex, WordsEmbedder

from assistant.config import load_settings
from graphs.predraft.api import DraftChain


def test_the_model_reads_your_closest_exchanges_before_the_conversation(data_dir, corpus, backend, index):
    settings = load_settings(data_dir, {"draft": {"examples": 2, "past_replies": 0}})
    scored: list[str] = []
    score = backend.score_tokens
    backend.score_tokens = lambda prompt, continuation: (scored.append(prompt), score(prompt, continuation))[1]
    with DraftChain(settings, backend=backend, index=index) as chain:
        view = chain.start("Maya")
        read = backend.calls[0][0]
        examples = read.removesuffix(view.prompt)
        assert examples != read  # the conversation's own prompt comes last, whole
        closest, second = (e.exchange for e in view.evidence[:2])
        # each a conversation of its own, the closest last, next to the one being drafted
        assert examples.index(f"Me: {second.reply}\n\n") < examples.index(f"Me: {closest.reply}\n\n")
        assert examples.count("### ") == 2 and all(e.exchange.reply not in examples for e in view.evidence[2:])
        assert set(scored) == {view.prompt}  # ranked under the conversation alone, where copying gains nothing
        chain.resume(view.chain_id, "accept", chosen_index=0)
        (decision,) = chain.feedback.decisions()
        assert decision.prompt == view.prompt  # feedback keeps the form training reads


def test_none_shown_when_turned_off(data_dir, corpus, backend, index):
    settings = load_settings(data_dir, {"draft": {"examples": 0, "past_replies": 0}})
    with DraftChain(settings, backend=backend, index=index) as chain:
        view = chain.start("Maya")
        assert {prompt for prompt, _ in backend.calls} == {view.prompt}


def test_the_model_writing_their_message_reads_what_they_answered_then(data_dir, corpus, backend):
    answered = replace(PAST_EXCHANGES[0], answer="perfect, bring the speaker")
    index = ListIndex([answered, *PAST_EXCHANGES[1:]], WordsEmbedder())
    settings = load_settings(data_dir, {"draft": {"examples": 3, "past_replies": 0, "past_answers": False}})
    with DraftChain(settings, backend=backend, index=index) as chain:
        view = chain.start("Maya")
        chain.resume(view.chain_id, "accept", chosen_index=0)
        (predicting,) = [p for p, _ in backend.calls if p.endswith("\nMaya:")]
        example = f"Me: {answered.reply}\n{answered.contact}: perfect, bring the speaker\n\n"
        assert example in predicting  # their answer, in their name, after your reply
        drafting = backend.calls[0][0]
        assert "perfect, bring the speaker" not in drafting  # your drafts read your replies alone
