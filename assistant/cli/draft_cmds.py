"""Commands of the draft stage: `draft` (a whole chain, unattended) and `watch` (pre-draft as exports change)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group
from rich.panel import Panel
from rich.status import Status
from rich.table import Table
from rich.text import Text

from assistant.cli.app import DRAFT, app, console, console_err, override, state
from assistant.config import Settings

if TYPE_CHECKING:  # the graph pulls in torch and llama.cpp: imported when a command runs, not for --help
    from graphs.predraft.api import ChainView
    from graphs.predraft.watch import Refresh


def parse_as_of(value: str | None) -> date | None:
    """'2021' means the end of 2021 (write as you did that year); '2021-06-30' means that day."""
    if value is None:
        return None
    if re.fullmatch(r"\d{4}", value):
        return date(int(value), 12, 31)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither a year (2021) nor a date (2021-06-30)") from None


def warn_about_lora(settings: Settings) -> None:
    """One line on stderr while the LoRA in use was trained on messages of contacts excluded since."""
    from training.provenance import lora_warning

    warning = lora_warning(settings)
    if warning is not None:
        console_err.print(f"[yellow]warning:[/] {warning}")


class _TokenStatus:
    """A spinner line that counts the tokens streaming in, per candidate."""

    def __init__(self, status: Status):
        self.status = status
        self.tokens = 0

    def __call__(self, candidate: int, _piece: str) -> None:
        self.tokens += 1
        what = "predicting their next message" if candidate < 0 else f"drafting candidate {candidate + 1}"
        self.status.update(f"{what} · {self.tokens} tokens")


@app.command(rich_help_panel=DRAFT)
def draft(
    thread: Annotated[str, typer.Argument(help="Thread id or title (see `predraft threads`).")],
    depth: Annotated[int | None, typer.Option(
        help="Replies to draft along the predicted chain \\[default: draft.depth].")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Write as you did then: a year (2021) or a date "
                                              "(2021-06-30). Evidence comes only from before it.")] = None,
    candidates: Annotated[int | None, typer.Option(
        "--candidates", "-k", help="Model samples per step, shown beside up to draft.past_replies of your own "
        "past replies \\[default: draft.candidates].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output: one object per step.")] = False,
) -> None:
    """Pre-draft your reply in a thread, then the reply after the one the other side will likely send.

    Runs without asking: at each step the best candidate is taken as if you had sent it (not stored
    as feedback), the other side's next message is predicted, and your answer to it is drafted, up
    to --depth steps. A step with low confidence ends the chain with "no good suggestion". To choose,
    edit or regenerate yourself, use `predraft review`.
    """
    from graphs.predraft.api import DraftChain

    override("draft", candidates=candidates)
    when = parse_as_of(as_of)
    warn_about_lora(state.settings())
    views: list[ChainView] = []
    with DraftChain(state.settings()) as chain, console_err.status("loading the model and the index") as status:
        tokens = _TokenStatus(status)
        for view in chain.run_unattended(thread, depth=depth, as_of=when, on_token=tokens):
            views.append(view)
            if not as_json:
                status.stop()
                console.print(_step_panel(view, chain.settings.draft.confidence_threshold))
                status.start()
    if as_json:
        print(json.dumps([_step_json(v) for v in views], indent=2, ensure_ascii=False, default=_iso))
    elif views:
        console.print(f"chain [bold]{views[-1].chain_id}[/]: open it with `predraft review {views[-1].chain_id}`")


@app.command(rich_help_panel=DRAFT)
def watch(
    path: Annotated[Path, typer.Argument(help="An export file or folder that your chat app re-exports into.")],
    depth: Annotated[int | None, typer.Option(help="Replies to pre-draft per chain \\[default: draft.depth].")] = None,
) -> None:
    """Watch an export: when it changes, import what is new, update the index and pre-draft replies.

    For a thread whose chain predicted the message that just came in, the reply drafted for it is
    ready at once (a hit); otherwise a reply is drafted for what was really said (a miss). Hits and
    misses are counted for `predraft feedback stats`; while they stay under draft.predraft_min_hit_rate,
    only your reply is drafted, not the chain beyond it. Threads with a contact excluded by
    `predraft consent` are skipped with a note. Stop with Ctrl+C.

    `predraft review` can run at the same time: a draft answered here is shown there as it now is.
    """
    from graphs.predraft.api import DraftChain
    from graphs.predraft.watch import refresh, watch_exports

    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist: point it at an export file or folder", param_hint="PATH")
    settings = state.settings()
    with DraftChain(settings) as chain:
        with console_err.status("importing and indexing what is there now"):
            _print_refresh(refresh(chain, [path], predraft=False))
        console_err.print(f"watching {path} (Ctrl+C to stop)")
        with console_err.status("waiting for changes") as status:
            for result in watch_exports(chain, [path], depth=depth, on_token=_TokenStatus(status)):
                status.stop()
                _print_refresh(result)
                status.start()


# ---- rendering -------------------------------------------------------------------------------------


def _iso(value: Any) -> str:
    return value.isoformat()


def _step_json(view: ChainView) -> dict[str, Any]:
    return {
        "chain_id": view.chain_id, "thread_id": view.thread_id, "step": view.step, "status": view.status,
        "confidence": view.confidence, "predicted_incoming": view.predicted_incoming,
        "also_expected": view.alternatives,
        "candidates": [asdict(c) for c in view.candidates],
        "evidence": [{**asdict(e.exchange), "similarity": e.similarity} for e in view.evidence],
        "prompt": view.prompt,
    }


ANSWERED_LINES = 3  # the thread's last messages shown above the first step's drafts


def _step_panel(view: ChainView, threshold: float) -> Panel:
    parts: list[Any] = []
    if view.step == 0:  # what is being answered: the thread's last messages
        for turn in view.context[-ANSWERED_LINES:]:
            parts.append(Text(f"{turn['speaker']}: {turn['text']}", style="dim"))
    if view.predicted_incoming:
        parts.append(Text(f"{view.contact} (predicted): {view.predicted_incoming}", style="italic"))
        if view.alternatives:  # their replies are ready too: see `draft.predictions`
            parts.append(Text(f"  or: {' | '.join(view.alternatives)}", style="dim italic"))
    if view.status == "low_confidence":
        parts.append(Text(f"no good suggestion (confidence {view.confidence:.2f} < {threshold:.2f})", style="yellow"))
    drafts = Table("#", "draft", "score", "log-prob/token", "from", box=None, pad_edge=False)
    for i, c in enumerate(view.candidates):
        drafts.add_row(str(i), Text(c.text, style="bold" if i == 0 and view.status != "low_confidence" else ""),
                       f"{c.score:.2f}", "–" if c.logprob is None else f"{c.logprob:.2f}", c.origin(view.evidence))
    parts.append(drafts)
    if view.evidence:
        evidence = Table("date", "with", "you wrote", "match", title="how you answered similar messages",
                         title_justify="left", box=None, pad_edge=False)
        for e in view.evidence:
            evidence.add_row(f"{e.exchange.timestamp:%Y-%m-%d}", e.exchange.contact, e.exchange.reply,
                             f"{e.similarity:.2f}")
        parts.append(evidence)
    title = f"step {view.step + 1}/{view.depth} · confidence {view.confidence:.2f}"
    return Panel(Group(*parts), title=title, title_align="left")


def _print_refresh(result: Refresh) -> None:
    for r in result.ingest.reports:
        if not r.skipped:
            console_err.print(f"{r.path}: {r.messages_added} new messages")
    for failure in result.ingest.failures:
        console_err.print(f"[bold red]error:[/] {failure.path}: {failure.message}")
    if result.note:
        console_err.print(result.note)
    for update in result.updates:
        label = {"hit": "[green]predicted right[/]: your pre-drafted reply is ready",
                 "miss": "[yellow]not the predicted message[/]: drafted again",
                 "new_chain": "drafted", "your_turn_taken": "you answered already",
                 "skipped": f"[yellow]not drafted[/]: {update.note}"}[update.outcome]
        console.print(f"[bold]{update.title}[/] ({update.new_messages} new): {label}")
        if update.view is not None and update.view.status != "done":
            console.print(_step_panel(update.view, state.settings().draft.confidence_threshold))
