"""The thread's messages: day separators, sender and time; media, system lines and reactions set apart."""

from __future__ import annotations

from collections.abc import Sequence

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from assistant.tui.models.transcript import TranscriptItem


def item_static(item: TranscriptItem) -> Static:
    return Static(item_content(item), classes=f"{item.kind}{' -me' if item.is_me else ''}", markup=False)


def item_content(item: TranscriptItem) -> Content:
    if item.kind in ("day", "earlier"):
        return Content(item.text)
    sender = ("Me" if item.is_me else item.sender, "bold $text-success" if item.is_me else "bold $text-secondary")
    return Content.assemble((item.time, "$text-muted"), " ", sender, "  ", item.text)


class Transcript(VerticalScroll):
    DEFAULT_CSS = """
    Transcript {
        width: 1fr;
        border: round $panel;
        border-title-color: $text-muted;
        padding: 0 1;
        &:focus { border: round $primary; }
        & > Static { width: 1fr; }
        & > .day { text-align: center; color: $text-muted; text-style: bold; margin-top: 1; }
        & > .earlier { text-align: center; color: $text-muted; text-style: italic; }
        & > .media { color: $text-muted; }
        & > .system { color: $text-muted; text-style: italic; }
        & > .reaction { color: $text-muted; text-style: dim; }
        & > .-me { background: $boost; }
    }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.border_title = "Transcript"

    def show(self, title: str, items: Sequence[TranscriptItem]) -> None:
        self.border_title = title
        with self.app.batch_update():
            self.remove_children()
            self.mount_all(item_static(i) for i in items)
        self.anchor()  # stays at the latest message as lines are added, until the user scrolls up

    def append(self, item: TranscriptItem) -> Static:
        """Add a line at the end (a chat message; `Static.update` it while it streams)."""
        static = item_static(item)
        self.mount(static)
        return static

    def clear(self, title: str, note: str) -> None:
        self.show(title, [TranscriptItem("earlier", note)])
