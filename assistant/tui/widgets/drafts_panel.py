"""The drafted replies for the chain's current step: k candidates, the selected one marked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from assistant.tui.models.review import status_text
from assistant.tui.widgets.candidate_card import CandidateCard
from graphs.predraft.views import ChainView


def gate_note(view: ChainView, threshold: float) -> str:
    if view.status != "low_confidence":
        return ""
    if not view.candidates:
        return "No drafts (cancelled, or nothing usable came out). r drafts again."
    return (f"No good suggestion: the best draft's confidence {view.confidence:.2f} is under the "
            f"{threshold:.2f} gate. a still accepts one, r regenerates.")


class DraftsPanel(VerticalScroll):
    DEFAULT_CSS = """
    DraftsPanel {
        height: 1fr;
        border: round $panel;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        padding: 0 0;
        &:focus { border: round $primary; }
        & > #drafts-note { padding: 0 1; color: $warning; }
        & > #drafts-note.-empty { display: none; }
        & > #drafts-progress { padding: 0 1; color: $text-muted; }
        & > #drafts-progress.-empty { display: none; }
        & > #cards { height: auto; }
    }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.border_title = "Drafts"
        self.cards: list[CandidateCard] = []

    def compose(self) -> ComposeResult:
        yield Static(id="drafts-note", classes="-empty", markup=False)
        yield Vertical(id="cards")
        yield Static(id="drafts-progress", classes="-empty", markup=False)

    def _set(self, widget_id: str, text: str) -> None:
        widget = self.query_one(f"#{widget_id}", Static)
        widget.update(text)
        widget.set_class(not text, "-empty")

    def _replace_cards(self, cards: list[CandidateCard]) -> None:
        self.cards = cards
        box = self.query_one("#cards", Vertical)
        box.remove_children()
        box.mount_all(cards)

    def note(self, text: str, title: str = "Drafts") -> None:
        """No drafts to show: say why and what to do."""
        self.border_title = title
        self.border_subtitle = ""
        self._replace_cards([])
        self._set("drafts-note", text)
        self._set("drafts-progress", "")

    def begin(self, label: str, count: int) -> None:
        """A generation starts: empty cards that fill as tokens stream in."""
        self.border_title = f"Drafts · {label}"
        self.border_subtitle = "Esc cancels"
        self._set("drafts-note", "")
        self._set("drafts-progress", "loading the model and the index…")
        self._replace_cards([CandidateCard(i) for i in range(count)])

    def add_piece(self, index: int, piece: str) -> None:
        if 0 <= index < len(self.cards):
            self.cards[index].add_piece(piece)

    def progress(self, text: str) -> None:
        self._set("drafts-progress", text)

    def show(self, view: ChainView, selected: int, threshold: float) -> None:
        self.border_title = f"Drafts · {status_text(view, threshold)}"
        self.border_subtitle = f"{selected + 1}/{len(view.candidates)}" if view.candidates else ""
        self._set("drafts-note", gate_note(view, threshold))
        self._set("drafts-progress", "")
        cards = [CandidateCard(i) for i in range(len(view.candidates))]
        for card, candidate in zip(cards, view.candidates, strict=True):
            card.show(candidate, view.evidence)
            card.set_class(view.status == "low_confidence", "-below-gate")
        self._replace_cards(cards)
        self.select(selected)

    def select(self, index: int) -> None:
        for card in self.cards:
            card.set_class(card.index == index, "-selected")
        if self.cards:
            self.border_subtitle = f"{index + 1}/{len(self.cards)}"
