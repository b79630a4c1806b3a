"""The `predraft` command. Subcommands parse arguments and call library functions; nothing more.

Each command module registers its commands on `app` when imported; `--help` lists them panel by panel
in the order of the flow (app.PANELS), whatever the import order.
"""

from __future__ import annotations

import sys

from assistant.cli.app import app, console_err
from assistant.errors import PredraftError

from assistant.cli import corpus_cmds  # noqa: E402,F401  ingest, formats, threads, me, stats
from assistant.cli import sources_cmds  # noqa: E402,F401  sources, sources remove
from assistant.cli import consent_cmds  # noqa: E402,F401  consent exclude, include, list
from assistant.cli import retrieval_cmds  # noqa: E402,F401  index
from assistant.cli import draft_cmds  # noqa: E402,F401  draft, watch
from assistant.cli import live_cmds  # noqa: E402,F401  live maildir, live matrix
from assistant.cli import training_cmds  # noqa: E402,F401  dataset build, train, export, eval, feedback export
from assistant.cli import review_cmds  # noqa: E402,F401  review, chat, demo, feedback stats


def main() -> None:
    try:
        app()
    except PredraftError as exc:
        console_err.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    except KeyboardInterrupt:
        console_err.print("[yellow]interrupted[/]: anything not committed was rolled back; run the command again to finish.")
        sys.exit(130)
