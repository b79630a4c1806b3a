"""Commands of the retrieval stage: index."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn

from assistant.cli.app import RETRIEVE, app, console, override, state
from assistant.cli.progress import show_progress
from assistant.privacy import PrivacyPolicy


@app.command(rich_help_panel=RETRIEVE)
def index(
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="Delete the index and embed every exchange again (a damaged index, a new embedding model)."
    )] = False,
    context_messages: Annotated[int | None, typer.Option(
        help="Messages before each of your replies stored as its context \\[default: retrieval.context_messages].",
    )] = None,
) -> None:
    """Index your past exchanges (what was said to you, what you answered) for retrieval.

    Drafting shows the closest ones as evidence of how you answer such things. The index is
    incremental: a rerun embeds only new or changed exchanges, and drops those of contacts you
    excluded since (`predraft consent exclude NAME`). An interrupted run keeps what it embedded.
    """
    from assistant.retrieval.index import ExchangeIndex, discard_index  # torch and Chroma: loaded only here

    override("retrieval", context_messages=context_messages)
    settings = state.settings()
    if rebuild:
        discard_index(settings)  # before opening it: a damaged index cannot be opened
    with state.corpus() as corpus, show_progress(BarColumn(), MofNCompleteColumn()) as progress:
        task = progress.add_task("reading the corpus", total=None)
        report = ExchangeIndex(settings).update(
            corpus, PrivacyPolicy.from_settings(settings),
            progress=lambda done, total: progress.update(task, description="embedding exchanges", completed=done,
                                                         total=total),
        )
    console.print(f"{report.added} exchanges added, {report.skipped_unchanged} unchanged, {report.removed} removed; "
                  f"[bold]{report.total}[/] in the index ({settings.index_dir}).")
