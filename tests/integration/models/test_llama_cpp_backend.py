"""The llama.cpp backend on the real default model (Gemma 3 270M base): generation, scoring, cache reuse."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from assistant.models import GenerationOptions
from assistant.models.llama_cpp import LlamaCppBackend

pytestmark = pytest.mark.slow

PROMPT = "Friend: are you coming tonight?\nMe:"
ONE_LINE = GenerationOptions(max_tokens=16, stop=("\n",))


def test_stream_yields_pieces_that_make_up_the_completion(backend: LlamaCppBackend):
    pieces = list(backend.stream(PROMPT, ONE_LINE))
    assert len(pieces) > 1 and all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces) == backend.complete(PROMPT, ONE_LINE)  # same seed, same text


def test_complete_answers_with_one_line(backend: LlamaCppBackend):
    reply = backend.complete(PROMPT, ONE_LINE)
    assert reply.strip() and "\n" not in reply
    assert backend.model_id == "gemma-3-270m-q4_k_m.gguf" and backend.adapter_id == ""


def test_candidates_use_consecutive_seeds_and_report_every_piece(backend: LlamaCppBackend):
    seen: dict[int, str] = {0: "", 1: "", 2: ""}

    def on_piece(i: int, piece: str) -> None:
        seen[i] += piece

    texts = backend.candidates(PROMPT, ONE_LINE, 3, on_piece)
    assert len(texts) == 3 and all(isinstance(t, str) and t.strip() for t in texts)
    assert seen == dict(enumerate(texts))
    assert texts == backend.candidates(PROMPT, ONE_LINE, 3)
    assert texts[1] == backend.complete(PROMPT, replace(ONE_LINE, seed=ONE_LINE.seed + 1))


def test_a_plausible_reply_outscores_junk_of_the_same_length(backend: LlamaCppBackend):
    plausible, junk = " yes, I'll be there by eight.", " qzv plorkt ee zxq bnf vvkl 9"
    assert len(plausible) == len(junk)
    good, bad = backend.score(PROMPT, plausible), backend.score(PROMPT, junk)
    assert bad < good < 0
    assert good < backend.score(PROMPT, " yes")  # a total, not a mean: more tokens, lower log-prob


def test_score_does_not_depend_on_what_the_cache_holds(backend: LlamaCppBackend, thread_prompt: str):
    reply = " by bike, see you at 7!\n"
    backend.llm.reset()
    cold = backend.score(thread_prompt, reply)
    backend.complete(thread_prompt, ONE_LINE)  # the cache now ends with a sampled reply
    # A misaligned cache would be off by whole nats; batch shapes alone change the last digits.
    assert backend.score(thread_prompt, reply) == pytest.approx(cold, abs=0.05)
    assert backend.score(thread_prompt, reply) == pytest.approx(cold, abs=0.05)  # fully cached


def test_cancel_stops_the_stream_at_once(backend: LlamaCppBackend):
    cancel = threading.Event()
    pieces = []
    for piece in backend.stream(PROMPT, GenerationOptions(max_tokens=48), cancel):
        pieces.append(piece)
        cancel.set()
    assert len(pieces) == 1
    assert backend.candidates(PROMPT, ONE_LINE, 3, cancel=cancel) == ["", "", ""]


def test_a_shared_prefix_is_not_evaluated_again(backend: LlamaCppBackend, thread_prompt: str):
    reply = backend.complete(thread_prompt, ONE_LINE)
    next_step = thread_prompt + reply + "\nMaya: great, see you then!\nMe:"
    new_tokens = len(backend.tokenize(next_step)) - len(backend.tokenize(thread_prompt))
    before = backend.prompt_tokens_evaluated()
    backend.complete(next_step, replace(ONE_LINE, max_tokens=1))
    assert backend.prompt_tokens_evaluated() - before <= new_tokens + len(backend.tokenize(reply))

    backend.llm.reset()  # cold: the whole transcript again
    before = backend.prompt_tokens_evaluated()
    backend.complete(next_step, replace(ONE_LINE, max_tokens=1))
    assert backend.prompt_tokens_evaluated() - before == len(backend.tokenize(next_step))


def test_a_prompt_longer_than_the_context_keeps_its_end(default_gguf, thread_prompt: str):
    with LlamaCppBackend(default_gguf, n_ctx=128) as small:
        long_prompt = thread_prompt * 2  # ~600 tokens
        assert len(small.tokenize(long_prompt)) > 128
        reply = small.complete(long_prompt, ONE_LINE)
        assert reply.strip()
        assert small.llm.n_tokens <= 128
        assert small.score(long_prompt, " by bike!") < 0
