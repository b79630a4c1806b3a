"""From a thread's messages to training examples: one per user turn, in the inference prompt format.

Pure functions. The conventions that decide what the model sees (which messages count, media
placeholders, conversation breaks, the context budget) are the draft graph's own
(`graphs.predraft.prompts`), called here for each conversation and each turn, so a training prompt
is byte for byte the prompt `predraft draft` would build at that point of the thread.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from assistant.config import DatasetSettings
from assistant.corpus.models import Kind, Message, Thread
from assistant.prompting import ME, NEUTRAL_CONTACT, build_prompt, header, render_reply
from graphs.predraft.prompts import conversation_turns, other_speaker, prompt_lines
from graphs.predraft.state import Turn

# One header per chat and day: formatting the date is a good share of an example's cost (see benchmarks/dataset.py).
cached_header = lru_cache(maxsize=4096)(header)
_LINK = re.compile(r"(?:https?://|www\.)\S+|<URL>|\[URL\]", re.IGNORECASE)

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


def local_date(m: Message) -> date:
    """The day as the user lived it, in the offset the export stated (the draft graph's rule)."""
    return (m.timestamp + timedelta(minutes=m.utc_offset_min or 0)).date()


def spoken(messages: Iterable[Message]) -> list[Message]:
    """Messages that are somebody's words: no system lines, reactions or unsent messages."""
    return [m for m in messages if m.kind not in (Kind.SYSTEM, Kind.REACTION) and not m.unsent]


def sessions(messages: Sequence[Message], gap_hours: float) -> list[list[Message]]:
    """Split at silences longer than `gap_hours`: context never reaches across one."""
    gap = timedelta(hours=gap_hours)
    out: list[list[Message]] = []
    for m in messages:
        if not out or m.timestamp - out[-1][-1].timestamp > gap:
            out.append([])
        out[-1].append(m)
    return out


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
    return [m.text.strip() for m in run if m.kind == Kind.TEXT and m.text.strip()]


def rejection(run: Sequence[Message], replies: list[str], settings: DatasetSettings) -> str | None:
    """The first filter a turn fails (see FILTERS), or None when it makes an example."""
    if not replies:
        return "media-only" if any(m.kind == Kind.MEDIA for m in run) else "empty"
    if all(not _LINK.sub("", r).strip() for r in replies):
        return "link-only"
    size = sum(len(r) for r in replies)
    if size < settings.min_reply_chars:
        return "too-short"
    if size > settings.max_reply_chars:
        return "too-long"
    return None


def aligned_turns(session: Sequence[Message], settings: DatasetSettings) -> tuple[list[Turn], Sequence[int]]:
    """The session's turns, and for each message how many turns come before it.

    A session has no silence in it, so the graph turns all of it into turns, in order. When every
    message made one turn (always, with media placeholders) turn i is message i; otherwise
    (`media = "drop"`) each message is converted on its own to see which made none.
    """
    flat = conversation_turns(session, settings.conversation_gap_hours, settings.media)
    if len(flat) == len(session):
        return flat, range(len(session))
    flat, offsets = [], []
    for m in session:
        offsets.append(len(flat))
        flat += conversation_turns([m], settings.conversation_gap_hours, settings.media)
    return flat, offsets


def contact_label(thread: Thread, context: Sequence[Turn], earlier: Callable[[], Sequence[Turn]], my_name: str,
                  redact_names: bool) -> str:
    """The group's name, or the other person as the draft graph names them (the last other speaker).

    The turn before the user's is nearly always the other person's; only when it is not (a dropped
    photo) does the search go back through `earlier()`, the whole conversation so far.
    """
    if thread.is_group:
        return thread.title
    if redact_names:
        return NEUTRAL_CONTACT
    return other_speaker(thread, context if context and context[-1]["speaker"] != ME else earlier(), my_name)


def _example(thread: Thread, n: int, run: Sequence[Message], replies: list[str], flat: list[Turn], before: int,
             settings: DatasetSettings, my_name: str, redact_names: bool) -> Example:
    """The example for a user turn whose context is the first `before` turns of session `n`."""
    # prompt_lines looks at the last max_context_messages turns only: slice before calling it.
    context = flat[max(0, before - settings.max_context_messages) : before]
    lines = prompt_lines(context, settings.max_context_messages, settings.context_tokens)
    contact = contact_label(thread, context, lambda: flat[:before], my_name, redact_names)
    head = cached_header(thread.platform, contact, local_date(run[0]), thread.is_group)
    return Example(
        prompt=build_prompt(head, lines), target=render_reply(replies), messages=tuple(replies),
        when=run[0].timestamp, thread_id=thread.id, session=f"{thread.id}:{n}", platform=thread.platform,
        context_messages=len(lines),
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
    for n, session in enumerate(sessions(spoken(messages), settings.conversation_gap_hours)):
        # The graph's own mapping from messages to turns (speaker, placeholder, or nothing in "drop" mode).
        flat, offsets = aligned_turns(session, settings)
        for start, end in user_turns(session):
            run = session[start:end]
            replies = reply_messages(run)
            reason = rejection(run, replies, settings)
            if reason is not None:
                removed[reason] += 1
                continue
            examples.append(_example(thread, n, run, replies, flat, offsets[start], settings, my_name, redact_names))
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

