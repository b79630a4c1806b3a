"""In a real terminal (tmux), a pane drawn while a model load silenced stdout and stderr is on screen once the
load is done: the model screens draw the whole screen again when a job reports back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from silenced_load_app import DRAWN_ONCE, LOADED

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

APP = Path(__file__).with_name("silenced_load_app.py")
REPO = Path(__file__).parents[2]


def test_what_was_drawn_during_a_silent_model_load_reaches_the_terminal():
    socket = f"predraft-test-{os.getpid()}"  # a private tmux server: nothing else is touched
    tmux = ["tmux", "-L", socket]
    command = f"cd {REPO} && PYTHONPATH=. {sys.executable} {APP}; sleep 60"
    subprocess.run([*tmux, "new-session", "-d", "-x", "80", "-y", "24", "-s", "app", command], check=True)
    try:
        deadline = time.monotonic() + 60
        screen = ""
        while LOADED not in screen and time.monotonic() < deadline:
            time.sleep(0.5)
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "app"], capture_output=True, text=True).stdout
        assert LOADED in screen, screen
        assert DRAWN_ONCE in screen, screen
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
