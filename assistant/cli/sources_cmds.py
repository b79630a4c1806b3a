"""`predraft sources`: the imported files, and taking one back (`sources remove`) with what it stored."""

from __future__ import annotations

import json
import shlex
import sys
from contextlib import ExitStack
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from assistant.cli.app import COLLECT, app, console, console_err, state
from assistant.cli.consent_cmds import forget_chains_and_edits
from assistant.cli.corpus_cmds import counted
from assistant.config import Settings
from assistant.corpus.sources import RemovalOutcome, RemovalPlan, SourceRecord, ThreadRef, list_sources
from assistant.databases import DatabaseFileError
from assistant.erase import vacuum
from assistant.ingest.registry import all_parsers, apply_ingest_settings
from assistant.ingest.removal import Reread, ingest_path, plan_source_removal, remove_source
from assistant.locks import BusyError
from assistant.privacy import Exclusions

TITLES_SHOWN = 3  # thread titles named per line; the rest are counted

sources_app = typer.Typer(no_args_is_help=False)
app.add_typer(sources_app, name="sources", rich_help_panel=COLLECT)


@sources_app.callback(invoke_without_command=True)
def sources(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the imported files: id, when, format, messages stored (and held), threads, path.

    A source is one file you imported (or a folder or zip read whole, such as a Slack export). A
    message is stored once, under the first file that held it: a newer export of the same chat stores
    only what is new, so it lists fewer messages stored than it holds.

    `predraft sources remove ID` takes a file back (the wrong chat, dates read in the wrong order):
    what it stored goes, and it can be imported again, say with `--date-order dmy`.
    """
    if ctx.invoked_subcommand:
        return
    with state.corpus() as corpus:
        records = list_sources(corpus)
    if as_json:
        print(json.dumps([r.as_json() for r in records], indent=2, ensure_ascii=False))
        return
    if not records:
        console.print("Nothing is imported yet: `predraft ingest PATH` imports chat exports.")
        return
    table = Table("id", "imported (UTC)", "format", "messages stored (held)", "threads", "path")
    for r in records:
        table.add_row(str(r.id), r.imported_at[:16].replace("T", " "), r.format,
                      f"{r.messages_added:,} ({r.messages_seen:,})", _titles(r.threads), r.path)
    console.print(table)
    console.print("`predraft sources remove ID` takes a file back, so that it can be imported again.")


@sources_app.command("remove")
def sources_remove(
    ref: Annotated[str, typer.Argument(metavar="ID_OR_PATH",
                                       help="The file's id (`predraft sources`) or the path it was imported from.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first (needed without a terminal).")] = False,
) -> None:
    """Take an imported file back: its messages and its record go, so that it can be imported again.

    Its messages that another imported file also holds (an overlapping export of the same chat) are
    read again from that file, which then holds them; threads left without messages are removed.
    Files are read again as they were imported: in the timezone and day/month order their records
    keep (files imported before records kept the zone: the [ingest] timezone setting).
    What goes leaves the corpus file (vacuumed), the index and the chains drafted in its threads;
    `predraft index` then indexes what is left of those threads. Without --yes it says what will
    go and asks first.
    """
    settings = state.settings()
    apply_ingest_settings(settings.ingest)  # files read again are read as `predraft ingest` reads them
    with state.corpus() as corpus, ExitStack() as unpacked:
        plan, rereads = plan_source_removal(corpus, ref, unpacked)
        if not yes:
            _show_plan(plan, rereads)
            if not sys.stdin.isatty():
                console_err.print("[bold red]error:[/] nothing removed: pass --yes to remove it without a terminal "
                                  "to confirm on")
                raise typer.Exit(1)
            if not typer.confirm("Remove it?", default=False):
                console.print("Nothing removed.")
                raise typer.Exit(1)
        try:
            outcome = remove_source(corpus, plan, rereads, settings.ingest.timezone)
        except DatabaseFileError as exc:
            raise DatabaseFileError(f"{exc}; nothing was removed") from exc
        vacuum(corpus.db)  # no copy of the deleted rows' text left in free pages or the write-ahead log
    _show_outcome(plan, rereads, outcome)
    for store, changed in _forget_removed(settings, set(outcome.lost)):
        _line(f"{store}: {changed}")
    if plan.source.format in all_parsers():  # not a batch `predraft live` received: its cursor is past it
        _line(f"Import it again with `predraft ingest {shlex.quote(ingest_path(plan.source.path))}` "
              "(with --date-order or --timezone as needed).")


def _line(text: str, style: str = "") -> None:
    """A line as it is: no markup read in a path, no line break inside a command to copy."""
    console.print(Text(text, style=style), soft_wrap=True)


def _titles(threads: tuple[ThreadRef, ...]) -> str:
    named = ", ".join(t.title for t in threads[:TITLES_SHOWN])
    return named + (f" and {len(threads) - TITLES_SHOWN} more" if len(threads) > TITLES_SHOWN else "")


def _named(record: SourceRecord) -> str:
    return f"{record.id}: {record.path}"


def _show_plan(plan: RemovalPlan, rereads: list[Reread]) -> None:
    source = plan.source
    lines = [f"{_named(source)} ({source.format}, imported {source.imported_at[:16].replace('T', ' ')} UTC)",
             f"  goes: its record and the {counted(plan.messages, 'message')} it stored"
             + (f", in {counted(len(plan.threads), 'thread')}: {_titles(plan.threads)}" if plan.threads else "")]
    if plan.emptied:
        lines.append(f"  left empty and removed: {_titles(plan.emptied)}")
    if rereads:
        lines.append("  share its threads, read again for what they hold of its messages (then stored as theirs):")
        lines += [f"    {_named(r.record)}" + (f": {r.problem}; its messages there may be lost" if r.problem else "")
                  for r in rereads]
    for line in lines:
        _line(line)


def _show_outcome(plan: RemovalPlan, rereads: list[Reread], outcome: RemovalOutcome) -> None:
    restored = plan.messages - sum(outcome.lost.values())
    again = f", {restored:,} of them stored again from other files" if rereads else ""
    gone = outcome.emptied
    emptied = f"; {counted(len(gone), 'thread')} removed ({_titles(gone)})" if gone else ""
    _line(f"Removed {_named(plan.source)}: {counted(plan.messages, 'message')} deleted{again}{emptied}.")
    for r in rereads:
        if r.restored:
            _line(f"  {_named(r.record)}: {counted(r.restored, 'message')} stored again, now its own")
        redo = f"`predraft sources remove {r.record.id} && predraft ingest {shlex.quote(ingest_path(r.record.path))}`"
        if r.problem:
            how = (f" With the file (or a newer export of its chat) at that path, {redo} stores them again."
                   if r.record.format in all_parsers() else "")
            _line(f"  warning: {_named(r.record)}: {r.problem}; its messages in these threads may now be missing."
                  + how, "yellow")
        if r.unmatched:
            _line(f"  warning: {_named(r.record)}: {counted(r.unmatched, 'message')} it holds now did not match what "
                  "the corpus held (edited in a newer export since, or dates read otherwise than at its import) and "
                  f"were not stored. If its dates were read otherwise, {redo[:-1]} --timezone ZONE` (or --date-order) "
                  "stores it again.", "yellow")


def _forget_removed(settings: Settings, thread_ids: set[int]) -> list[tuple[str, str]]:
    """Clear the messages gone for good out of the stores built from the corpus, as `consent exclude` clears a
    contact (consent_cmds._forget): the index's exchanges of their threads, chains drafted in or showing them.
    Both forget by thread, as an exclusion of those threads says; review decisions and datasets are named."""
    if not thread_ids:
        return []
    threads = Exclusions(person_ids=frozenset(), names=frozenset(), thread_ids=frozenset(thread_ids))
    changes = []
    if settings.index_dir.is_dir():
        from assistant.retrieval.index import ExchangeIndex, IndexError_  # Chroma: loaded only when there is an index

        try:
            removed = ExchangeIndex(settings).forget(threads)
            changes.append(("index", f"{removed} exchanges of these threads removed; `predraft index` indexes what "
                                     "is left of them"))
        except (BusyError, IndexError_) as exc:  # the corpus is changed already: say what is left to do
            changes.append(("index", f"not changed ({exc}); `predraft index --rebuild` builds it without them"))
    if settings.checkpoints_path.is_file():
        chains, predictions, _ = forget_chains_and_edits(settings, threads)
        changes.append(("chains", f"{chains} drafted in or showing these threads deleted, with {predictions} "
                                  "prediction outcomes"))
    changes += _named_stores(settings, thread_ids)
    return changes


def _named_stores(settings: Settings, thread_ids: set[int]) -> list[tuple[str, str]]:
    """Review decisions and built datasets that hold these threads as they were: kept, and said."""
    from assistant.feedback.store import FeedbackStore
    from training.dataset import dataset_sources

    changes = []
    if settings.feedback_path.is_file():
        store = FeedbackStore(settings.feedback_path)
        try:
            decisions = sum(d.thread_id in thread_ids for d in store.decisions())
        finally:
            store.close()
        if decisions:
            changes.append(("review decisions", f"{decisions} made in these threads kept, as the thread was then"))
    built = sorted(folder.name for folder in (settings.data_dir / "datasets").glob("*") if folder.is_dir()
                   and ((sources := dataset_sources(folder)) is None or thread_ids & set(sources["threads"])))
    if built:
        changes.append(("datasets", f"built with these threads: {', '.join(built)}; `predraft dataset build --name "
                                    "NAME` builds one again without what was removed"))
    return changes
