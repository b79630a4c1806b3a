"""Commands of the review stage: `review` and `chat` (terminal UIs), `demo`, and `feedback stats`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
from rich.table import Table
from rich.text import Text

from assistant.cli.app import DRAFT, TRY, app, console, console_err, feedback_app, override, state
from assistant.cli.draft_cmds import _step_json, _step_panel, parse_as_of, warn_about_lora
from assistant.cli.progress import show_progress
from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.quality import UserProfile, addressable_names

AS_OF_HELP = "Write as you did then: a year (2021) or a date (2021-06-30)."


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _require_terminal(command: str, instead: str) -> None:
    if not has_terminal():
        raise typer.BadParameter(f"`predraft {command}` is a terminal UI and needs a terminal; {instead}")


@app.command(rich_help_panel=DRAFT)
def review(
    ref: Annotated[str | None, typer.Argument(help="A thread (id or title) or a chain id (from `predraft draft`) "
                                                   "to open first \\[default: the first thread with drafts waiting].")] = None,
    depth: Annotated[int | None, typer.Option(help="Replies to draft along the predicted chain "
                                              "\\[default: draft.depth].")] = None,
    candidates: Annotated[int | None, typer.Option("--candidates", "-k", help="Candidates per step "
                                                   "\\[default: draft.candidates].")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
) -> None:
    """Review pre-drafted replies in a terminal UI: accept, edit, regenerate or reject them.

    Threads | transcript | drafts (k candidates, streamed as they are written, with confidence),
    the predicted chain (their likely next message and your reply to it) and the evidence (how you
    answered similar messages, dated). Keys: a accept · e edit · r regenerate · x reject · c next
    draft · n next thread with drafts · g go deeper · y copy · Esc cancel · / search · Ctrl+P
    commands · F1 or ? help.

    predraft never sends anything: an accepted or edited reply is copied to the clipboard (and to
    <data dir>/last-draft.txt) and your decision is recorded for the next `predraft dataset build`.
    Edits are saved as you type and come back after a crash.
    """
    _require_terminal("review", "use `predraft draft THREAD` to print drafts instead")
    from assistant.tui.app import review_app

    override("draft", candidates=candidates, depth=depth)
    warn_about_lora(state.settings())
    review_app(state.settings(), open_ref=ref, as_of=parse_as_of(as_of)).run()


@app.command(rich_help_panel=DRAFT)
def chat(
    contact: Annotated[str, typer.Option("--contact", "-c", help="Who you play: the name the persona answers.")] = "Friend",
    platform: Annotated[str, typer.Option(help="The platform named in the prompt header (whatsapp, telegram...).")] = "whatsapp",
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
    lora: Annotated[bool | None, typer.Option("--lora/--base", help="Start with your exported LoRA or the base "
                                              "model (Ctrl+L switches) \\[default: the LoRA if there is one].")] = None,
) -> None:
    """Chat with your persona: you write as someone else, the model answers as you ("Me").

    Uses the same prompt format as training, so it shows what your LoRA learned. Ctrl+S saves the
    conversation with a 1-5 rating into the feedback database (`predraft feedback stats` sums them up).
    """
    _require_terminal("chat", "it has no non-interactive mode")
    from assistant.tui.app import chat_app

    chat_app(state.settings(), contact=contact, platform=platform, as_of=parse_as_of(as_of), use_lora=lora).run()


# ---- demo ----------------------------------------------------------------------------------------


@app.command(rich_help_panel=TRY)
def demo(
    headless: Annotated[bool, typer.Option("--headless", help="Print the drafted chain instead of opening the "
                                           "review UI (automatic without a terminal).")] = False,
    train: Annotated[bool, typer.Option("--train", help="First train a LoRA on the persona (CPU profile, "
                                        "minutes), compare base-model and LoRA drafts, and evaluate: does it sound like you?")] = False,
    folder: Annotated[Path | None, typer.Option("--demo-dir", help="The demo's own data dir "
                                                "\\[default: <data dir>/demo].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --headless: one JSON object per step.")] = False,
) -> None:
    """Run predraft end to end on a bundled sample persona (Alex Rivera, four chat exports).

    ingest -> me set (three names, one person) -> consent exclude (a contact who said no) -> index ->
    the review UI on a thread with replies pre-drafted by the default model. Everything happens in a
    data dir of its own, so your corpus is never touched.
    """
    from assistant.demo.runner import demo_dir, demo_lora, demo_settings

    target = (folder or demo_dir(state.data_dir)).expanduser().resolve()
    console_err.print(f"The demo works in its own data dir, [bold]{target}[/]: your corpus is not touched.")
    settings = demo_settings(target)
    _prepare_demo(settings)
    if train:
        lora = _train_demo(settings)
        _compare_base_and_lora(settings, lora)
        from assistant.cli.training_cmds import evaluate_and_show
        from assistant.demo.runner import DEMO_EVAL_TURNS, DEMO_RUN

        evaluate_and_show(settings, DEMO_RUN, DEMO_EVAL_TURNS, candidates=1)
    lora = demo_lora(settings)
    if lora is not None:
        settings = demo_settings(target, {"model": {"lora_path": str(lora)}})
        console_err.print(f"Drafting with the demo LoRA {lora}.")
    if headless or as_json or not has_terminal():
        _print_demo_chain(settings, as_json)
        return
    from assistant.demo.runner import DEMO_THREAD
    from assistant.tui.app import review_app

    review_app(settings, open_ref=DEMO_THREAD, fresh=True).run()


def _prepare_demo(settings: Settings) -> None:
    from assistant.demo.runner import prepare

    with show_progress(BarColumn(), MofNCompleteColumn()) as progress:
        task = progress.add_task("starting", total=None)
        current: list[str] = []

        def step(command: str) -> None:
            if current:
                progress.console.print(f"[green]✓[/] predraft {current[-1]}")
            current.append(command)
            progress.update(task, description=f"predraft {command}", completed=0, total=None)

        report = prepare(settings, step, lambda done, total: progress.update(task, completed=done, total=total))
        progress.console.print(f"[green]✓[/] predraft {current[-1]}")
    console_err.print(f"{report.messages} messages in {report.threads} threads; {report.exchanges} past exchanges "
                      "indexed (the excluded contact's thread left out).")


def _train_demo(settings: Settings) -> Path:
    from assistant.demo.runner import train_demo_lora
    from training.axolotl import Metrics, Progress as Step

    bar = show_progress(BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[loss]}"))
    loss = [""]

    def on_event(event: object) -> None:
        if isinstance(event, Step):
            bar.update(task, description="training the demo LoRA", completed=event.step, total=event.total)
        elif isinstance(event, Metrics) and "loss" in event.values:
            loss[0] = f"loss {event.values['loss']:.3f}"
            bar.update(task, loss=loss[0])

    with bar:
        task = bar.add_task("preparing the training run", total=None, loss="")
        lora = train_demo_lora(settings, lambda line: bar.update(task, description=line[:70]), on_event)
    console_err.print(f"[green]✓[/] LoRA trained ({loss[0] or 'done'}) and exported: {lora}")
    return lora


def _compare_base_and_lora(settings: Settings, lora: Path) -> None:
    """The same thread's first step drafted by the base model and by the LoRA, side by side."""
    from assistant.demo.runner import drafted_chain
    from assistant.models import load_backend

    side_by_side = Table.grid(expand=True, padding=(0, 1))
    panels = []
    for title, lora_path in (("base model", ""), ("your LoRA", str(lora))):
        with console_err.status(f"drafting with the {title}"), load_backend(settings, lora_path=lora_path) as backend:
            view = next(iter(drafted_chain(settings, depth=1, backend=backend)))
        panels.append(_step_panel(view, settings.draft.confidence_threshold))
        panels[-1].title = f"{title} · confidence {view.confidence:.2f}"
        side_by_side.add_column(ratio=1)
    side_by_side.add_row(*panels)
    console.print(side_by_side)


def _print_demo_chain(settings: Settings, as_json: bool) -> None:
    from assistant.demo.runner import DEMO_THREAD, drafted_chain

    steps = []
    with console_err.status("loading the model and the index") as status:
        tokens = [0]

        def on_token(candidate: int, _piece: str) -> None:
            tokens[0] += 1
            what = "predicting their next message" if candidate < 0 else f"drafting candidate {candidate + 1}"
            status.update(f"{what} · {tokens[0]} tokens")

        for view in drafted_chain(settings, depth=2, on_token=on_token):
            steps.append(view)
            if not as_json:
                status.stop()
                console.print(_step_panel(view, settings.draft.confidence_threshold))
                status.start()
    if as_json:
        print(json.dumps([_step_json(v) for v in steps], indent=2, ensure_ascii=False, default=str))
    else:
        console.print(Text(f"The chain drafted for {DEMO_THREAD}. In a terminal, `predraft demo` opens it in the "
                           "review UI."))


# ---- feedback stats ------------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"



def _profile(settings: Settings) -> UserProfile | None:
    """The user's usual length, words and names from the corpus, for the failure rules; None before `me set`."""
    if not settings.corpus_path.is_file():
        return None
    with Corpus(settings.corpus_path) as corpus:
        me = corpus.me()
        return UserProfile.from_replies(corpus.my_texts(), addressable_names(me.name)) if me else None

@feedback_app.command("stats")
def feedback_stats(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """How your drafts are doing: acceptance, edit distance, acceptance by confidence, pre-draft hits, and
    how often the top draft echoed the thread, came out degenerate, addressed you by name or was far
    from your usual length.

    The confidence table is for tuning draft.confidence_threshold: drafts in buckets that you mostly
    reject should sit below the gate (shown as "no good suggestion" instead).
    """
    from assistant.feedback.stats import FeedbackStats, compute_stats
    from assistant.feedback.store import FeedbackStore

    settings = state.settings()
    if settings.feedback_path.is_file():
        from graphs.predraft.api import prediction_stats

        store = FeedbackStore(settings.feedback_path)
        try:
            decisions, chats = list(store.decisions()), list(store.chat_ratings())
        finally:
            store.close()
        predictions = prediction_stats(settings)
    else:
        decisions, chats, predictions = [], [], {}
    stats: FeedbackStats = compute_stats(decisions, predictions, chats, profile=_profile(settings))
    if as_json:
        print(json.dumps(stats.as_json(), indent=2))
        return
    if not stats.decisions and not stats.chats_saved:
        console.print("No review decisions yet: `predraft review` records one each time you accept, edit, "
                      "regenerate or reject a draft.")
    threshold = settings.draft.confidence_threshold
    summary = Table("", "", box=None, show_header=False, title="review decisions", title_justify="left")
    summary.add_row("decisions", f"{stats.decisions} ({', '.join(f'{n} {a}' for a, n in stats.actions.items())})")
    summary.add_row("accepted as drafted", _rate(stats.acceptance_rate))
    summary.add_row("used (accepted or edited)", _rate(stats.used_rate))
    summary.add_row("mean edit distance", "–" if stats.mean_edit_distance is None else
                    f"{stats.mean_edit_distance:.1f} characters ({stats.mean_normalized_edit_distance:.2f} normalised)")
    hits = stats.predictions
    summary.add_row("pre-draft hit rate", f"{_rate(stats.hit_rate)} ({hits['hits']} hits, {hits['misses']} misses)")
    summary.add_row("chats saved", f"{stats.chats_saved}, {stats.chats_rated} rated"
                    + ("" if stats.mean_chat_rating is None else f", mean {stats.mean_chat_rating:.1f}/5"))
    if stats.failures:
        rules = ("echo", "degenerate", "wrong_speaker", "length")
        summary.add_row("top draft failing a rule", f"{_rate(stats.failures['any'])} ("
                        + ", ".join(f"{rule.replace('_', ' ')} {_rate(stats.failures[rule])}" for rule in rules) + ")")
    buckets = Table("confidence", "answered", "accepted", "edited", "acceptance", "used",
                    title=f"by confidence (gate: {threshold:.2f})", title_justify="left")
    for b in stats.buckets:
        label = b.label + (" (under the gate)" if b.low < threshold else "")
        buckets.add_row(label, str(b.answered), str(b.accepted), str(b.edited), _rate(b.acceptance_rate),
                        _rate(b.used_rate))
    console.print(Panel(summary, expand=False), buckets)
