"""Review decisions as training data: SFT examples and preference pairs.

A decision stores the exact prompt the model saw (`Decision.prompt`), so an example needs no
rebuild: the target is what the user actually sent, rendered like any other reply. The privacy
policy may have changed since the review (a contact excluded, redaction turned on), so decisions
reach training only through `usable_decisions`, which applies it as it is now. A rejected draft
stores nothing the user sent, so `usable_decisions` also reads what they did send instead: their
next turn in the thread (through the same policy), if it came before the other side wrote again and
within a conversation gap. Pure functions over decisions, plus `usable_decisions` and
`write_feedback_export` at the edges.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from assistant.corpus.models import Kind, Message
from assistant.corpus.store import Corpus
from assistant.feedback.store import Decision, FeedbackStore
from assistant.privacy import PrivacyPolicy, read_rules
from assistant.privacy.policy import usable_threads
from assistant.prompting import render_reply
from training.examples import Example
from training.records import messages_record, write_jsonl


EXPORT_DIR = "feedback-export"  # under the data dir, where `predraft feedback export` writes without --out


@dataclass(frozen=True)
class PreferencePair:
    """One row of preference.jsonl, the prompt/chosen/rejected form Axolotl's DPO reads.

    Axolotl 0.19: `rl: dpo` with a user-defined type (`type: {field_prompt: prompt, field_chosen:
    chosen, field_rejected: rejected}`); TRL adds BOS to the prompt and EOS to both completions.
    """

    prompt: str
    chosen: str
    rejected: str

    def as_json(self) -> dict[str, str]:
        return {"prompt": self.prompt, "chosen": self.chosen, "rejected": self.rejected}


def split_text(text: str) -> list[str]:
    """A reply as typed in the review box: one message per non-empty line."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _when(d: Decision) -> datetime:
    return datetime.fromisoformat(d.created_at)


def sft_examples(decisions: Iterable[Decision]) -> list[Example]:
    """Accepted and edited drafts: the prompt shown, and the text the user sent."""
    out = []
    for d in decisions:
        messages = split_text(d.final_text or "")
        if d.action not in ("accept", "edit") or not messages:
            continue
        out.append(Example(
            prompt=d.prompt, target=render_reply(messages), messages=tuple(messages), when=_when(d),
            thread_id=d.thread_id, session=f"feedback:{d.chain_id or d.context_hash}", platform="",
            context_messages=d.prompt.count("\n") - 1, source="feedback",
        ))
    return out


def preference_pairs(decisions: Iterable[Decision]) -> list[PreferencePair]:
    """chosen = what the user sent, rejected = the draft they edited, or the top draft of those they
    rejected (a reject has what they sent only when `usable_decisions` found it in the thread)."""
    pairs = []
    for d in decisions:
        chosen = split_text(d.final_text or "")
        if d.action not in ("edit", "reject") or not chosen or not d.candidates:
            continue
        index = d.chosen_index if d.chosen_index is not None else 0
        rejected = split_text(d.candidates[index] if index < len(d.candidates) else d.candidates[0])
        if not rejected or rejected == chosen:
            continue
        pairs.append(PreferencePair(d.prompt, render_reply(chosen), render_reply(rejected)))
    return pairs


def cap_feedback(feedback: Sequence[Example], human: int, ratio: float) -> list[Example]:
    """At most human/ratio feedback examples, the same ones on every run (ranked by a content hash)."""
    limit = math.floor(human / ratio) if ratio > 0 else len(feedback)
    ranked = sorted(feedback, key=lambda e: hashlib.blake2b((e.prompt + e.target).encode(), digest_size=8).digest())
    return sorted(ranked[:limit], key=lambda e: e.when)


def usable_decisions(path: Path, corpus: Corpus, policy: PrivacyPolicy, gap: timedelta) -> list[Decision]:
    """The stored decisions training may use, under the privacy policy as the corpus says now: those of
    threads it drops are left out, the rest read like the corpus (`Decision.under`); a reject gets what
    the user sent instead (`sent_instead`, `gap`: dataset.conversation_gap_hours). None when the user
    never reviewed a draft."""
    if not path.is_file():
        return []
    rules = read_rules(corpus, policy)
    store = FeedbackStore(path)
    try:
        decisions = [d.under(rules) for d in store.decisions() if not rules.drops(d.thread_id)]
    finally:
        store.close()
    rejected_in = {d.thread_id for d in decisions if d.action == "reject" and d.final_text is None}
    if not rejected_in:
        return decisions
    messages = {thread.id: found for thread, found in usable_threads(corpus, policy, rejected_in)}
    return [replace(d, final_text=sent_instead(messages.get(d.thread_id, []), _when(d), gap))
            if d.action == "reject" and d.final_text is None else d for d in decisions]


def sent_instead(messages: Sequence[Message], rejected_at: datetime, gap: timedelta) -> str | None:
    """The user's turn that followed a reject: their text messages after it, until the other side writes;
    None when the other side wrote first, or the user only wrote after `gap`."""
    turn: list[str] = []
    for m in messages:
        if m.timestamp <= rejected_at:
            continue
        if not m.is_me or (not turn and m.timestamp - rejected_at > gap):
            break
        if m.kind == Kind.TEXT and m.text.strip() and not m.unsent:
            turn.append(m.text)
    return "\n".join(turn) or None


@dataclass(frozen=True)
class FeedbackExport:
    sft_path: Path
    preference_path: Path
    sft: int
    pairs: int


def write_feedback_export(decisions: Sequence[Decision], out_dir: Path) -> FeedbackExport:
    """sft.jsonl (OpenAI messages, like a dataset's train.jsonl) and preference.jsonl (DPO pairs)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sft = sft_examples(decisions)
    pairs = preference_pairs(decisions)
    sft_path, pref_path = out_dir / "sft.jsonl", out_dir / "preference.jsonl"
    write_jsonl(sft_path, (messages_record(e) for e in sft))
    write_jsonl(pref_path, (p.as_json() for p in pairs))
    return FeedbackExport(sft_path, pref_path, len(sft), len(pairs))
