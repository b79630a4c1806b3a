"""Commands of live sources: `live maildir` and `live matrix` pre-draft as messages arrive; you send."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.panel import Panel

from assistant.cli.app import DRAFT, app, console, console_err, state
from assistant.cli.draft_cmds import _step_panel, _TokenStatus

if TYPE_CHECKING:  # the graph pulls in torch and llama.cpp: imported when a command runs, not for --help
    from assistant.ingest.live.base import LiveSource
    from graphs.predraft.api import DraftChain
    from graphs.predraft.live import LiveRound

live_app = typer.Typer(help="Follow your own mail folders or Matrix account, pre-draft replies as messages "
                       "arrive; sending stays yours.", no_args_is_help=True)
app.add_typer(live_app, name="live", rich_help_panel=DRAFT)

ONCE_HELP = "Catch up on what arrived since the last run, pre-draft, and exit."
DEPTH_HELP = "Replies to pre-draft per chain \\[default: draft.depth]."
WAIT_S = 30.0  # how long one poll waits for news before the loop checks in again
PASSWORD_ENV = "PREDRAFT_MATRIX_PASSWORD"


@live_app.command("maildir")
def live_maildir(
    path: Annotated[Path, typer.Argument(help="The Maildir (the folder holding cur/, new/, tmp/).")],
    folder: Annotated[list[str] | None, typer.Option(
        "--folder", help="A folder to follow (repeat for more) \\[default: INBOX and Sent].")] = None,
    address: Annotated[str | None, typer.Option(
        help="Your address for the From: of replies \\[default: the one your mail in these folders "
        "was sent from].")] = None,
    once: Annotated[bool, typer.Option("--once", help=ONCE_HELP)] = False,
    depth: Annotated[int | None, typer.Option(help=DEPTH_HELP)] = None,
) -> None:
    """Follow new mail in a Maildir; an accepted reply is written to its Drafts folder for your client to send.

    The first run imports the folders' mail as history (nothing is drafted for it); from then on,
    each new mail from someone else gets a pre-drafted reply. Only these folders are read, and
    predraft sends nothing: your mail client sends the draft when you do.
    """
    from assistant.ingest.live.maildir import MaildirSource

    run_live(MaildirSource(path, folder or None, address), once=once, depth=depth)


@live_app.command("matrix")
def live_matrix(
    homeserver: Annotated[str, typer.Option(help="Your homeserver's URL, e.g. https://matrix.example.org.")],
    user: Annotated[str, typer.Option(help="Your Matrix id, e.g. @me:example.org.")],
    room: Annotated[list[str] | None, typer.Option(
        help="A room id to follow (repeat for more); remembered for later runs. "
        "Without it: your rooms are listed.")] = None,
    allow_send: Annotated[list[str] | None, typer.Option(
        "--allow-send",
        help="A room id where an accepted reply may be sent (still asked each time); remembered.")] = None,
    once: Annotated[bool, typer.Option("--once", help=ONCE_HELP)] = False,
    depth: Annotated[int | None, typer.Option(help=DEPTH_HELP)] = None,
) -> None:
    """Follow rooms of your Matrix account; an accepted reply is sent only to a room you allowed, after you confirm.

    Logs in with your password once (asked, or PREDRAFT_MATRIX_PASSWORD) and keeps the access token in
    the data dir (0600). The first run imports the rooms' history (nothing is drafted for it); then
    each message from someone else gets a pre-drafted reply. Only your own homeserver is contacted.
    """
    from assistant.ingest.live.matrix import MatrixSource

    source = MatrixSource(state.settings().data_dir, homeserver, user, password=lambda: _password(user),
                          confirm=_confirm)
    try:
        source.log_in()
        for allowed in allow_send or ():
            source.allow_send(allowed)
        if room:
            source.follow(room)
        elif not source.settings["follow"]:
            source.follow(_choose_rooms(source.joined_rooms()))
        run_live(source, once=once, depth=depth)
    finally:
        source.close()


def _password(user: str) -> str:
    return os.environ.get(PASSWORD_ENV) or typer.prompt(f"Matrix password for {user}", hide_input=True)


def _confirm(room: str, text: str) -> bool:
    if not sys.stdin.isatty():
        return False  # nobody to ask: nothing is sent
    console.print(Panel(text, title=f"send to {room}?", title_align="left"))
    return typer.confirm("send it", default=False)


def _choose_rooms(joined: dict[str, str]) -> list[str]:
    if not joined:
        raise typer.BadParameter("you are in no rooms yet: join one with your Matrix client first", param_hint="--room")
    rooms = list(joined)
    for n, room_id in enumerate(rooms, 1):
        console.print(f"{n:>3}  {joined[room_id]}  [dim]{room_id}[/]")
    if not sys.stdin.isatty():
        raise typer.BadParameter("choose the rooms to follow: pass --room ROOM_ID for each", param_hint="--room")
    picked = typer.prompt("rooms to follow (numbers, separated by spaces)")
    try:
        return [rooms[int(n) - 1] for n in picked.replace(",", " ").split()]
    except (ValueError, IndexError):
        raise typer.BadParameter(f"{picked!r}: expected numbers from 1 to {len(rooms)}", param_hint="--room") from None


def run_live(source: LiveSource, *, once: bool, depth: int | None) -> None:
    """Catch up, then (unless --once) follow; after each sync offer the drafts ready for acceptance."""
    from graphs.predraft.api import DraftChain
    from graphs.predraft.live import follow, sync

    with DraftChain(state.settings()) as chain:
        with console_err.status(f"catching up on {source.account}") as status:
            first = sync(chain, source, depth=depth, on_token=_TokenStatus(status))
        offer(chain, source, first)
        if once:
            return
        console_err.print(f"following {source.account} (Ctrl+C to stop)")
        with console_err.status("waiting for messages") as status:
            for result in follow(chain, source, depth=depth, wait_s=WAIT_S, on_token=_TokenStatus(status)):
                status.stop()
                offer(chain, source, result)
                status.start()


def offer(chain: DraftChain, source: LiveSource, result: LiveRound) -> None:
    """Print what arrived and the drafts; at a terminal, ask which draft (if any) to hand to the source."""
    from graphs.predraft.live import accept

    report = result.report
    for note in result.notes:
        console_err.print(f"[yellow]note:[/] {note}")
    if report is not None:
        for warning in report.warnings:
            console_err.print(f"[yellow]warning:[/] {warning.location}: {warning.message}")
        if result.backfill:
            console_err.print(f"first sync: {report.messages_added} messages of history imported and indexed; "
                              "drafting starts with the next message that arrives")
        elif report.messages_added:
            console_err.print(f"{report.messages_added} new messages")
    if result.pace_note:
        console_err.print(result.pace_note)
    threshold = chain.settings.draft.confidence_threshold
    for update in result.updates:
        if update.view is None or update.view.status == "done":  # answered already, or nothing may be drafted
            console.print(f"[bold]{update.title}[/]: {update.outcome.replace('_', ' ')}")
            continue
        console.print(f"[bold]{update.title}[/] ({update.new_messages} new, {update.outcome.replace('_', ' ')})")
        console.print(_step_panel(update.view, threshold))
        if update.view.status != "awaiting_review" or not sys.stdin.isatty():
            console.print(f"open it with `predraft review {update.view.chain_id}`")
            continue
        answer = typer.prompt("accept draft # (or type your own reply; Enter skips)", default="", show_default=False)
        if answer.strip():
            choice: int | str = int(answer) if answer.strip().isdigit() else answer
            console.print(accept(chain, source, update.view, choice))
