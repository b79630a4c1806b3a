"""The base of the screens that run the model: one job at a time in a thread worker, Esc cancels it.

The model is slow and blocking, so a job runs in a thread and hands what it produces (tokens, then
its result) to the UI thread; the UI never waits on it. Starting a job stops the previous one at its
next token and drops its result. A failure is a message to show, never a crash. The model and the
databases are closed once the screen is gone and no job still uses them (`JobTracker`).

While llama.cpp loads a model it points the process's stdout and stderr at /dev/null (llama-cpp-python
with verbose=False), and Textual draws on stderr from its own thread: whatever it drew meanwhile never
reached the terminal. A pane drawn once and unchanged since, like the transcript, then stayed blank.
So the whole screen is drawn again when a job first reports back (the model is loaded by then) and
when it ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from textual.reactive import var
from textual.screen import Screen

from assistant.errors import PredraftError
from assistant.tui.models.jobs import JobTracker

log = logging.getLogger(__name__)

Result = TypeVar("Result")


class ModelScreen(Screen[None]):
    # The actions that need the model idle are hidden from the footer while a job runs (check_action).
    generating: var[bool] = var(False, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self._cancel: threading.Event | None = None  # the running job's, or the last one's
        self._redraw = False  # the running job has not reported back yet (see the module docstring)
        self.jobs = JobTracker(self.close_resources)

    def close_resources(self) -> None:
        """Close what the jobs use; called once, when the screen is gone and no job runs any more."""

    def on_unmount(self) -> None:
        self.cancel_job()
        self.jobs.shutdown()

    def cancel_job(self) -> bool:
        """Ask the running job to stop at its next token (it still reports what it made); False if none runs."""
        if self._cancel is not None:
            self._cancel.set()
        return self.generating

    def run_job(
        self,
        job: Callable[[threading.Event], Result],
        done: Callable[[Result, bool], None],
        failed: Callable[[str], None],
    ) -> None:
        """`job(cancel)` in a thread, then `done(result, cancelled)` or `failed(message)` on the UI thread."""
        self.cancel_job()
        cancel = self._cancel = threading.Event()
        self.generating = True
        self._redraw = True

        def deliver(callback: Callable[..., None], *args: Any) -> None:
            if cancel is self._cancel:  # else a newer job replaced this one: its outcome is moot
                self.generating = False
                callback(*args)
            self.app.refresh()

        def run() -> None:
            self.jobs.started()
            try:
                result = job(cancel)
            except PredraftError as exc:
                self.call_from_worker(deliver, failed, str(exc))
            except Exception as exc:  # a crash of the model or the graph must not take the UI down
                log.exception("model job failed")
                self.call_from_worker(deliver, failed, f"unexpected error: {exc!r}")
            else:
                self.call_from_worker(deliver, done, result, cancel.is_set())
            finally:
                self.jobs.ended()

        self.run_worker(run, name="model", group="model", thread=True, exclusive=True, exit_on_error=False)

    def call_from_worker(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run `callback(*args)` on the UI thread (a streamed token, a result); nothing once the screen closes."""
        if self.jobs.closing:
            return
        redraw, self._redraw = self._redraw, False
        try:
            self.app.call_from_thread(self._on_ui_thread, redraw, callback, *args)
        except RuntimeError:  # the app stopped meanwhile
            pass

    def _on_ui_thread(self, redraw: bool, callback: Callable[..., Any], *args: Any) -> None:
        callback(*args)
        if redraw:
            self.app.refresh()
