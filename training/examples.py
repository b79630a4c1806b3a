"""From a thread's messages to training examples: one per user turn, in the inference prompt format.

Pure functions. The conventions that decide what the model sees (which messages count, media
placeholders, conversation breaks, the header's contact and date, the context budget) are
assistant.prompting's, which the draft graph follows too, so a training prompt is byte for byte the
prompt `predraft draft` would build at that point of the thread. Each conversation's lines are
rendered once (`SessionTranscript`) and every turn's prompt is joined from them;
tests/unit/training/test_examples.py checks the result against `prompt_lines` + `build_prompt`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from assistant.config import DatasetSettings
from assistant.corpus.models import Kind, Message, Thread
from assistant.prompting import (
    ME,
    Turn,
    contact_label,
    context_start,
    conversations,
    header,
    line_ends,
    local_date,
    message_turns,
    other_speaker,
    prompt_from_rendered,
    render_message,
    render_reply,
)

# One header per chat and day: formatting the date is a good share of an example's cost (see benchmarks/dataset.py).
cached_header = lru_cache(maxsize=4096)(header)
_LINK = re.compile(r"(?:https?://|www\.)\S+|<URL>|\[URL\]", re.IGNORECASE)
_LINK_STARTS = "hHwW<["  # a reply (stripped) made of links starts with one: the others skip the regex

# Why a user turn did not become an example, in the order the checks run.
FILTERS = ("empty", "media-only", "link-only", "too-short", "too-long", "duplicate")


@dataclass(frozen=True, slots=True)
class Example:
    """One training example: `prompt + target` is the transcript, the loss is on `target` only."""

    prompt: str  # header + context + "Me:", exactly as at inference
    target: str  # render_reply(messages): " yes\nMe: on my way\n"
    messages: tuple[str, ...]  # the user's messages of the turn
    when: datetime  # UTC time of the turn's first message
    thread_id: int
    session: str  # "<thread id>:<n>": the conversation (gap-separated) the turn belongs to
    platform: str
    context_messages: int
    source: str = "corpus"  # or "feedback"

    @property
    def header(self) -> str:
        return self.prompt.split("\n", 1)[0]

    @property
    def context(self) -> str:
        """The transcript lines between the header and the final `Me:`."""
        body = self.prompt.split("\n", 1)[1] if "\n" in self.prompt else ""
        return body.removesuffix(f"{ME}:").rstrip("\n")

    @property
    def reply(self) -> str:
        return "\n".join(self.messages)


@dataclass
class ThreadOutcome:
    examples: list[Example]
    removed: Counter[str]  # filter name -> user turns it removed


def user_turns(session: Sequence[Message]) -> Iterator[tuple[int, int]]:
    """(start, end) index ranges of runs of consecutive messages by the user."""
    start = None
    for i, m in enumerate(session):
        if m.is_me and start is None:
            start = i
        elif not m.is_me and start is not None:
            yield start, i
            start = None
    if start is not None:
        yield start, len(session)


def reply_messages(run: Sequence[Message]) -> list[str]:
    """The user's text messages of a turn (media are context, never something to generate)."""
    return [text for m in run if m.kind == Kind.TEXT and (text := m.text.strip())]


def rejection(run: Sequence[Message], replies: list[str], settings: DatasetSettings) -> str | None:
    """The first filter a turn fails (see FILTERS), or None when it makes an example."""
    if not replies:
        return "media-only" if any(m.kind == Kind.MEDIA for m in run) else "empty"
    if all(r[0] in _LINK_STARTS and not _LINK.sub("", r).strip() for r in replies):
        return "link-only"
    size = sum(map(len, replies))
    if size < settings.min_reply_chars:
        return "too-short"
    if size > settings.max_reply_chars:
        return "too-long"
    return None


def aligned_turns(session: Sequence[Message], settings: DatasetSettings) -> tuple[list[Turn], Sequence[int]]:
    """The session's turns, and for each message (and for the end) how many turns come before it.

    When every message made one turn (always, with media placeholders) turn i is message i; otherwise
    (`media = "drop"`) each message is converted on its own to see which made none.
    """
    flat = message_turns(session, settings.media)
    if len(flat) == len(session):
        return flat, range(len(session) + 1)
    flat, offsets = [], []
    for m in session:
        offsets.append(len(flat))
        flat += message_turns([m], settings.media)
    return flat, [*offsets, len(flat)]


class SessionTranscript:
    """A session's turns rendered once, for the prompts of all its user turns.

    The prompt after the first `before` turns is `build_prompt(head, prompt_lines(turns[:before], ...))`,
    byte for byte, from the same pieces (`render_message`, `context_start`, `prompt_from_rendered`);
    calling `prompt_lines` per turn rendered every context line twice per prompt it appeared in:
    most of the cost of an example.
    """

    def __init__(self, turns: Sequence[Turn], settings: DatasetSettings):
        self.turns = turns
        self.lines = [render_message(t["speaker"], t["text"]) for t in turns]
        self.ends = line_ends(self.lines)
        self.settings = settings

    def context_start(self, before: int) -> int:
        """The first line of the context of the turn that follows the first `before` turns."""
        return context_start(self.ends, before, self.settings.max_context_messages, self.settings.context_tokens)

    def prompt(self, head: str, start: int, before: int) -> str:
        return prompt_from_rendered(head, self.lines[start:before])


def _example(thread: Thread, session: str, run: Sequence[Message], replies: list[str], before: int,
             transcript: SessionTranscript, my_name: str, redact_names: bool) -> Example:
    """The example for a user turn whose context is the first `before` turns of `transcript`."""
    start = transcript.context_start(before)
    contact = contact_label(thread, other_speaker(thread, transcript.turns, my_name, before), redact_names)
    head = cached_header(thread.platform, contact, local_date(run[0]), thread.is_group)
    return Example(
        prompt=transcript.prompt(head, start, before), target=render_reply(replies), messages=tuple(replies),
        when=run[0].timestamp, thread_id=thread.id, session=session, platform=thread.platform,
        context_messages=before - start,
    )


def thread_examples(
    thread: Thread,
    messages: Sequence[Message],
    settings: DatasetSettings,
    my_name: str,
    redact_names: bool = False,
) -> ThreadOutcome:
    """Examples of one thread (duplicates across threads are dropped later, by `drop_duplicates`)."""
    examples: list[Example] = []
    removed: Counter[str] = Counter()
    for n, session in enumerate(conversations(messages, settings.gap)):
        kept: list[tuple[int, list[Message], list[str]]] = []  # (index of its first message, the turn, its replies)
        for start, end in user_turns(session):
            run = session[start:end]
            replies = reply_messages(run)
            reason = rejection(run, replies, settings)
            if reason is not None:
                removed[reason] += 1
                continue
            kept.append((start, run, replies))
        if not kept:
            continue
        # The mapping from messages to turns the graph uses too (speaker, placeholder, or nothing in "drop" mode),
        # of the messages before the last kept turn only: what follows is no example's context.
        flat, offsets = aligned_turns(session[: kept[-1][0]], settings)
        transcript = SessionTranscript(flat, settings)
        session_id = f"{thread.id}:{n}"
        examples += (_example(thread, session_id, run, replies, offsets[start], transcript, my_name, redact_names)
                     for start, run, replies in kept)
    return ThreadOutcome(examples, removed)


def drop_duplicates(examples: Sequence[Example]) -> tuple[list[Example], int]:
    """The first of each (context, reply) pair: a chat imported twice (two devices, two exports) counts once.
    The header is left out of the comparison, so the same chat under two platform names is caught too."""
    kept, seen = [], set()
    for e in examples:
        key = hashlib.blake2b(f"{e.context}\x1f{e.target}".encode(), digest_size=16).digest()
        if key not in seen:
            seen.add(key)
            kept.append(e)
    return kept, len(examples) - len(kept)

