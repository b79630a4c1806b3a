"""The predicted chain: what you sent, the other side's next message as predicted, your pre-drafted reply."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from assistant.tui.models.review import ChainLine
from graphs.predraft.pacing import hit_rate_line

LABELS = {"sent": "you sent", "predicted": "{speaker}, predicted", "alternatives": "or perhaps",
          "incoming": "{speaker}, arrived", "predraft": "your pre-draft"}
STYLES = {"sent": "$text-success", "predicted": "italic $text-secondary", "alternatives": "italic $text-muted",
          "incoming": "$text-secondary", "predraft": "bold $text-accent"}


def chain_content(lines: Sequence[ChainLine]) -> Content:
    parts: list[Content | str | tuple[str, str]] = []
    for line in lines:
        if parts:
            parts.append("\n")
        label = LABELS[line.role].format(speaker=line.speaker)
        parts += [(f"{label}: ", f"bold {STYLES[line.role]}"), (line.text, STYLES[line.role])]
    return Content.assemble(*parts)


class ChainPanel(Static):
    DEFAULT_CSS = """
    ChainPanel {
        height: auto;
        max-height: 10;
        border: round $panel;
        border-title-color: $text-muted;
        padding: 0 1;
        &.-hint { color: $text-muted; }
    }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__(markup=False, id=id)
        self.border_title = "Predicted chain"
        self.predicting = ""

    def show(self, lines: Sequence[ChainLine], hint: str, hits: int = 0, predictions: int = 0) -> None:
        """The chain's lines (or the hint), and how often predictions have matched the real message so far."""
        self.border_subtitle = f"predictions hit {hit_rate_line(hits, predictions)}" if predictions else ""
        self.predicting = ""
        self.set_class(not lines, "-hint")
        self.update(chain_content(lines) if lines else hint)

    def add_piece(self, speaker: str, piece: str) -> None:
        """A token of the other side's predicted message, as it streams in."""
        self.predicting += piece
        self.set_class(False, "-hint")
        self.update(Content.assemble((f"{speaker}, predicting: ", "bold italic $text-secondary"),
                                     (self.predicting.strip(), "italic $text-secondary")))
