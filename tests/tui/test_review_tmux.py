"""The installed `predraft review` in a real terminal (tmux): the transcript and a draft show, q quits cleanly."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")]

PREDRAFT = Path(sys.executable).parent / "predraft"
EXIT_MARK = "PREDRAFT_EXIT="


def wait_for(capture, condition, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = capture()
    while not condition(screen) and time.monotonic() < deadline:
        time.sleep(1)
        screen = capture()
    return screen


def test_review_in_tmux_shows_transcript_and_drafts_then_quits(demo):
    socket = f"predraft-test-{os.getpid()}"  # a private tmux server: nothing else is touched
    tmux = ["tmux", "-L", socket]
    command = (f"{shlex.quote(str(PREDRAFT))} --data-dir {shlex.quote(str(demo.settings.data_dir))} review 'Maya Chen'"
               f"; echo {EXIT_MARK}$?; sleep 60")
    subprocess.run([*tmux, "new-session", "-d", "-x", "120", "-y", "40", "-s", "review", command], check=True)

    def capture() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", "review"], capture_output=True, text=True).stdout

    try:
        screen = wait_for(capture, lambda s: "Drafts · step 1/2" in s, timeout=300)
        assert "Maya Chen · 572 messages" in screen  # the transcript pane's title
        assert "20:41 Maya Chen  just you" in screen  # its last message, in the demo's local time
        assert "#1  " in screen and "█" in screen  # a ranked draft with its score bar
        assert "Evidence · 5 past exchanges" in screen
        subprocess.run([*tmux, "send-keys", "-t", "review", "q"], check=True)
        screen = wait_for(capture, lambda s: EXIT_MARK in s, timeout=60)
        assert f"{EXIT_MARK}0" in screen and "Traceback" not in screen
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
