"""Pre-draft as messages arrive from a live source; hand over only what the user accepts.

Each sync imports what the source delivered (assistant/ingest/live), then answers the threads with
news exactly as `predraft watch` does (`answer_news`: a predicted message arriving serves the
pre-draft, a miss drafts again, pacing applies). The first sync of an account is its history: it is
imported and indexed, and nothing is drafted for it. Sending is never done here: `accept` records the
user's choice and passes the text to the source, which writes a draft or sends after asking.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.corpus.store import ImportReport
from assistant.ingest.live.base import Cursor, LiveSource, import_batch, read_json, state_file, write_json
from assistant.ingest.runner import resolve_timezone
from graphs.predraft.api import ChainError, DraftChain, OnToken
from graphs.predraft.views import ChainView
from graphs.predraft.watch import ThreadUpdate, answer_news, last_message_ids


NO_ME = ("imported, but nothing indexed or drafted: no sender is marked as you. Run `predraft me set NAME` "
         "(`predraft me` suggests one), then `predraft index`; drafting starts with the next message")


@dataclass
class LiveRound:
    report: ImportReport | None  # None: nothing arrived
    backfill: bool
    updates: list[ThreadUpdate] = field(default_factory=list)
    pace_note: str | None = None
    notes: list[str] = field(default_factory=list)  # the source's (a room it cannot read)


def sync(
    chain: DraftChain, source: LiveSource, *, depth: int | None = None, wait_s: float = 0.0,
    on_token: OnToken | None = None,
) -> LiveRound:
    """One poll of `source`: import what arrived, move its cursor on, pre-draft for threads with news."""
    cursor = Cursor(chain.settings.data_dir, source)
    owed = state_file(chain.settings.data_dir, source.name, source.account, "unanswered")
    previous = cursor.read()
    batch = source.poll(previous, wait_s)
    # What an earlier sync had answered up to, if its answering failed; a thread it did not know came later.
    failed_before = read_json(owed)
    before = ({int(t): seen for t, seen in failed_before.items()} if failed_before is not None
              else last_message_ids(chain.corpus))
    report = import_batch(chain.corpus, source, previous, batch, resolve_timezone(chain.settings.ingest.timezone))
    news = report is not None and bool(report.messages_added or report.messages_updated)
    if news and failed_before is None:
        # Written before the cursor moves on: if answering fails (the model, a crash), the next sync answers
        # these threads although the source will not deliver their messages again.
        write_json(owed, {str(t): seen for t, seen in before.items()})
    cursor.write(batch.cursor)
    result = LiveRound(report, batch.backfill, notes=batch.notes)
    if not news and failed_before is None:
        return result
    if chain.corpus.me() is None:  # the index and the drafts are built around the user's side
        result.notes.append(NO_ME)
        owed.unlink(missing_ok=True)
        return result
    result.updates, result.pace_note = answer_news(chain, before, depth=depth, predraft=not batch.backfill,
                                                   on_token=on_token)
    owed.unlink(missing_ok=True)
    return result


def follow(
    chain: DraftChain, source: LiveSource, *, depth: int | None = None, wait_s: float = 30.0,
    stop: threading.Event | None = None, on_token: OnToken | None = None,
) -> Iterator[LiveRound]:
    """Sync again and again until `stop` is set; each poll waits up to `wait_s` for news."""
    stop = stop or threading.Event()
    while not stop.is_set():
        yield sync(chain, source, depth=depth, wait_s=wait_s, on_token=on_token)


def undeliverable(view: ChainView | None) -> str | None:
    """Why no draft of `view` may go out now (None: one may). A step that answers a predicted message
    waits for the real one: its reply would answer something nobody wrote yet."""
    if view is None or view.status not in ("awaiting_review", "low_confidence") or not view.candidates:
        return "no draft is waiting to be accepted here"
    if view.predicted_incoming is not None and view.incoming is None:
        return "this reply answers a predicted message that has not arrived yet; it can go once it does"
    return None


def accept(
    chain: DraftChain, source: LiveSource, view: ChainView | None, choice: int | str, *,
    on_token: OnToken | None = None, cancel: threading.Event | None = None,
) -> str:
    """The user accepted candidate `choice` of `view` (or wrote this text): hand it to the source, then record it.

    Delivery comes first: a send the user declines, or one the source refuses, is not recorded as sent.
    The answer names the version shown, so one that another process overtook is refused (ChainChangedError).
    """
    if (why := undeliverable(view)) is not None:
        raise ChainError(why)
    assert view is not None
    if isinstance(choice, int) and not 0 <= choice < len(view.candidates):
        raise ChainError(f"there are {len(view.candidates)} drafts, so there is no #{choice}")
    text = view.candidates[choice].text if isinstance(choice, int) else choice.strip()
    where = source.deliver(chain.corpus, chain.corpus.thread(view.thread_id), text)
    if isinstance(choice, int):
        chain.resume(view.chain_id, "accept", chosen_index=choice, shown=view.version, on_token=on_token, cancel=cancel)
    else:
        chain.resume(view.chain_id, "edit", text=text, shown=view.version, on_token=on_token, cancel=cancel)
    return where
