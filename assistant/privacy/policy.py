"""The one read path for training and retrieval: consent exclusions first, then PII redaction.

The corpus keeps everything it imported; what leaves it for a dataset or the index goes through
`usable_threads`, so an excluded contact can't leak through a code path that forgot to check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

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


def _excluded_names(corpus: Corpus) -> set[str]:
    rows = corpus.db.execute(
        """SELECT p.name FROM people p WHERE p.consent = 'exclude'
           UNION SELECT i.handle FROM identities i JOIN people p ON p.id = i.person_id WHERE p.consent = 'exclude'"""
    )
    return {r[0] for r in rows}


def usable_threads(corpus: Corpus, policy: PrivacyPolicy, thread_ids: set[int] | None = None) -> Iterator[tuple[Thread, list[Message]]]:
    """Threads with their messages as training and retrieval may see them."""
    excluded_ids = corpus.excluded_ids()
    excluded_names = _excluded_names(corpus)
    excluded_re = names_pattern(frozenset(excluded_names))
    other_names = {p.name for p in corpus.people() if not p.is_me} if policy.redact_names else set()
    for thread in corpus.threads():
        if thread_ids is not None and thread.id not in thread_ids:
            continue
        messages = corpus.messages(thread.id)
        involved = any(m.sender_id in excluded_ids for m in messages) or bool(excluded_names & set(thread.participants))
        if involved and policy.consent_mode == "drop-thread":
            continue
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
