"""One drafted reply: its text (streaming while generated) and, once ranked, its score."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from assistant.retrieval.exchanges import Evidence
from graphs.predraft.views import Candidate

BAR_WIDTH = 6


def score_bar(score: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, score)) * width)
    return "█" * filled + "░" * (width - filled)


class CandidateCard(Static):
    DEFAULT_CSS = """
    CandidateCard {
        width: 1fr;
        padding: 0 1;
        margin-bottom: 1;
        border-left: blank;
        &.-selected { border-left: thick $accent; background: $boost; }
        &.-streaming { color: $text-muted; }
        &.-below-gate { color: $text-muted; }
    }
    """

    def __init__(self, index: int):
        super().__init__(markup=False)
        self.index = index
        self.streamed = ""
        self.add_class("-streaming")
        self.update(self._header("drafting…"))

    def _header(self, detail: str) -> Content:
        return Content.assemble((f"#{self.index + 1}", "bold"), "  ", (detail, "$text-muted"))

    def add_piece(self, piece: str) -> None:
        self.streamed += piece
        self.update(Content.assemble(self._header("drafting…"), "\n", self.streamed.strip()))

    def show(self, candidate: Candidate, evidence: list[Evidence]) -> None:
        self.remove_class("-streaming")
        # score: the ranking key (the top one's is the confidence); then where the candidate comes from and how
        # much it agrees with your replies in the evidence.
        detail = f"{score_bar(candidate.score)} {candidate.score:.2f} · {candidate.origin(evidence)}"
        self.update(Content.assemble(self._header(detail), "\n", (candidate.text, "bold")))
