"""F1 / ?: every key of the screen underneath, taken from its bindings so the list never goes stale."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


def keys_content(rows: Sequence[tuple[str, str]]) -> Content:
    width = max((len(k) for k, _ in rows), default=0)
    parts: list[Content | str | tuple[str, str]] = []
    for key, description in rows:
        parts += [(key.ljust(width + 2), "bold $accent"), description, "\n"]
    return Content.assemble(*parts)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 72; max-width: 95%; height: auto; max-height: 90%;
            border: round $primary; background: $surface; padding: 0 1;
        }
        & .about { color: $text-muted; margin-top: 1; }
    }
    """
    BINDINGS = [Binding("escape,f1,question_mark,q", "dismiss", "Close")]

    def __init__(self, title: str, bindings: Sequence[Binding], about: str):
        super().__init__()
        self.title_text = title
        self.bindings_shown = [b for b in bindings if b.description]
        self.about = about

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = self.title_text
            box.border_subtitle = "Esc closes"
            rows = [(self.app.get_key_display(b), b.description) for b in self.bindings_shown]
            yield Static(keys_content(rows), markup=False)
            yield Static(self.about, classes="about", markup=False)
