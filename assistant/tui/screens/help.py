"""F1 / ?: every key of the screen underneath, taken from its bindings so the list never goes stale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 76; max-width: 95%; height: auto; max-height: 90%;
            border: round $primary; background: $surface; padding: 0 1;
        }
        & Grid { grid-size: 2; grid-columns: 10 1fr; grid-rows: auto; height: auto; }
        & .key { color: $accent; text-style: bold; }
        & .about { color: $text-muted; margin-top: 1; }
    }
    """
    BINDINGS = [Binding("escape,f1,question_mark,q", "dismiss", "Close")]

    def __init__(self, title: str, bindings: Sequence[Binding], about: str):
        super().__init__()
        self.title_text = title
        self.bindings_shown = [b for b in bindings if b.description and b.show]
        self.about = about

    def key_names(self, binding: Binding) -> str:
        return " / ".join(self.app.get_key_display(replace(binding, key=k.strip())) for k in binding.key.split(","))

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = self.title_text
            box.border_subtitle = "Esc closes"
            with Grid():
                for b in self.bindings_shown:
                    yield Label(self.key_names(b), classes="key", markup=False)
                    yield Label(b.tooltip or b.description, markup=False)
                yield Label("ctrl+p", classes="key", markup=False)
                yield Label("Command palette: every action by name, jump to a thread, change the theme",
                            markup=False)
            yield Static(self.about, classes="about", markup=False)
