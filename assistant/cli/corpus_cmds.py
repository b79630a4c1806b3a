"""Commands of the corpus stage: ingest, formats, threads, me, stats (sources: sources_cmds.py; consent:
consent_cmds.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn
from rich.table import Table
from rich.text import Text

from assistant.cli.app import COLLECT, PEOPLE, app, console, console_err, override, state
from assistant.cli.progress import show_progress
from assistant.corpus import ImportReport
from assistant.corpus.charts import save_png, terminal_chart
from assistant.corpus.stats import compute_stats
from assistant.ingest.registry import all_parsers, apply_ingest_settings
from assistant.ingest.runner import ingest_paths

WARNINGS_SHOWN = 5  # per file; `stats --json` keeps them all

me_app = typer.Typer(help="Which sender is you. Run without a subcommand for suggestions.", no_args_is_help=False)
app.add_typer(me_app, name="me", rich_help_panel=PEOPLE)


@app.command(rich_help_panel=COLLECT)
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Export files, folders or zips. Folders are searched.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="Force a format (see `predraft formats`).")] = "auto",
    timezone: Annotated[str | None, typer.Option(help="Zone for exports without offsets, e.g. Europe/Berlin.")] = None,
    date_order: Annotated[str | None, typer.Option(
        help="WhatsApp day/month order when a file never proves it: auto, dmy, mdy or ymd.")] = None,
) -> None:
    """Import chat exports into the local corpus. Safe to rerun: nothing is imported twice.

    Each file is stored in one transaction, so an interrupted run leaves the corpus as it was
    before that file; running the command again finishes the job. Each file gets one line (messages
    by kind, senders, dates) and, under it, warnings when it looks misread.
    """
    override("ingest", timezone=timezone, whatsapp_date_order=date_order)
    settings = state.settings()
    apply_ingest_settings(settings.ingest)
    with state.corpus() as corpus, show_progress(BarColumn()) as progress:
        task = progress.add_task("finding exports", total=None)
        result = ingest_paths(
            corpus, paths, fmt=fmt, timezone=settings.ingest.timezone,
            on_source=lambda name: progress.update(task, description=f"importing {name}"),
        )
    for report in result.reports:
        console.print(_report_line(report), markup=False, highlight=False)
        for w in report.warnings[:WARNINGS_SHOWN]:
            console.print(Text(f"  warning: {w.location}: {w.message}", style="yellow"))
        if len(report.warnings) > WARNINGS_SHOWN:
            console.print(Text(f"  ... {len(report.warnings) - WARNINGS_SHOWN} more warnings: "
                               "`predraft stats --json` lists them under the source", style="yellow"))
    for failure in result.failures:
        console_err.print(f"[bold red]error:[/] {failure.path}: {failure.message}")
    if not result.ok:
        raise typer.Exit(1)


def _report_line(r: ImportReport) -> str:
    """One line per imported file: what it held and what of it was new."""
    if r.skipped:
        return f"{r.path}: already imported"
    changes = f"{r.messages_added:,} new" + (f", {r.messages_updated:,} updated" if r.messages_updated else "")
    threads = f", {counted(r.threads, 'thread')}" if r.threads > 1 else ""
    span = f", {r.first[:10]} to {r.last[:10]}" if r.first and r.last else ""
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in r.by_kind.items())
    return (f"{r.path}: {r.format}, {counted(r.messages_seen, 'message')} ({changes}){threads}, "
            f"{counted(len(r.senders), 'sender')}{span}" + (f" [{kinds}]" if kinds else ""))


def counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


@app.command(rich_help_panel=COLLECT)
def formats() -> None:
    """List the export formats predraft reads."""
    table = Table("format", "platform", "what it reads")
    for name, parser in all_parsers().items():
        table.add_row(name, parser.platform, parser.description)
    console.print(table)


@app.command(rich_help_panel=COLLECT)
def threads(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List the threads in the corpus with their ids (other commands take an id or a title)."""
    with state.corpus() as corpus:
        rows = [
            {"id": t.id, "platform": t.platform, "title": t.title, "group": t.is_group,
             "messages": corpus.db.execute("SELECT count(*) FROM messages WHERE thread_id = ?", (t.id,)).fetchone()[0]}
            for t in corpus.threads()
        ]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("id", "platform", "title", "group", "messages")
    for r in rows:
        table.add_row(str(r["id"]), r["platform"], r["title"], "yes" if r["group"] else "", str(r["messages"]))
    console.print(table)


@me_app.callback(invoke_without_command=True)
def me(ctx: typer.Context) -> None:
    """Show who is set as you, or suggest the likeliest sender (the one present in most threads)."""
    if ctx.invoked_subcommand:
        return
    with state.corpus() as corpus:
        current = corpus.me()
        suggestions = corpus.suggest_me()
    if current:
        console.print(f"You are [bold]{current.name}[/].")
    if not suggestions:
        console.print("The corpus is empty: run `predraft ingest PATH` first.")
        return
    table = Table("name", "threads", "messages", title="likeliest to be you")
    for person, n_threads, n_messages in suggestions:
        table.add_row(person.name, str(n_threads), str(n_messages))
    console.print(table)
    if not current:
        console.print(f"Set it with: predraft me set {json.dumps(suggestions[0][0].name)} [--alias OTHER_NAME ...]")


@me_app.command("set")
def me_set(
    name: Annotated[str, typer.Argument(help="Your name as it appears in the exports.")],
    alias: Annotated[list[str] | None, typer.Option("--alias", "-a", help="Another name of yours (repeatable).")] = None,
) -> None:
    """Record which sender is you; aliases link your accounts on other platforms."""
    with state.corpus() as corpus:
        person = corpus.set_me(name, alias or [])
    linked = f" (linked: {', '.join(alias)})" if alias else ""
    console.print(f"You are now [bold]{person.name}[/]{linked}.")


@app.command(rich_help_panel=COLLECT)
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print everything machine-readably, per source file too.")] = False,
    png: Annotated[Path | None, typer.Option(help="Where to save the chart (default: <data dir>/stats.png).")] = None,
) -> None:
    """Messages per platform, year and contact, and your share; a terminal chart and a PNG."""
    with state.corpus() as corpus:
        data = compute_stats(corpus)
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{data['messages']}[/] messages in [bold]{data['threads']}[/] threads; "
                  + (f"yours: {data['my_messages']} ({data['my_share']:.0%})" if data["me"] else
                     "run `predraft me` to say which sender is you"))
    table = Table("platform", "messages")
    for platform, n in data["by_platform"].items():
        table.add_row(platform, str(n))
    console.print(table)
    contacts = Table("contact", "messages", "")
    for c in data["by_contact"][:15]:
        contacts.add_row(c["name"], str(c["messages"]), "you" if c["is_me"] else ("excluded" if c["excluded"] else ""))
    console.print(contacts)
    if data["by_year"]:
        color = console.is_terminal and not console.no_color
        print(terminal_chart(data, width=min(console.width, 100), color=color))
        path = save_png(data, png or state.settings().data_dir / "stats.png")
        console.print(f"chart saved to {path}")
