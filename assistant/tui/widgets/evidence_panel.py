"""The evidence behind the drafts: past exchanges like this one, dated, and what the user answered then."""

from __future__ import annotations

from collections.abc import Sequence

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from assistant.retrieval.exchanges import Evidence

CONTEXT_LINES = 2  # the end of the exchange's context is what the reply answered


def evidence_content(e: Evidence) -> Content:
    x = e.exchange
    said = "\n".join(x.context.splitlines()[-CONTEXT_LINES:])
    return Content.assemble(
        (f"{x.timestamp:%Y-%m-%d}", "bold"), (f" · {x.contact} · match {e.similarity:.2f}", "$text-muted"), "\n",
        (said, "$text-muted"), "\n",
        ("you: ", "bold $text-success"), x.reply,
    )


class EvidencePanel(VerticalScroll):
    DEFAULT_CSS = """
    EvidencePanel {
        height: 1fr;
        border: round $panel;
        border-title-color: $text-muted;
        padding: 0 1;
        &:focus { border: round $primary; }
        & > Static { margin-bottom: 1; }
        & > .-note { color: $text-muted; }
    }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.border_title = "Evidence"

    def show(self, evidence: Sequence[Evidence]) -> None:
        self.border_title = f"Evidence · {len(evidence)} past exchanges" if evidence else "Evidence"
        with self.app.batch_update():
            self.remove_children()
            if evidence:
                self.mount_all(Static(evidence_content(e), markup=False) for e in evidence)
            else:
                self.mount(Static("No past exchanges like this one yet.", classes="-note", markup=False))
        self.scroll_home(animate=False)
