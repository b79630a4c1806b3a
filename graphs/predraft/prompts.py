"""From a corpus thread and the chain's working turns to the exact prompts, in assistant.prompting's format.

The user's view of their own current thread is read straight from the corpus (it is not training
data); only the evidence comes through the privacy-filtered index.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from itertools import accumulate

from assistant.config import Settings
from assistant.corpus.models import Kind, Message, Thread
from assistant.models.base import GenerationOptions
from assistant.prompting import ME, Line, build_prompt, header, media_placeholder, render_message, stop_sequences
from graphs.predraft.state import ChainState, Turn

CHARS_PER_TOKEN = 4  # rough size of a token in chat text, for the dataset's context budget in tokens
_NOT_WORDS = {Kind.SYSTEM, Kind.REACTION}


def conversation_turns(messages: Sequence[Message], gap_hours: float, media: str) -> list[Turn]:
    """The conversation going on now: the messages after the last silence longer than `gap_hours`."""
    spoken = [m for m in messages if m.kind not in _NOT_WORDS and not m.unsent]
    gap = timedelta(hours=gap_hours)
    start = 0
    for i in range(1, len(spoken)):
        if spoken[i].timestamp - spoken[i - 1].timestamp > gap:
            start = i
    turns: list[Turn] = []
    for m in spoken[start:]:
        text = m.text if m.text.strip() else (media_placeholder(m.media) if media == "placeholder" else "")
        if text:
            turns.append(Turn(speaker=ME if m.is_me else (m.sender or "Someone"), text=text, source="corpus"))
    return turns


def other_speaker(thread: Thread, turns: Sequence[Turn], my_name: str) -> str:
    """Whose message comes next: the last other speaker, else the other participant, else the title."""
    for t in reversed(turns):
        if t["speaker"] != ME:
            return t["speaker"]
    others = [p for p in thread.participants if p != my_name]
    return others[0] if others else thread.title


def prompt_lines(turns: Sequence[Turn], max_messages: int, context_tokens: int) -> list[Line]:
    """The latest turns that fit the dataset's context limits (count, then an approximate token budget)."""
    recent = turns[-max_messages:]
    ends = line_ends(render_message(t["speaker"], t["text"]) for t in recent)
    start = context_start(ends, len(recent), len(recent), context_tokens)
    return [Line(t["speaker"], t["text"]) for t in recent[start:]]


def line_ends(rendered: Iterable[str]) -> list[int]:
    """ends[i]: characters of the first i rendered lines, each with its newline."""
    return list(accumulate((len(line) + 1 for line in rendered), initial=0))


def context_start(ends: Sequence[int], before: int, max_messages: int, context_tokens: int) -> int:
    """The first line of the context that precedes line `before`: at most `max_messages` lines, the
    earliest from which the rest fits `context_tokens` (as characters / 4); the latest line always."""
    first = max(0, before - max_messages)
    return bisect_left(ends, ends[before] - context_tokens * CHARS_PER_TOKEN, first, max(first, before - 1))


def transcript_prompt(state: ChainState, settings: Settings, speaker: str = ME) -> str:
    head = header(state["platform"], state["contact"], date.fromisoformat(state["header_date"]), state["is_group"])
    lines = prompt_lines(state["context"], settings.dataset.max_context_messages, settings.dataset.context_tokens)
    return build_prompt(head, lines, speaker=speaker)


def retrieval_query(turns: Sequence[Turn], n: int) -> str:
    """The last `n` turns in the same `Name: text` form as the index's exchange contexts."""
    return "\n".join(render_message(t["speaker"], t["text"]) for t in turns[-n:])


def speakers(state: ChainState) -> set[str]:
    return {t["speaker"] for t in state["context"]} | {state["other"]}


def draft_options(settings: Settings, other_speakers: Iterable[str], attempt: int) -> GenerationOptions:
    """Sampling for the user's reply; each regeneration moves to seeds no earlier attempt used."""
    options = GenerationOptions.from_settings(settings.model, stop=stop_sequences(other_speakers))
    return replace(options, seed=options.seed + attempt * settings.draft.candidates)


def predict_options(settings: Settings, all_speakers: Iterable[str], other: str) -> GenerationOptions:
    """The other side's likeliest next message: it may run over several of their lines, never into ours."""
    stops = [*stop_sequences(s for s in all_speakers if s != other), f"\n{ME}:"]
    options = GenerationOptions.from_settings(settings.model, stop=stops)
    return replace(options, temperature=settings.draft.predict_temperature)
