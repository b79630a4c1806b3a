"""Failures a person notices in a draft at a glance, as rules that can be counted.

- echo: the draft (or one of its messages) nearly copies a message already in the conversation or an
  earlier step of the chain ("I'll bring you a mushroom risotto." drafted, then predicted as the
  other side's answer, then drafted again);
- degenerate: nothing at all, a loop ("on my way on my way on my way"), or cut off mid-word;
- wrong speaker: the draft addresses the user by their own name, as if someone else were talking;
- length: far from how long the user's replies usually are (a ratio to their median reply).

Pure functions over strings. The graph uses them to reject and resample, evaluation and feedback
statistics to count them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

# Two texts at or above this rapidfuzz ratio (0-100, normalised as `normalised` does) say the same thing
# with a word or two changed: "Yes please, my right foot is done." / "yes please, my left foot is done."
# score 89.2, "I'll bring the wine" / "I'll bring the cheese" 80.
ECHO_SIMILARITY = 85
# Short replies repeat naturally in chat ("haha yes", "ok see you", "see you at 8" after "see you at 7"):
# only a text of at least this many words can be an echo.
ECHO_MIN_WORDS = 5
LOOP_REPEATS = 3  # the same run of words this many times in a row...
LOOP_MIN_WORDS = 6  # ...covering at least this many words ("no no no" is chat; "ok ok ok ok ok ok" is a loop)
_CHARACTER_LOOP = re.compile(r"(.{1,4}?)\1{9,}", re.DOTALL)  # "hahahahahahahahahaha": one unit, 10 times or more
# A reply this many times shorter or longer than the user's median reply is one they would not write.
LENGTH_BAND = (0.25, 4.0)
_WORD = re.compile(r"\w+", re.UNICODE)
# Words before a name that make it a greeting ("hey Alex how are you"), and interjections that do only
# when a comma or "!" follows the name ("oh Alex, ..."; "well Alex said so" names a third person).
_GREETINGS = (
    "hi", "hey", "hello", "heya", "yo", "dear", "thanks", "thank you", "thx", "sorry", "morning",
    "good morning", "night", "good night", "bye", "love you", "congrats",
)
_INTERJECTIONS = ("oh", "o", "ah", "ok", "okay", "yes", "no", "well", "come on")


def normalised(text: str) -> str:
    """Lowercase words without punctuation ("OK!" and "ok" are one reply); an emoji-only text keeps its emoji."""
    return default_process(text) or text.strip()


def similarity(a: str, b: str) -> float:
    """rapidfuzz ratio (0-100) of the normalised texts."""
    return fuzz.ratio(normalised(a), normalised(b))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def messages_of(texts: Iterable[str]) -> list[str]:
    """Texts split into their messages (a multi-message reply is joined by newlines), blanks dropped."""
    return [m.strip() for t in texts for m in t.split("\n") if m.strip()]


def is_echo(draft: str, earlier: Sequence[str], chain: Sequence[str] = ()) -> bool:
    """The draft, or one of its messages, nearly repeats a message of `earlier` (the conversation so far,
    any speaker) or of `chain` (what the chain itself drafted or predicted before this step). Short
    texts only count when they repeat the chain word for word: "I will." answered with "I will." again
    and again is a loop, "haha yes" after someone's "haha yes" is chat."""
    pieces = {draft.strip(), *messages_of([draft])}
    previous = messages_of([*earlier, *chain])
    if any(len(words(piece)) >= ECHO_MIN_WORDS and similarity(piece, before) >= ECHO_SIMILARITY
           for piece in pieces for before in previous):
        return True
    generated = {normalised(m) for m in messages_of(chain)}
    return any(piece and normalised(piece) in generated for piece in pieces)


def is_loop(draft: str) -> bool:
    """A run of words repeated LOOP_REPEATS times in a row over LOOP_MIN_WORDS words, one unit repeated
    character by character, or two of the draft's messages that say the same thing."""
    tokens = words(draft)
    for n in range(1, len(tokens) // LOOP_REPEATS + 1):
        repeats = max(LOOP_REPEATS, -(-LOOP_MIN_WORDS // n))  # enough repeats to cover LOOP_MIN_WORDS
        span = n * repeats
        for start in range(len(tokens) - span + 1):
            unit = tokens[start : start + n]
            if all(tokens[start + k * n : start + (k + 1) * n] == unit for k in range(1, repeats)):
                return True
    if _CHARACTER_LOOP.search(draft):
        return True
    parts = messages_of([draft])
    return any(is_echo(part, parts[:i]) for i, part in enumerate(parts))


def is_cut(draft: str, vocabulary: frozenset[str]) -> bool:
    """The draft stops inside a word: it ends on letters that are no word the user or the conversation
    used, but start one ("I'll bring you a mushroom ris" when "risotto" is known)."""
    text = draft.rstrip()
    if not text or not text[-1].isalnum():
        return False
    last = words(text)[-1] if words(text) else ""
    if len(last) < 2 or last in vocabulary:
        return False
    return any(len(w) > len(last) and w.startswith(last) for w in vocabulary)


def degeneracy(draft: str, vocabulary: frozenset[str] = frozenset()) -> str | None:
    """"empty", "loop", "cut", or None for a draft that reads as a message."""
    if not draft.strip():
        return "empty"
    if is_loop(draft):
        return "loop"
    if is_cut(draft, vocabulary):
        return "cut"
    return None


def addressable_names(name: str, aliases: Iterable[str] = ()) -> tuple[str, ...]:
    """What others call the user: their name, its first word ("Alex Rivera" -> "Alex"), and their aliases."""
    first = name.split()[0] if name.split() else ""
    found = [n.strip() for n in (name, first, *aliases) if len(n.strip()) >= 2]
    return tuple(sorted(set(found), key=lambda n: (-len(n), n)))


def addresses_user(draft: str, names: Sequence[str]) -> bool:
    """A message of the draft speaks to the user by name: "Alex, ...", "hey Alex ...", "..., Alex!"."""
    if not names:
        return False
    name = "(?:" + "|".join(re.escape(n) for n in names) + ")"
    greeting = "(?:" + "|".join(re.escape(g) for g in _GREETINGS) + ")"
    opener = "(?:" + "|".join(re.escape(g) for g in (*_GREETINGS, *_INTERJECTIONS)) + ")"
    vocative = re.compile(
        rf"^\W*(?:{opener}\W+)?{name}\s*[,!?:]|^\W*{greeting}\W+{name}\b|,\s*{name}\W*$", re.IGNORECASE
    )
    return any(vocative.search(m) for m in messages_of([draft]))


def length_problem(draft: str, median_chars: float) -> str | None:
    """"short" or "long" when the draft's length over the user's median reply falls outside LENGTH_BAND."""
    if median_chars <= 0 or not draft.strip():
        return None
    ratio = len(draft.strip()) / median_chars
    return "short" if ratio < LENGTH_BAND[0] else "long" if ratio > LENGTH_BAND[1] else None


@dataclass(frozen=True)
class UserProfile:
    """What the rules need to know about the user, from their training replies."""

    names: tuple[str, ...]  # what others call them (`addressable_names`)
    median_chars: float  # their median reply length
    vocabulary: frozenset[str]  # the words of their replies, lowercased

    @classmethod
    def from_replies(cls, replies: Sequence[str], names: Sequence[str]) -> UserProfile:
        return cls(
            names=tuple(names),
            median_chars=float(median(len(r.strip()) for r in replies)) if replies else 0.0,
            vocabulary=frozenset(w for r in replies for w in words(r)),
        )


@dataclass(frozen=True)
class Failures:
    echo: bool
    degenerate: str | None  # "empty", "loop", "cut"
    wrong_speaker: bool
    length: str | None  # "short", "long"

    @property
    def any(self) -> bool:
        return self.echo or self.wrong_speaker or self.degenerate is not None or self.length is not None


def check(draft: str, earlier: Sequence[str], profile: UserProfile, chain: Sequence[str] = ()) -> Failures:
    """Every rule on one draft; `earlier` is the conversation so far, `chain` the chain's earlier steps."""
    vocabulary = profile.vocabulary | {w for text in [*earlier, *chain] for w in words(text)}
    return Failures(
        echo=is_echo(draft, earlier, chain),
        degenerate=degeneracy(draft, vocabulary),
        wrong_speaker=addresses_user(draft, profile.names),
        length=length_problem(draft, profile.median_chars),
    )


def failure_rates(found: Sequence[Failures]) -> dict[str, float]:
    """The share of drafts failing each rule (and any of them); empty when there are no drafts."""
    if not found:
        return {}
    n = len(found)

    def share(test) -> float:
        return sum(1 for f in found if test(f)) / n

    return {
        "echo": share(lambda f: f.echo),
        "degenerate": share(lambda f: f.degenerate is not None),
        "empty": share(lambda f: f.degenerate == "empty"),
        "loop": share(lambda f: f.degenerate == "loop"),
        "cut": share(lambda f: f.degenerate == "cut"),
        "wrong_speaker": share(lambda f: f.wrong_speaker),
        "length": share(lambda f: f.length is not None),
        "too_short": share(lambda f: f.length == "short"),
        "too_long": share(lambda f: f.length == "long"),
        "any": share(lambda f: f.any),
    }
