"""The Typer app, its global options, and the shared per-invocation state."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from assistant.config import DATA_DIR_ENV, Settings, default_data_dir, ensure_data_dir, load_settings
from assistant.corpus.store import Corpus
from assistant.offline import enforce_offline

HELP = """\
predraft learns how you write from your chat exports and pre-drafts
your next replies. Everything stays on this machine.

[bold]The flow[/]
 1. [cyan]predraft ingest EXPORTS...[/]      import chat exports (any format)
 2. [cyan]predraft me set NAME[/]            say which sender is you
    [cyan]predraft consent exclude NAME[/]   keep a contact out of it all
 3. [cyan]predraft dataset build[/]          your turns become examples
    [cyan]predraft train[/] / [cyan]export[/]         your LoRA, then GGUF
 4. [cyan]predraft index[/]                  index past exchanges
 5. [cyan]predraft draft THREAD[/]           pre-draft a reply chain
    [cyan]predraft review[/]                 accept, edit, reject drafts

New here? [cyan]predraft demo[/] runs it all on bundled sample data.
"""

# The --help panels, in the order of the flow above.
COLLECT = "1. Collect"
PEOPLE = "2. People and consent"
TRAIN = "3. Train"
RETRIEVE = "4. Retrieve"
DRAFT = "5. Draft and review"
TRY = "Try it"
PANELS = (COLLECT, PEOPLE, TRAIN, RETRIEVE, DRAFT, TRY)


# Commands in the order HELP's flow names them; within a panel these come first, in this order.
FLOW_COMMANDS = tuple(dict.fromkeys(re.findall(r"predraft (\w+)", HELP)))


class FlowOrderedGroup(TyperGroup):
    """Lists commands panel by panel in flow order. Typer shows panels in the order their first command
    was registered, and it registers sub-apps (me, consent, dataset) after every plain command, so
    import order alone cannot put "2. People and consent" second, nor `dataset` before `train`."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        def flow_rank(name: str) -> tuple[int, int]:
            panel = getattr(self.commands[name], "rich_help_panel", None)
            in_flow = FLOW_COMMANDS.index(name) if name in FLOW_COMMANDS else len(FLOW_COMMANDS)
            return (PANELS.index(panel) if panel in PANELS else len(PANELS)), in_flow

        return sorted(super().list_commands(ctx), key=flow_rank)  # stable: the rest keep registration order


console = Console()
console_err = Console(stderr=True)

app = typer.Typer(
    cls=FlowOrderedGroup,
    help=HELP,
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class AppState:
    data_dir: Path
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            if warning := ensure_data_dir(self.data_dir):
                console_err.print(f"[yellow]warning:[/] {warning}")
            self._settings = load_settings(self.data_dir, self.overrides)
        return self._settings

    def corpus(self) -> Corpus:
        return Corpus(self.settings().corpus_path)


state = AppState(data_dir=default_data_dir())


@app.callback()
def _global_options(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar=DATA_DIR_ENV,
            help="Where the corpus, index, models and feedback live (created private, mode 0700; "
                 "an existing folder keeps its mode).",
            show_default=str(default_data_dir()),
        ),
    ] = None,
) -> None:
    enforce_offline()
    state.data_dir = (data_dir or default_data_dir()).expanduser().resolve()
    state.overrides = {}
    state._settings = None


def override(section: str, **values: Any) -> None:
    """Record CLI flags that override config keys of `section` (None means 'not given')."""
    given = {k: v for k, v in values.items() if v is not None}
    if given:
        state.overrides.setdefault(section, {}).update(given)
        state._settings = None


# Groups shared by several command modules.
feedback_app = typer.Typer(help="Your review decisions: statistics, and export as training data.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback", rich_help_panel=DRAFT)
