"""The live source a thread came from, opened again so that `predraft review` can deliver a reply there.

A thread's live source is the one its newest live message was imported from (a mail thread may hold
an mbox export too); corpus sources of live syncs are named "<source>:<account>" (base.import_batch).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.corpus.store import Corpus
from assistant.ingest.live.base import LiveSource


def thread_source(
    corpus: Corpus, data_dir: Path, thread_id: int, confirm: Callable[[str, str], bool]
) -> LiveSource | None:
    """The thread's live source, ready to deliver; None for a thread that came from exports only."""
    row = corpus.db.execute(
        """SELECT s.format, s.path FROM messages m JOIN sources s ON s.id = m.source_id
           WHERE m.thread_id = ? AND s.format IN ('maildir', 'matrix') ORDER BY m.id DESC LIMIT 1""",
        (thread_id,),
    ).fetchone()
    if row is None:
        return None
    name, account = row[0], row[1].partition(":")[2]
    if name == "maildir":  # imported lazily: nio is only needed where a thread came from Matrix
        from assistant.ingest.live.maildir import MaildirSource

        return MaildirSource(Path(account))
    from assistant.ingest.live.matrix import MatrixSource

    return MatrixSource.reopen(data_dir, account, confirm)
