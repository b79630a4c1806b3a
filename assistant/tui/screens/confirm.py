"""A yes/no question about one text, asked before predraft hands it to anyone (a send, a draft in a mail folder)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismissed with True for y; n and Esc answer no, so no other key can send by accident."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
        & > Static { width: 70; height: auto; border: round $warning; background: $surface; padding: 1 2; }
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, text: str, question: str):
        super().__init__()
        self.title_text, self.text, self.question = title, text, question

    def compose(self) -> ComposeResult:
        box = Static(f"{self.text}\n\n{self.question} y/n", markup=False, id="confirm-question")
        box.border_title = self.title_text
        yield box

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
