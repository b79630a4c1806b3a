"""Your past exchanges shown to the model before the conversation: how you answered alike messages.

A base model continues in the voice of what it has just read. Each example is a short conversation
of its own in the transcript format (its header, the last lines said to you, your reply), the closest
one last, next to the conversation being drafted:

    ### WhatsApp chat with Maya · Friday 2024-11-01
    Maya: who's in for friday?
    Me: I'm in, but I can only stay until 8:30.

    ### WhatsApp group "Climbing Crew" · Wednesday 2025-02-19
    Maya: who's in for friday?
    Me:

When the model writes the other side's next message, each example ends with what they answered then:
how they reply to words like yours.

The conversation's own prompt (what training reads, and what feedback keeps) is the same with or
without them: examples are what the model reads at drafting time, not part of a training example.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from assistant.prompting.budget import CHARS_PER_TOKEN
from assistant.prompting.transcript import ME, break_control_text, header, render_message

EXAMPLE_CONTEXT_LINES = 3  # of an exchange's context: the message you answered and what led up to it


@dataclass(frozen=True, slots=True)
class PastExchange:
    platform: str
    contact: str  # who you answered
    day: date
    context: str  # `Name: text` lines, oldest first, as the index keeps them
    reply: str  # your messages, one line each, a line break inside one continuing on a tab-indented line
    answer: str = ""  # what they answered next, shown when the model writes their side


def render_example(exchange: PastExchange) -> str:
    context = exchange.context.split("\n")[-EXAMPLE_CONTEXT_LINES:] if exchange.context else []
    reply = [line if line.startswith("\t") else f"{ME}: {line}" for line in exchange.reply.split("\n")]
    answer = [render_message(exchange.contact, exchange.answer)] if exchange.answer else []
    return "\n".join([header(exchange.platform, exchange.contact, exchange.day), *context, *reply, *answer])


def with_examples(prompt: str, exchanges: Sequence[PastExchange], budget_tokens: int) -> str:
    """`prompt` after as many of `exchanges` (best first) as fit `budget_tokens` (characters / 4), shown
    closest last; conversations are apart by a blank line, which also ends a draft, so the model never
    runs from one into the next."""
    shown: list[str] = []
    room = budget_tokens * CHARS_PER_TOKEN
    for exchange in exchanges:
        rendered = render_example(exchange)
        if len(rendered) + 2 > room:
            break
        shown.insert(0, rendered)
        room -= len(rendered) + 2
    if not shown:
        return prompt
    return break_control_text("\n\n".join(shown)) + "\n\n" + prompt
