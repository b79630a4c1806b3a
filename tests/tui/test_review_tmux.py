"""The installed `predraft review` in a real terminal (tmux), at two sizes: the transcript's last message and a
draft show, stay shown after an accept, and q quits cleanly.

A Pilot test sees the frames Textual composes; only a real terminal shows what reached the screen (a
model load once swallowed the frame that drew the transcript, and it stayed blank).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tui_support import last_message_line

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")]

PREDRAFT = Path(sys.executable).parent / "predraft"
EXIT_MARK = "PREDRAFT_EXIT="
THREAD = "Maya Chen"


def wait_for(capture, condition, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = capture()
    while not condition(screen) and time.monotonic() < deadline:
        time.sleep(1)
        screen = capture()
    return screen


@pytest.mark.parametrize("size", [(80, 24), (140, 42)], ids=["80x24", "140x42"])
def test_review_in_tmux_shows_the_last_message_and_drafts_then_quits(demo, size):
    last_line, count = last_message_line(demo.settings, THREAD)
    socket = f"predraft-test-{os.getpid()}"  # a private tmux server: nothing else is touched
    tmux = ["tmux", "-L", socket]
    command = (f"{shlex.quote(str(PREDRAFT))} --data-dir {shlex.quote(str(demo.settings.data_dir))} "
               f"review {shlex.quote(THREAD)}; echo {EXIT_MARK}$?; sleep 60")
    width, height = size
    subprocess.run([*tmux, "new-session", "-d", "-x", str(width), "-y", str(height), "-s", "review", command],
                   check=True)

    def capture() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", "review"], capture_output=True, text=True).stdout

    try:
        screen = wait_for(capture, lambda s: "Drafts · step 1/2" in s, timeout=300)
        assert f"{THREAD} · {count} messages" in screen  # the transcript pane's title
        assert last_line in screen, screen  # its last message, in the demo's local time
        assert "#1  " in screen and "█" in screen  # a ranked draft with its score bar
        assert "Evidence · 5 past exchanges" in screen
        subprocess.run([*tmux, "send-keys", "-t", "review", "a"], check=True)
        screen = wait_for(capture, lambda s: "Drafts · step 2/2" in s, timeout=300)
        assert last_line in screen, screen
        subprocess.run([*tmux, "send-keys", "-t", "review", "q"], check=True)
        screen = wait_for(capture, lambda s: EXIT_MARK in s, timeout=60)
        assert f"{EXIT_MARK}0" in screen and "Traceback" not in screen
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
