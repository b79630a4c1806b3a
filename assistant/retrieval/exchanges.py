"""A thread cut into exchanges: what was said to the user, and what the user wrote back.

Pure functions of a thread's messages (already filtered by the privacy policy). Retrieval matches
the current conversation against each exchange's context and shows the user's own reply as
evidence of how they write.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby, takewhile

from assistant.corpus.models import Kind, Message, Thread
from assistant.prompting import ME, conversations, message_text, render_message, speaker


@dataclass(frozen=True)
class Exchange:
    id: str  # "<thread id>:<id of the turn's first message>": stable across re-indexing
    thread_id: int
    thread_title: str
    contact: str  # who the user answered: the last other speaker in the context, else the thread title
    platform: str
    timestamp: datetime  # UTC, of the user's turn
    year: int
    context: str  # the messages before the turn, one `Name: text` line each (the user is `Me`)
    reply: str  # the user's text messages of the turn, one line each (inner breaks as `\n\t`)
    answer: str = ""  # the other side's first text message after the turn, in the same conversation

    @property
    def embedded_text(self) -> str:
        """What the index embeds: the situation the user was in, or the opener itself when there was none."""
        return self.context or self.reply


@dataclass(frozen=True)
class Evidence:
    """A past exchange found like the current conversation: shown to the user beside the drafts."""

    exchange: Exchange
    similarity: float  # cosine between the query and the exchange's embedded text


def _reply_line(text: str) -> str:
    # The transcript's own convention: a line break inside a message continues on a tab-indented line.
    return render_message(ME, text).removeprefix(f"{ME}: ")


def reply_messages(reply: str) -> list[str]:
    """An exchange's reply back as the messages the user sent (the inverse of its one line each)."""
    messages: list[str] = []
    for line in reply.split("\n"):
        if line.startswith("\t") and messages:
            messages[-1] += "\n" + line[1:]
        elif line.strip():
            messages.append(line.strip())
    return messages


def exchanges_from_thread(
    thread: Thread, messages: list[Message], context_messages: int, gap: timedelta | None = None
) -> Iterator[Exchange]:
    """One exchange per user turn (consecutive messages of the user) that has text.

    `messages` are in time order. The context holds up to `context_messages` messages before the
    turn, both sides. A silence longer than `gap` starts a new conversation: neither a turn nor
    its context reaches across it. Media-only turns have no words to learn from and yield nothing; a
    photo in context still tells that something was shown (its placeholder, or its caption).
    """
    for conversation in conversations(messages, gap):
        position = 0
        for is_me, run in groupby(conversation, key=lambda m: m.is_me):
            turn = list(run)
            start, position = position, position + len(turn)
            if not is_me:
                continue
            replies = [_reply_line(m.text) for m in turn if m.kind == Kind.TEXT and m.text.strip()]
            if not replies:
                continue
            before = conversation[max(0, start - context_messages) : start]
            others = [m for m in before if not m.is_me]
            their_turn = takewhile(lambda m: not m.is_me, conversation[position:])
            answer = next((m.text for m in their_turn if m.kind == Kind.TEXT and m.text.strip()), "")
            first = turn[0]
            yield Exchange(
                id=f"{thread.id}:{first.id}",
                thread_id=thread.id,
                thread_title=thread.title,
                contact=speaker(others[-1]) if others else thread.title,
                platform=thread.platform,
                timestamp=first.timestamp,
                year=first.timestamp.year,
                context="\n".join(render_message(speaker(m), message_text(m, "placeholder")) for m in before),
                reply="\n".join(replies),
                answer=answer,
            )
