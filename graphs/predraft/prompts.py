"""From the chain's state to the exact prompts and sampling options, in assistant.prompting's format.

The user's view of their own current thread is read straight from the corpus (it is not training
data); only the evidence comes through the privacy-filtered index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime

from assistant.config import Settings
from assistant.models.base import GenerationOptions
from assistant.prompting import (
    ME,
    PastExchange,
    Turn,
    context_prompt,
    header,
    render_message,
    stop_sequences,
    with_examples,
)
from graphs.predraft.state import ChainState, EvidenceRecord


def transcript_prompt(state: ChainState, settings: Settings, speaker: str = ME) -> str:
    head = header(state["platform"], state["contact"], date.fromisoformat(state["header_date"]), state["is_group"])
    return context_prompt(head, state["context"], settings.dataset, speaker)


def model_prompt(prompt: str, evidence: list[EvidenceRecord], settings: Settings, answers: bool = False) -> str:
    """What the model reads: your `draft.examples` most alike past exchanges (with what the other side
    answered then, for `answers`: the model writes their message), then `prompt`."""
    shown = [past_exchange(e, answers) for e in evidence[: settings.draft.examples]]
    return with_examples(prompt, shown, settings.dataset.context_tokens)


def past_exchange(evidence: EvidenceRecord, answer: bool) -> PastExchange:
    return PastExchange(platform=evidence["platform"], contact=evidence["contact"],
                        day=datetime.fromisoformat(evidence["timestamp"]).date(), context=evidence["context"],
                        reply=evidence["reply"], answer=evidence["answer"] if answer else "")


def retrieval_query(turns: Sequence[Turn], n: int) -> str:
    """The last `n` turns in the same `Name: text` form as the index's exchange contexts."""
    return "\n".join(render_message(t["speaker"], t["text"]) for t in turns[-n:])


def speakers(state: ChainState) -> set[str]:
    return {t["speaker"] for t in state["context"]} | {state["other"]}


RESAMPLE_SEED_STRIDE = 100_003  # resamples draw from seeds far beyond any regeneration's


def draft_options(
    settings: Settings, other_speakers: Iterable[str], attempt: int, resample: int = 0
) -> GenerationOptions:
    """Sampling for the user's reply; each regeneration, and each resample after echoes, moves to seeds
    that no other attempt or resample uses."""
    options = GenerationOptions.from_settings(settings.model, stop=stop_sequences(other_speakers))
    return replace(options, seed=options.seed + attempt * settings.draft.candidates + resample * RESAMPLE_SEED_STRIDE)


def predict_options(settings: Settings, all_speakers: Iterable[str], other: str, resample: int = 0) -> GenerationOptions:
    """The other side's likeliest next message: it may run over several of their lines, never into ours.
    A resample (the likeliest one was an echo) samples at the drafts' temperature with a new seed."""
    stops = [*stop_sequences(s for s in all_speakers if s != other), f"\n{ME}:"]
    options = GenerationOptions.from_settings(settings.model, stop=stops)
    if resample:
        return replace(options, seed=options.seed + resample * RESAMPLE_SEED_STRIDE)
    return replace(options, temperature=settings.draft.predict_temperature)
