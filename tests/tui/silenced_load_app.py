"""A model screen whose job starts the way a llama.cpp model load does: with the process's stdout and stderr
pointed at /dev/null for a while (llama-cpp-python, verbose=False). Run by test_model_screen_tmux.py."""

from __future__ import annotations

import os
import threading
import time

from textual.app import App, ComposeResult
from textual.widgets import Static

from assistant.tui.screens.model_screen import ModelScreen

SILENT_SECONDS = 2.0
DRAWN_ONCE = "drawn once, while the model loaded"
LOADED = "model loaded"


def load_silently(cancel: threading.Event) -> str:
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        time.sleep(SILENT_SECONDS)
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)
    return LOADED


class LoadingScreen(ModelScreen):
    def compose(self) -> ComposeResult:
        yield Static(DRAWN_ONCE)  # never changes: only a redraw of the whole screen brings it back
        yield Static(id="status")

    def on_mount(self) -> None:
        self.run_job(load_silently, self._loaded, self._loaded)

    def _loaded(self, message: str, cancelled: bool = False) -> None:
        self.query_one("#status", Static).update(message)


class LoadingApp(App[None]):
    def get_default_screen(self) -> LoadingScreen:
        return LoadingScreen()


if __name__ == "__main__":
    LoadingApp().run()
