"""Progress off a terminal (CI logs, `| tee`, cron): plain lines instead of rich's live display, which shows
nothing there until the end."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import BarColumn, Progress

from assistant.cli import progress as progress_module
from assistant.cli.progress import LineProgress, duration, show_progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _reporter() -> tuple[LineProgress, Clock, io.StringIO]:
    out, clock = io.StringIO(), Clock()
    return LineProgress(Console(file=out, width=40), clock), clock, out


def test_counted_work_prints_a_line_every_tenth_or_every_30_seconds_then_the_final_state():
    progress, clock, out = _reporter()
    with progress:
        task = progress.add_task("preparing", total=None, loss="")
        progress.update(task, description="training", completed=0, total=100)
        for step in range(1, 29):
            clock.now += 1 if step <= 25 else 20  # steps 26-28 are slow: the 30 s rule speaks at step 27
            progress.update(task, completed=step)
            progress.update(task, loss=f"loss {4 - step / 10:.2f}")  # a new loss alone prints nothing

    assert out.getvalue().splitlines() == [
        "preparing",
        "training 0/100 (0s)",
        "training 10/100 loss 3.10 (10s)",
        "training 20/100 loss 2.10 (20s)",
        "training 27/100 loss 1.40 (1m 05s)",
        "training 28/100 loss 1.20 (1m 25s)",  # stop: where it ended
    ]


def test_descriptions_print_at_once_and_finished_work_is_not_repeated_on_stop():
    progress, clock, out = _reporter()
    with progress:
        task = progress.add_task("drafting", total=4)
        for clock.now, system in ((7, ""), (14, " (base)"), (21, " (lora)"), (28, " (lora)")):
            progress.update(task, advance=1, description=f"drafting{system}")
        progress.stop()  # as `train` does on Ctrl-C, before the `with` ends

    assert out.getvalue().splitlines() == [
        "drafting 0/4 (0s)",
        "drafting 1/4 (7s)",  # a tenth of 4 is under one step: every step is worth a line
        "drafting (base) 2/4 (14s)",
        "drafting (lora) 3/4 (21s)",
        "drafting (lora) 4/4 (28s)",
    ]


def test_a_long_path_stays_on_one_line():
    progress, _, out = _reporter()
    with progress:
        progress.add_task("importing /exports/" + "x" * 80 + " [1098765432109876543].json", total=None)
    assert out.getvalue() == "importing /exports/" + "x" * 80 + " [1098765432109876543].json\n"


def test_durations_read_like_a_clock():
    assert [duration(s) for s in (0, 59.9, 62, 3600 + 61)] == ["0s", "59s", "1m 02s", "1h 01m 01s"]


def test_a_terminal_gets_rich_progress_with_the_callers_columns(monkeypatch):
    monkeypatch.setattr(progress_module, "console_err", Console(file=io.StringIO(), force_terminal=True))
    bar = show_progress(BarColumn())
    assert isinstance(bar, Progress)
    assert [type(c).__name__ for c in bar.columns] == ["SpinnerColumn", "TextColumn", "BarColumn",
                                                       "TimeElapsedColumn"]


def test_ingest_in_a_log_names_each_export_as_it_is_imported(cli, exports):
    result = cli("ingest", exports, "--timezone", "America/Chicago")

    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "finding exports"
    assert [line.rsplit("/", 1)[-1] for line in lines[1:]] == [
        "Direct Messages - Jordan Lee [1098765432109876543].json", "WhatsApp Chat with Climbing Crew.txt",
        "WhatsApp Chat with Maya Chen.txt", "telegram_sam"]
    assert all(line.startswith(f"importing {exports}/") for line in lines[1:])
