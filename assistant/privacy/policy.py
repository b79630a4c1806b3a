"""The one read path for training and retrieval: consent exclusions first, then PII redaction.

The corpus keeps everything it imported; what leaves it for a dataset or the index goes through
`usable_threads`, so an excluded contact can't leak through a code path that forgot to check.
`Exclusions` is the rule itself (who is excluded, which threads they take part in), also applied
to what the index returns, so an exclusion holds from the moment it is set, before any re-index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from assistant.config import Settings
from assistant.corpus.models import Message, Thread
from assistant.corpus.store import Corpus
from assistant.privacy.redact import names_pattern, redact

EXCLUDED_SENDER = "Someone"
EXCLUDED_TEXT = "[message withheld]"


@dataclass(frozen=True)
class PrivacyPolicy:
    consent_mode: str = "drop-thread"  # or "redact"
    redact_pii: bool = True
    redact_names: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> PrivacyPolicy:
        p = settings.privacy
        return cls(consent_mode=p.consent_mode, redact_pii=p.redact_pii, redact_names=p.redact_names)


@dataclass(frozen=True)
class Exclusions:
    """The contacts the user excluded (`predraft consent exclude`) and the threads they take part in."""

    person_ids: frozenset[int]
    names: frozenset[str]  # their names and handles
    thread_ids: frozenset[int]  # threads where one of them wrote or is a participant
    pattern: re.Pattern[str] | None = field(default=None, compare=False)  # their names in text

    def involves(self, thread_id: int) -> bool:
        return thread_id in self.thread_ids

    def scrub(self, text: str) -> str:
        """Their names replaced, as `usable_threads` replaces them in the messages it yields."""
        return self.pattern.sub(EXCLUDED_SENDER, text) if self.pattern is not None else text

    def scrub_transcript(self, lines: str) -> str:
        """`Name: text` lines with their lines withheld and their names replaced elsewhere."""
        kept = [f"{EXCLUDED_SENDER}: {EXCLUDED_TEXT}" if line.split(": ", 1)[0] in self.names else line
                for line in lines.split("\n")]
        return self.scrub("\n".join(kept))


def exclusions(corpus: Corpus) -> Exclusions:
    """The exclusions as the corpus says now (SQL on the sender index, and the threads' participants)."""
    ids = frozenset(corpus.excluded_ids())
    rows = corpus.db.execute(
        """SELECT p.name FROM people p WHERE p.consent = 'exclude'
           UNION SELECT i.handle FROM identities i JOIN people p ON p.id = i.person_id WHERE p.consent = 'exclude'"""
    )
    names = frozenset(r[0] for r in rows)
    threads: set[int] = set()
    if ids:
        marks = ",".join("?" * len(ids))
        threads.update(r[0] for r in corpus.db.execute(
            f"SELECT DISTINCT thread_id FROM messages WHERE sender_id IN ({marks})", tuple(ids)))
    if names:
        threads.update(t.id for t in corpus.threads() if names & set(t.participants))
    return Exclusions(ids, names, frozenset(threads), names_pattern(names))


def usable_threads(corpus: Corpus, policy: PrivacyPolicy, thread_ids: set[int] | None = None) -> Iterator[tuple[Thread, list[Message]]]:
    """Threads with their messages as training and retrieval may see them."""
    excluded = exclusions(corpus)
    excluded_ids, excluded_re = set(excluded.person_ids), excluded.pattern
    other_names = {p.name for p in corpus.people() if not p.is_me} if policy.redact_names else set()
    for thread in corpus.threads():
        if thread_ids is not None and thread.id not in thread_ids:
            continue
        if excluded.involves(thread.id) and policy.consent_mode == "drop-thread":
            continue
        messages = corpus.messages(thread.id)
        if excluded_re is not None:  # also threads they only appear in by name ("Jordan's birthday" group)
            thread = replace(
                thread,
                key=excluded_re.sub(EXCLUDED_SENDER, thread.key),  # some exports key a chat by its title
                title=excluded_re.sub(EXCLUDED_SENDER, thread.title),
                participants=tuple(excluded_re.sub(EXCLUDED_SENDER, p) for p in thread.participants),
            )
        yield thread, [_apply(m, policy, excluded_ids, excluded_re, other_names) for m in messages]


def _apply(
    m: Message, policy: PrivacyPolicy, excluded_ids: set[int], excluded_re: re.Pattern[str] | None, other_names: set[str]
) -> Message:
    if m.sender_id in excluded_ids:
        return replace(m, sender=EXCLUDED_SENDER, text=EXCLUDED_TEXT)
    text = m.text
    if excluded_re is not None:
        text = excluded_re.sub(EXCLUDED_SENDER, text)
    if policy.redact_pii:
        text = redact(text, names=other_names if policy.redact_names else ())
    return replace(m, text=text) if text != m.text else m
