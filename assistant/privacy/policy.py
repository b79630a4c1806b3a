"""The one read path for training, retrieval and drafting: consent exclusions first, then PII redaction.

The corpus keeps everything it imported; what leaves it for a dataset, the index or a draft goes
through `usable_threads` (or, for a part of a thread, the `ReadRules` it applies), so an excluded
contact can't leak through a code path that forgot to check. `Exclusions` is the consent rule itself
(who is excluded, which threads they take part in), also applied to what the index returns, so an
exclusion holds from the moment it is set, before any re-index. Texts stored before the policy last
changed (review decisions) are read again through `ReadRules.transcript` and `ReadRules.text`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
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
        kept: list[str] = []
        withheld = False
        for line in lines.split("\n"):
            if line.startswith("\t"):  # the next line of the message above: withheld with it
                if not withheld:
                    kept.append(line)
                continue
            withheld = line.split(": ", 1)[0] in self.names
            kept.append(f"{EXCLUDED_SENDER}: {EXCLUDED_TEXT}" if withheld else line)
        return self.scrub("\n".join(kept))


def exclusions(corpus: Corpus, people: Collection[int] | None = None) -> Exclusions:
    """The exclusions as the corpus says now (SQL on the sender index, and the threads' participants).

    `people`: only these among the excluded (what data built before they were excluded holds of them).
    """
    ids = frozenset(corpus.excluded_ids() if people is None else corpus.excluded_ids() & set(people))
    names: frozenset[str] = frozenset()
    threads: set[int] = set()
    if ids:
        marks = ",".join("?" * len(ids))
        names = frozenset(r[0] for r in corpus.db.execute(
            f"SELECT name FROM people WHERE id IN ({marks}) UNION SELECT handle FROM identities WHERE person_id IN ({marks})",
            (*ids, *ids)))
        threads.update(r[0] for r in corpus.db.execute(
            f"SELECT DISTINCT thread_id FROM messages WHERE sender_id IN ({marks})", tuple(ids)))
        threads.update(t.id for t in corpus.threads() if names & set(t.participants))
    return Exclusions(ids, names, frozenset(threads), names_pattern(names))


@dataclass(frozen=True)
class ReadRules:
    """The policy with what the corpus says now (who is excluded, other people's names): applied to
    every text that feeds training, retrieval or drafting."""

    policy: PrivacyPolicy
    excluded: Exclusions
    other_names: frozenset[str]  # names `redact_names` replaces in message text

    def drops(self, thread_id: int) -> bool:
        """The whole thread stays out (consent_mode "drop-thread" and an excluded contact takes part)."""
        return self.policy.consent_mode == "drop-thread" and self.excluded.involves(thread_id)

    def thread(self, thread: Thread) -> Thread:
        """Their names replaced in its key, title and participants (also where they are only named)."""
        if self.excluded.pattern is None:
            return thread
        scrub = self.excluded.scrub
        return replace(thread, key=scrub(thread.key),  # some exports key a chat by its title
                       title=scrub(thread.title), participants=tuple(map(scrub, thread.participants)))

    def message(self, m: Message) -> Message:
        """Their own messages withheld; anyone else's text as `text` gives it."""
        if m.sender_id in self.excluded.person_ids:
            return replace(m, sender=EXCLUDED_SENDER, text=EXCLUDED_TEXT)
        text = self.text(m.text)
        return replace(m, text=text) if text != m.text else m

    def text(self, text: str) -> str:
        """Their names replaced, then PII (and, under redact_names, other people's names) redacted."""
        return self._redact(self.excluded.scrub(text))

    def transcript(self, rendered: str) -> str:
        """A rendered prompt (header, `Name: text` lines) read the same way: their lines withheld, their names
        replaced, and the words of every line redacted; speakers stay, as senders do."""
        head, *lines = self.excluded.scrub_transcript(rendered).split("\n")
        return "\n".join([head, *map(self._line, lines)])

    def _line(self, line: str) -> str:
        if line.startswith("\t"):  # a message's next line: all words
            return "\t" + self._redact(line[1:])
        speaker, colon, words = line.partition(": ")
        return speaker + colon + self._redact(words) if colon else self._redact(line)

    def _redact(self, text: str) -> str:
        if not self.policy.redact_pii:
            return text
        return redact(text, names=self.other_names if self.policy.redact_names else ())


def read_rules(corpus: Corpus, policy: PrivacyPolicy) -> ReadRules:
    others = frozenset(p.name for p in corpus.people() if not p.is_me) if policy.redact_names else frozenset()
    return ReadRules(policy, exclusions(corpus), others)


def usable_threads(corpus: Corpus, policy: PrivacyPolicy, thread_ids: set[int] | None = None) -> Iterator[tuple[Thread, list[Message]]]:
    """Threads with their messages as training and retrieval may see them."""
    rules = read_rules(corpus, policy)
    for thread in corpus.threads():
        if (thread_ids is not None and thread.id not in thread_ids) or rules.drops(thread.id):
            continue
        yield rules.thread(thread), [rules.message(m) for m in corpus.messages(thread.id)]
