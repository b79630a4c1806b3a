"""Save a chat: rate how well the persona wrote, 1 to 5 (0 saves it unrated, Esc cancels)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

UNRATED = 0


class RateScreen(ModalScreen[int | None]):
    """Dismissed with 1-5, UNRATED (save without a rating), or None (not saved)."""

    DEFAULT_CSS = """
    RateScreen {
        align: center middle;
        & > Static { width: 60; height: auto; border: round $accent; background: $surface; padding: 1 2; }
    }
    """
    BINDINGS = [
        *(Binding(str(n), f"rate({n})", f"{n}/5", show=False) for n in range(1, 6)),
        Binding("0", f"rate({UNRATED})", "Save unrated", show=False),
        Binding("escape", "dismiss", "Cancel"),
    ]

    def compose(self) -> ComposeResult:
        box = Static("How well did the persona write like you?\n\n"
                     "1 not at all · 2 · 3 · 4 · 5 just like me\n\n"
                     "Press 1-5 to save with that rating, 0 to save unrated, Esc to go back.", markup=False)
        box.border_title = "Save this conversation"
        yield box

    def action_rate(self, rating: int) -> None:
        self.dismiss(rating)
