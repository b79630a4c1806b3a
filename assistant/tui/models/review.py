"""What the review panes make of a chain: its status in words and the predicted chain as lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistant.prompting import ME
from graphs.predraft.views import ChainView

OPEN = ("awaiting_review", "low_confidence")
Role = Literal["sent", "predicted", "alternatives", "incoming", "predraft"]
_ROLES: dict[str, Role] = {"accepted": "sent", "predicted": "predicted", "incoming": "incoming"}


@dataclass(frozen=True, slots=True)
class ChainLine:
    role: Role
    speaker: str
    text: str


def is_open(view: ChainView | None) -> bool:
    """The chain waits for a review (drafts shown, or none good enough but regenerable)."""
    return view is not None and view.status in OPEN


def chain_lines(view: ChainView) -> list[ChainLine]:
    """The chain beyond the real thread: what was sent, what the other side is predicted to say, and
    the reply pre-drafted for it (the top candidate of a step that answers a prediction)."""
    lines = [ChainLine(_ROLES[t["source"]], t["speaker"], t["text"]) for t in view.context if t["source"] != "corpus"]
    if view.alternatives and view.incoming is None and is_open(view):
        # also expected, with your past replies ready for each: shown so a served one is no surprise
        lines.append(ChainLine("alternatives", view.contact, " | ".join(view.alternatives)))
    if view.predicted_incoming and view.candidates and is_open(view):
        lines.append(ChainLine("predraft", ME, view.candidates[0].text))
    return lines


def status_text(view: ChainView, threshold: float) -> str:
    """One line on where the chain stands, for the drafts pane's title."""
    if view.status == "done":
        return "chain finished"
    if view.status == "stalled":
        return "drafting was interrupted"
    step = f"step {view.step + 1}/{view.depth}"
    if not view.candidates:
        return f"{step} · no drafts"
    gate = "" if view.status == "awaiting_review" else f" · below the {threshold:.2f} gate"
    return f"{step} · confidence {view.confidence:.2f}{gate}"


def cycle(selected: int, count: int, delta: int = 1) -> int:
    return (selected + delta) % count if count else 0
