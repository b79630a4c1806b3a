"""Keep drafts ready while exports change: re-ingest, re-index, and pre-draft for threads with news.

When a thread's chain was waiting with a predicted message, the real one is compared with it
(`DraftChain.incoming`: a hit serves the pre-draft, a miss drafts again); otherwise a new chain starts.
A thread where nothing may be drafted (an excluded contact takes part, another process holds it) is
skipped with a note; the watch goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import watchfiles

from assistant.corpus.models import Kind
from assistant.corpus.store import Corpus
from assistant.ingest.registry import apply_ingest_settings
from assistant.ingest.runner import IngestResult, ingest_paths
from assistant.locks import BusyError
from assistant.privacy import PrivacyPolicy
from graphs.predraft.api import ChainChangedError, ChainView, DraftChain, ExcludedThreadError, OnToken
from graphs.predraft.pacing import pace

Outcome = Literal["hit", "miss", "new_chain", "your_turn_taken", "skipped"]


@dataclass
class ThreadUpdate:
    thread_id: int
    title: str
    new_messages: int
    outcome: Outcome  # your_turn_taken: the newest message is the user's own, nothing to answer
    view: ChainView | None
    note: str | None = None  # skipped: why


@dataclass
class Refresh:
    ingest: IngestResult
    updates: list[ThreadUpdate]
    note: str | None = None  # why the index was not updated, why new chains were drafted less deep than asked


def last_message_ids(corpus: Corpus) -> dict[int, int]:
    """Each thread's newest message id: taken before an import, it tells `answer_news` which threads got news."""
    return dict(corpus.db.execute("SELECT thread_id, max(id) FROM messages GROUP BY thread_id").fetchall())


def refresh(
    chain: DraftChain,
    paths: list[Path],
    *,
    depth: int | None = None,
    predraft: bool = True,
    on_token: OnToken | None = None,
) -> Refresh:
    """Ingest `paths` again (only what is new is stored), update the index, pre-draft where needed.

    New chains go as deep as predictions have paid for so far (see pacing).
    """
    before = last_message_ids(chain.corpus)
    apply_ingest_settings(chain.settings.ingest)
    result = ingest_paths(chain.corpus, paths, timezone=chain.settings.ingest.timezone)
    updates, note = answer_news(chain, before, depth=depth, predraft=predraft, on_token=on_token)
    return Refresh(result, updates, note)


def answer_news(
    chain: DraftChain,
    before: dict[int, int],
    *,
    depth: int | None = None,
    predraft: bool = True,
    on_token: OnToken | None = None,
) -> tuple[list[ThreadUpdate], str | None]:
    """After an import (an export again, a live source's sync): answer each thread with messages newer than
    `before` (`last_message_ids`), waiting predictions first, and update the index. Returns the updates and
    a note for the user: why the index was not updated, why new chains were drafted less deep than asked.

    Shared by `refresh` and graphs/predraft/live.py, so both answer news the same way.
    """
    settings = chain.settings
    changed = sorted(t for t, last in last_message_ids(chain.corpus).items() if last > before.get(t, 0))
    if not predraft:
        return [], _update_index(chain)
    paced = pace(depth or settings.draft.depth, chain.ledger.prediction_counts(), settings.draft.predraft_min_hit_rate)
    # Waiting predictions first: a hit serves its pre-draft at once, without waiting for the index (a miss
    # drafts with the index short of only the messages it answers); then the index takes in the news
    # before new chains draft from it.
    first = [t for t in changed if _waiting(chain, t) is not None]
    updates = {t: _answer(chain, t, before.get(t, 0), paced.depth, on_token) for t in first}
    notes = [_update_index(chain)]
    updates |= {t: _answer(chain, t, before.get(t, 0), paced.depth, on_token) for t in changed if t not in updates}
    notes.append(paced.note(settings.draft.predraft_min_hit_rate))
    return [updates[t] for t in changed], "\n".join(n for n in notes if n) or None


def _update_index(chain: DraftChain) -> str | None:
    """Embed what changed (and catch up on consent changes made meanwhile); a note if another process holds it."""
    try:
        chain.resources.index.update(chain.corpus, PrivacyPolicy.from_settings(chain.settings))
    except BusyError as busy:  # `predraft index` running: drafting goes on with the index as it is
        return f"index not updated now ({busy}): the next change updates it"
    return None


def _waiting(chain: DraftChain, thread_id: int) -> ChainView | None:
    """The thread's chain, if it waits for the other side with a predicted message."""
    chain_id = chain.latest_chain(thread_id)
    if chain_id is None:
        return None
    try:
        view = chain.view(chain_id)
    except (ExcludedThreadError, BusyError):  # `_answer` says why when it comes to this thread
        return None
    waiting = view.status in ("awaiting_review", "low_confidence")
    return view if waiting and view.predicted_incoming is not None and view.incoming is None else None


def _answer(
    chain: DraftChain, thread_id: int, seen_up_to: int, depth: int | None, on_token: OnToken | None
) -> ThreadUpdate:
    thread = chain.corpus.thread(thread_id)
    messages = chain.corpus.messages(thread_id)
    new = [m for m in messages if m.id > seen_up_to]
    update = ThreadUpdate(thread_id, thread.title, len(new), "your_turn_taken", None)
    if messages[-1].is_me:
        return update
    since_my_turn = []
    for m in reversed(new):
        if m.is_me:
            break
        if m.kind == Kind.TEXT and m.text.strip() and not m.unsent:
            since_my_turn.insert(0, m.text)
    try:
        update.view, update.outcome = _draft(chain, thread_id, since_my_turn, depth, on_token)
    except (ExcludedThreadError, BusyError) as skipped:
        update.outcome, update.note = "skipped", str(skipped)
    return update


def _draft(
    chain: DraftChain, thread_id: int, since_my_turn: list[str], depth: int | None, on_token: OnToken | None
) -> tuple[ChainView, Outcome]:
    view = _waiting(chain, thread_id) if since_my_turn else None
    if view is not None:
        try:
            answered = chain.incoming(view.chain_id, "\n".join(since_my_turn), on_token=on_token, shown=view.version)
            return answered, "hit" if answered.hit else "miss"
        except ChainChangedError:
            pass  # answered in another process (review) meanwhile: the prediction is moot, draft anew
    return chain.start(thread_id, depth=depth, on_token=on_token), "new_chain"


def watch_exports(
    chain: DraftChain,
    paths: list[Path],
    *,
    depth: int | None = None,
    stop: threading.Event | None = None,
    on_token: OnToken | None = None,
) -> Iterator[Refresh]:
    """Yield a Refresh each time a file under `paths` changes, until `stop` is set.

    A file is watched through its folder: apps often save an export by writing a new file and
    renaming it over the old one, which a watch on the file itself would lose.
    """
    paths = [p.resolve() for p in paths]
    folders = {p if p.is_dir() else p.parent for p in paths}

    def wanted(_change: watchfiles.Change, changed: str) -> bool:
        return any(Path(changed).is_relative_to(p) for p in paths)

    for _changes in watchfiles.watch(*folders, watch_filter=wanted, stop_event=stop, raise_interrupt=False):
        yield refresh(chain, paths, depth=depth, on_token=on_token)
