"""Edit a draft before sending it. Every change is handed to `on_change` (the autosave) as it happens."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static, TextArea


class EditScreen(ModalScreen[str | None]):
    """Dismissed with the edited text (Ctrl+S), or None (Esc: the autosaved text stays for next time)."""

    DEFAULT_CSS = """
    EditScreen {
        align: center middle;
        & > Vertical {
            width: 80%; max-width: 100; height: auto; max-height: 80%;
            border: round $accent; background: $surface; padding: 0 1;
        }
        & TextArea { height: 10; }
        & .hint { color: $text-muted; }
    }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save and copy", priority=True),
        Binding("escape", "close", "Close (kept as a draft)", priority=True),
    ]

    def __init__(self, text: str, title: str, on_change: Callable[[str], None]):
        super().__init__()
        self.text = text
        self.title_text = title
        self.on_change = on_change

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield TextArea(self.text, id="edit-text", soft_wrap=True, show_line_numbers=False)
            yield Static("One message per line. Saved as you type: a crash or Ctrl+C loses nothing.",
                         classes="hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @on(TextArea.Changed)
    def _autosave(self, event: TextArea.Changed) -> None:
        self.on_change(event.text_area.text)

    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify("Nothing to send: type the reply, or Esc to close.", severity="warning")
            return
        self.dismiss(text)

    def action_close(self) -> None:
        self.dismiss(None)
