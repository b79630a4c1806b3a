"""Taking an imported file back (`predraft sources remove`): the other recorded files that hold messages
of its chats are found again where ingest found them, and read again for what it stored of theirs.

The corpus side (what goes, what comes back) is `assistant.corpus.sources`; this module finds and reads
files, as `assistant.ingest.runner` does for `predraft ingest`.
"""

from __future__ import annotations

import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from assistant.corpus.sources import (
    RemovalOutcome,
    RemovalPlan,
    SourceRecord,
    delete_source,
    find_source,
    finish_removal,
    plan_removal,
    restore,
)
from assistant.corpus.store import Corpus, RecordedReading
from assistant.databases import DatabaseFileError
from assistant.ingest.registry import all_parsers
from assistant.ingest.runner import (
    ReadsWithHistory,
    Source,
    content_files,
    explain_failure,
    find_sources,
    fingerprint,
    resolve_timezone,
)

@dataclass
class Reread:
    """Another recorded file that holds, or may hold, messages of the file removed: read again after it."""

    record: SourceRecord
    source: Source | None  # where it is now, its bytes as at its import; None: `problem` says why not
    problem: str | None = None
    restored: int = 0  # messages it held of those deleted, stored again as its own
    unmatched: int = 0  # messages it gave that the corpus never held (see `restore`): not stored


def plan_source_removal(corpus: Corpus, ref: str, stack: ExitStack) -> tuple[RemovalPlan, list[Reread]]:
    """What removing the file `ref` (id or path) takes, and the other files found to read again after it.
    Zips are unpacked into `stack`'s temporary folders; call `apply_ingest_settings` first, as for ingest."""
    platform_of = {name: parser.platform for name, parser in all_parsers().items()}
    plan = plan_removal(corpus, find_source(corpus, ref), platform_of)
    return plan, [_locate(record, stack) for record in plan.sharing]


def _locate(record: SourceRecord, stack: ExitStack) -> Reread:
    """The recorded file as ingest found it (a file, a folder, a chat in a zip), if its bytes are as imported."""
    if record.format not in all_parsers():
        return Reread(record, None, "a batch `predraft live` received, which cannot be read again")
    path = Path(record.path)
    root = next((p for p in (path, *path.parents) if p.exists()), None)
    try:
        if root == path:
            found = list(find_sources(path, record.format, stack))
        elif root is not None and zipfile.is_zipfile(root):
            found = list(find_sources(root, "auto", stack))  # found in a zip: ingest looked inside it as "auto"
        else:
            gone = f"it is no longer at {record.path}"
            return Reread(record, None, gone if path.is_absolute() else
                          f"{gone} (relative to the folder `predraft ingest` ran in: run this from that folder)")
        for source in found:
            if source.display == record.path and source.parser is not None and source.parser.name == record.format:
                sha256, _ = fingerprint(source.path, content_files(source.path, source.parser))
                if sha256 == record.sha256:
                    return Reread(record, source)
    except (OSError, KeyError) as exc:  # unreadable now; a format predraft no longer has
        return Reread(record, None, f"it cannot be read ({exc})")
    return Reread(record, None, f"{record.path} has changed since it was imported")


def ingest_path(recorded: str) -> str:
    """What to give `predraft ingest` to import a recorded file again: its path, or the zip it was found in
    (the zip's other files, imported already, are skipped)."""
    path = Path(recorded)
    return str(next((p for p in path.parents if p.is_file() and zipfile.is_zipfile(p)), path))


def remove_source(corpus: Corpus, plan: RemovalPlan, rereads: list[Reread], timezone: str) -> RemovalOutcome:
    """Delete the plan's file, its record and its messages, then read the files of `rereads` again for those
    they hold, in one transaction: an interrupted removal leaves the corpus as it was.

    A file is read again in the timezone its record names. Records made before they named it get `timezone`
    (the [ingest] setting): the zone `predraft ingest` reads a file in unless told otherwise, so the likeliest
    one. A file read in another zone than at its import matches nothing, which its `unmatched` count shows.
    """
    default_tz = resolve_timezone(timezone)
    with corpus.transaction() as db:
        threads_before = db.execute("SELECT coalesce(max(id), 0) FROM threads").fetchone()[0]
        missing = delete_source(corpus, plan.source)
        for reread in rereads:
            if reread.source is not None and missing:
                _reread(corpus, reread, missing, default_tz)
        return finish_removal(corpus, plan, missing, threads_before)


def _reread(corpus: Corpus, reread: Reread, missing: set[tuple[int, str]], default_tz: tzinfo) -> None:
    source, record = reread.source, reread.record
    parser = source.parser  # `_locate` found it by its parser's name
    local_tz = resolve_timezone(record.timezone) if record.timezone else default_tz
    try:
        with corpus.transaction():  # a savepoint: a file that fails to read stores nothing, the others go on
            events = (parser.parse_with_history(source.path, RecordedReading(corpus.db, parser.name, parser.platform,
                                                                             record.id))
                      if isinstance(parser, ReadsWithHistory) else parser.parse(source.path))
            reread.restored, reread.unmatched = restore(corpus, record, events, local_tz, missing)
    except DatabaseFileError:
        raise
    except Exception as exc:  # a parser that reads the same bytes otherwise now; never a traceback
        reread.problem = f"it could not be read again: {explain_failure(exc, source)}"
