"""Progress of long commands on stderr: rich's live display on a terminal, plain lines anywhere else.

Off a terminal (CI logs, `predraft train 2>&1 | tee log`, cron) rich shows nothing until the end, so
`LineProgress` prints what changed instead: a line per new description and, for counted work, a line
like "training 5/20 loss 3.210 (1m 02s)" every tenth of the total or every 30 s, then the final state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from assistant.cli.app import console_err

EVERY_SECONDS = 30.0
EVERY_FRACTION = 0.1


def show_progress(*columns: ProgressColumn) -> Progress | LineProgress:
    """A spinner, the task's description, `columns`, then the elapsed time; plain lines off a terminal."""
    if not console_err.is_terminal:
        return LineProgress(console_err)
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), *columns, TimeElapsedColumn(),
                    console=console_err, transient=True)


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


@dataclass
class _Task:
    description: str
    total: float | None
    completed: float
    fields: dict[str, Any]
    started: float
    shown: tuple[str, float] = ("", 0)  # (description, completed) of the last line printed
    shown_at: float = 0.0


@dataclass
class LineProgress:
    """The part of rich's Progress the commands use, printing a line for each step worth logging."""

    console: Console
    clock: Callable[[], float] = time.monotonic
    _tasks: list[_Task] = field(default_factory=list, init=False)

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def add_task(self, description: str, total: float | None = 100.0, completed: float = 0, **fields: Any) -> int:
        self._tasks.append(_Task(description, total, completed, fields, self.clock()))
        self._show(self._tasks[-1])
        return len(self._tasks) - 1

    def update(self, task_id: int, *, description: str | None = None, total: float | None = None,
               completed: float | None = None, advance: float | None = None, **fields: Any) -> None:
        task = self._tasks[task_id]
        task.description = task.description if description is None else description
        task.total = task.total if total is None else total  # as in rich: None leaves the total as it is
        task.completed = (task.completed if completed is None else completed) + (advance or 0)
        task.fields.update(fields)
        shown_description, shown_completed = task.shown
        if task.description != shown_description:
            self._show(task)
        elif task.total is not None and task.completed != shown_completed and (
                task.completed >= task.total or task.completed - shown_completed >= task.total * EVERY_FRACTION
                or self.clock() - task.shown_at >= EVERY_SECONDS):
            self._show(task)

    def advance(self, task_id: int, advance: float = 1) -> None:
        self.update(task_id, advance=advance)

    def stop(self) -> None:
        for task in self._tasks:
            if task.shown != (task.description, task.completed):
                self._show(task)

    def _show(self, task: _Task) -> None:
        now = self.clock()
        parts = [task.description]
        if task.total is not None:
            parts.append(f"{int(task.completed)}/{int(task.total)}")
        parts += [str(value) for value in task.fields.values() if value != ""]
        if task.total is not None:
            parts.append(f"({duration(now - task.started)})")
        self.console.print(Text(" ".join(parts)), soft_wrap=True)
        task.shown, task.shown_at = (task.description, task.completed), now
