"""What the TUI tests share besides fixtures and the demo world (tests/worlds/demo.py)."""

from __future__ import annotations

from textual.app import App
from textual.geometry import Region

from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.tui.models.transcript import transcript_items
from tests.worlds.demo import CLOCK, TZ


async def settle(pilot) -> None:
    """Wait until every worker (generation) has finished and its results are on screen."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def on_screen(app: App, region: Region) -> list[str]:
    """The text the screen shows in `region` (screen coordinates), one string per row.

    Taken from the frame the compositor draws for the terminal, so a widget that is in the tree but
    scrolled out of view, clipped or covered is not in it.
    """
    frame = app.screen._compositor.render_strips()  # Textual has no public API for the drawn frame
    return [strip.crop(region.x, region.right).text for strip in frame[region.y:region.bottom]]


def last_message_line(settings: Settings, thread: str) -> tuple[str, int]:
    """The thread's last message as the transcript pane writes it ("20:41 Maya Chen  just you"), and how
    many messages the thread has."""
    corpus = Corpus(settings.corpus_path)
    try:
        messages = corpus.messages(corpus.thread(thread).id)
    finally:
        corpus.close()
    last = transcript_items(messages, TZ, CLOCK.date())[-1]
    return f"{last.time} {last.sender}  {last.text}", len(messages)
