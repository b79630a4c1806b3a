"""How much of a conversation a prompt holds: at most `dataset.max_context_messages` lines, and the
latest of them that fit `dataset.context_tokens` (counted as characters / CHARS_PER_TOKEN).

The dataset builder renders each conversation once and cuts every example's context with
`context_start`; inference and the chat cut theirs with `prompt_lines`, the same rule on turns.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import accumulate

from assistant.config import DatasetSettings
from assistant.prompting.conversation import Turn
from assistant.prompting.transcript import ME, Line, build_prompt, render_message

CHARS_PER_TOKEN = 4  # rough size of a token in chat text, for the dataset's context budget in tokens


def line_ends(rendered: Iterable[str]) -> list[int]:
    """ends[i]: characters of the first i rendered lines, each with its newline."""
    return list(accumulate((len(line) + 1 for line in rendered), initial=0))


def context_start(ends: Sequence[int], before: int, max_messages: int, context_tokens: int) -> int:
    """The first line of the context that precedes line `before`: at most `max_messages` lines, the
    earliest from which the rest fits `context_tokens` (as characters / 4); the latest line always."""
    first = max(0, before - max_messages)
    return bisect_left(ends, ends[before] - context_tokens * CHARS_PER_TOKEN, first, max(first, before - 1))


def prompt_lines(turns: Sequence[Turn], max_messages: int, context_tokens: int) -> list[Line]:
    """The latest turns that fit the context limits (count, then an approximate token budget)."""
    recent = turns[-max_messages:]
    ends = line_ends(render_message(t["speaker"], t["text"]) for t in recent)
    start = context_start(ends, len(recent), len(recent), context_tokens)
    return [Line(t["speaker"], t["text"]) for t in recent[start:]]


def context_prompt(head: str, turns: Sequence[Turn], dataset: DatasetSettings, speaker: str = ME) -> str:
    """The prompt for `speaker` after `turns`, holding as much of them as a training prompt would."""
    return build_prompt(head, prompt_lines(turns, dataset.max_context_messages, dataset.context_tokens), speaker)
