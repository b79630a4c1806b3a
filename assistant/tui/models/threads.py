"""The thread list: each thread's latest activity, whether drafts wait in it, and the search filter."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from assistant.corpus.store import Corpus
from assistant.privacy import exclusions
from assistant.prompting import platform_label


@dataclass(frozen=True, slots=True)
class ThreadItem:
    id: int
    title: str
    platform: str
    is_group: bool
    messages: int
    last_at: datetime | None
    last_is_me: bool  # the user wrote last: nothing waits for an answer
    excluded: bool  # an excluded contact writes here: no drafts (their words would reach feedback)
    pending: bool = False  # a chain waits for review

    @property
    def platform_name(self) -> str:
        return platform_label(self.platform)


def load_threads(corpus: Corpus) -> list[ThreadItem]:
    """Every thread, the most recently active first."""
    excluded = exclusions(corpus)  # the rule drafting and retrieval follow
    rows = corpus.db.execute(
        """SELECT t.id, count(m.id) AS n, max(m.ts) AS last_ts,
                  (SELECT coalesce(p.is_me, 0) FROM messages l LEFT JOIN people p ON p.id = l.sender_id
                   WHERE l.thread_id = t.id ORDER BY l.ts DESC, l.id DESC LIMIT 1) AS last_me
           FROM threads t LEFT JOIN messages m ON m.thread_id = t.id GROUP BY t.id"""
    ).fetchall()
    stats = {r["id"]: r for r in rows}
    items = []
    for t in corpus.threads():
        r = stats[t.id]
        items.append(ThreadItem(
            id=t.id, title=t.title, platform=t.platform, is_group=t.is_group, messages=r["n"],
            last_at=datetime.fromtimestamp(r["last_ts"] / 1000, UTC) if r["last_ts"] is not None else None,
            last_is_me=bool(r["last_me"]), excluded=excluded.involves(t.id),
        ))
    return sorted(items, key=lambda i: i.last_at or datetime.min.replace(tzinfo=UTC), reverse=True)


def with_pending(items: Iterable[ThreadItem], pending: set[int]) -> list[ThreadItem]:
    return [replace(i, pending=i.id in pending) for i in items]


def matches(item: ThreadItem, query: str) -> bool:
    """Every word of the query appears in the title or the platform (case-insensitive)."""
    haystack = f"{item.title} {item.platform_name}".casefold()
    return all(word in haystack for word in query.casefold().split())


def next_pending(items: Sequence[ThreadItem], current: int | None) -> ThreadItem | None:
    """The next thread after `current` (in list order, wrapping) whose drafts wait for review."""
    pending = [i for i in items if i.pending]
    if not pending:
        return None
    ids = [i.id for i in items]
    start = ids.index(current) + 1 if current in ids else 0
    for item in [*items[start:], *items[:start]]:
        if item.pending and item.id != current:
            return item
    return None


def relative_age(when: datetime | None, now: datetime) -> str:
    """'now', '5m', '3h', '2d', '4w', '7mo', '2y': short enough for a list column."""
    if when is None:
        return ""
    seconds = max(0, (now - when).total_seconds())
    for unit, size in (("y", 365 * 86400), ("mo", 30 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600),
                       ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "now"
