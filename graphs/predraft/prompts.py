"""From the chain's state to the exact prompts and sampling options, in assistant.prompting's format.

The user's view of their own current thread is read straight from the corpus (it is not training
data); only the evidence comes through the privacy-filtered index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from assistant.config import Settings
from assistant.models.base import GenerationOptions
from assistant.prompting import ME, Turn, context_prompt, header, render_message, stop_sequences
from graphs.predraft.state import ChainState


def transcript_prompt(state: ChainState, settings: Settings, speaker: str = ME) -> str:
    head = header(state["platform"], state["contact"], date.fromisoformat(state["header_date"]), state["is_group"])
    return context_prompt(head, state["context"], settings.dataset, speaker)


def retrieval_query(turns: Sequence[Turn], n: int) -> str:
    """The last `n` turns in the same `Name: text` form as the index's exchange contexts."""
    return "\n".join(render_message(t["speaker"], t["text"]) for t in turns[-n:])


def speakers(state: ChainState) -> set[str]:
    return {t["speaker"] for t in state["context"]} | {state["other"]}


def draft_options(settings: Settings, other_speakers: Iterable[str], attempt: int) -> GenerationOptions:
    """Sampling for the user's reply; each regeneration moves to seeds no earlier attempt used."""
    options = GenerationOptions.from_settings(settings.model, stop=stop_sequences(other_speakers))
    return replace(options, seed=options.seed + attempt * settings.draft.candidates)


def predict_options(settings: Settings, all_speakers: Iterable[str], other: str) -> GenerationOptions:
    """The other side's likeliest next message: it may run over several of their lines, never into ours."""
    stops = [*stop_sequences(s for s in all_speakers if s != other), f"\n{ME}:"]
    options = GenerationOptions.from_settings(settings.model, stop=stops)
    return replace(options, temperature=settings.draft.predict_temperature)
