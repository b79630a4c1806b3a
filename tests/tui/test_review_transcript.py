"""The open thread's latest message is on screen at the end of the transcript pane, at every terminal size,
from the moment the thread opens and after each answer to the drafts."""

from __future__ import annotations

import pytest
from canned_backend import CannedBackend
from tui_support import last_message_line, on_screen, settle

from assistant.tui.widgets.transcript import Transcript

pytestmark = [pytest.mark.slow, pytest.mark.anyio]  # the real MiniLM embedder ranks the canned drafts

THREAD = "Maya Chen"


def transcript_tail(app, count: int) -> list[str]:
    """The last `count` words drawn inside the transcript pane (its borders and padding excluded)."""
    rows = on_screen(app, app.screen.query_one(Transcript).content_region)
    return " ".join(rows).split()[-count:]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])
async def test_the_last_message_is_on_screen_from_opening_through_accept_and_regenerate(demo, size):
    expected = last_message_line(demo.settings, THREAD)[0].split()
    app = demo.review(CannedBackend(), open_ref=THREAD)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert transcript_tail(app, len(expected)) == expected, "shown as the thread opens"
        await settle(pilot)
        assert app.screen.view.candidates
        assert transcript_tail(app, len(expected)) == expected, "shown with the drafts"
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.view.step == 1
        assert transcript_tail(app, len(expected)) == expected, "shown after accepting"
        await pilot.press("r")
        await settle(pilot)
        assert [h["event"] for h in app.screen.view.history][-1] == "regenerate"
        assert transcript_tail(app, len(expected)) == expected, "shown after regenerating"
