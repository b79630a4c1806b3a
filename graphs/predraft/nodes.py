"""The chain's nodes, one function each, and the routers between them.

Nodes read live objects (corpus, model, index, stores) from the run context and return only the
state keys they change. Side effects after the review interrupt are idempotent: a node that reruns
(a resumed or replayed run) writes the same rows again, which the stores ignore.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

import numpy as np
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from rapidfuzz.distance import Levenshtein

from assistant.config import Settings
from assistant.feedback.store import Decision
from assistant.models.base import ScoringUnsupported
from assistant.privacy import PrivacyPolicy, exclusions, read_rules
from assistant.quality import is_echo
from assistant.prompting import (
    ME,
    Turn,
    contact_label,
    current_conversation,
    local_date,
    message_turns,
    other_speaker,
    parse_reply,
    render_reply,
)
from graphs.predraft import ranking
from graphs.predraft.context import ChainContext
from graphs.predraft.ledger import PredictionOutcome
from graphs.predraft.prompts import (
    draft_options,
    model_prompt,
    predict_options,
    retrieval_query,
    speakers,
    transcript_prompt,
)
from graphs.predraft.state import Alternative, ChainState, Draft, EvidenceRecord, RankedCandidate

PREDICTION_STREAM = -1  # the candidate index under which the predicted message's tokens stream


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# ---- nodes ------------------------------------------------------------------------------------


def load_thread(state: ChainState, runtime: Runtime[ChainContext]) -> dict:
    """The current conversation of the thread, read as training read it: through the privacy policy
    (PII redacted), so the model sees what it learnt from, and no prompt, checkpoint or review
    decision holds what training may not."""
    ctx = runtime.context
    rules = read_rules(ctx.corpus, PrivacyPolicy.from_settings(ctx.settings))
    thread = rules.thread(ctx.corpus.thread(state["thread_id"]))
    me = ctx.corpus.me()
    messages = ctx.corpus.messages(thread.id)
    dataset = ctx.settings.dataset
    current = current_conversation(messages, dataset.conversation_gap_hours)
    turns = message_turns(map(rules.message, current), dataset.media)  # the policy reads only what is shown
    other = other_speaker(thread, turns, me.name if me else "")
    last = messages[-1] if messages else None
    return {
        "platform": thread.platform,
        "is_group": thread.is_group,
        # The header names the other person as training did; `other` names whoever speaks next even
        # under privacy.redact_names, for their lines and the stops.
        "contact": contact_label(thread, other, ctx.settings.privacy.redact_names),
        "other": other,
        "header_date": state["as_of"] or (local_date(last) if last else datetime.now(UTC).date()).isoformat(),
        # Evidence comes from before this conversation: its own exchanges are in the prompt already (a past
        # reply of theirs would only echo it), and the thread's later ones are its future.
        "since": (current[0].timestamp if current else datetime.now(UTC)).isoformat(),
        "context": turns,
        "step": 0,
        "attempt": 0,
        "predicted_incoming": None,
        "predraft": [],
        "alternatives": [],
        "incoming": None,
        "hit": None,
    }


def retrieve(state: ChainState, runtime: Runtime[ChainContext]) -> dict:
    """Past exchanges like the last few messages: evidence of how the user answers such things.

    Consent holds at once: the threads of contacts excluded since the index was built are left out
    (consent_mode "drop-thread"), their lines withheld (otherwise), their names replaced.
    """
    return {"evidence": _evidence(state, runtime)}


def _evidence(state: ChainState, runtime: Runtime[ChainContext]) -> list[EvidenceRecord]:
    ctx = runtime.context
    retrieval = ctx.settings.retrieval
    as_of = state["as_of"]
    excluded = exclusions(ctx.corpus)
    drop_threads = ctx.settings.privacy.consent_mode == "drop-thread"
    # --as-of DATE includes that whole day; the thread's own exchanges from its last message on are its future.
    before = datetime.combine(date.fromisoformat(as_of) + timedelta(days=1), time(), UTC) if as_of else None
    found = ctx.resources.index.search(
        retrieval_query(state["context"], retrieval.context_messages),
        k=retrieval.top_k,
        before=before,
        exclude_thread=(state["thread_id"], datetime.fromisoformat(state["since"])),
        hidden_threads=excluded.thread_ids if drop_threads else (),
    )
    evidence = [
        EvidenceRecord(
            id=e.exchange.id, thread_id=e.exchange.thread_id, thread_title=excluded.scrub(e.exchange.thread_title),
            contact=excluded.scrub(e.exchange.contact), platform=e.exchange.platform,
            timestamp=e.exchange.timestamp.isoformat(), year=e.exchange.year,
            context=excluded.scrub_transcript(e.exchange.context), reply=excluded.scrub(e.exchange.reply),
            # whose answer it was is not kept: in a thread of theirs it may be their words
            answer="" if excluded.involves(e.exchange.thread_id) else excluded.scrub(e.exchange.answer),
            similarity=e.similarity,
        )
        for e in found
    ]
    return evidence


def draft(state: ChainState, runtime: Runtime[ChainContext]) -> dict:
    """Sample k replies for "Me:", streaming each token to the run's custom stream, and offer the user's
    own replies from the most alike past exchanges beside them (`draft.past_replies`). The model reads
    the closest exchanges before the conversation (`draft.examples`); the state keeps the conversation's
    prompt, the form training and feedback use.

    A sample that nearly copies a message already in the working conversation (the thread, the chain's
    accepted and predicted messages) is dropped; when none is left, k more are sampled with new seeds.
    """
    ctx = runtime.context
    settings = ctx.settings
    n = settings.draft.candidates
    prompt = transcript_prompt(state, settings)
    shown = model_prompt(prompt, state["evidence"], settings)
    earlier, chain = _said_and_generated(state["context"])
    step = state["step"]
    samples: list[Draft] = []
    echoes = 0
    for resample in range(settings.draft.resample_rounds + 1):
        options = draft_options(settings, speakers(state) - {ME}, state["attempt"], resample)

        def on_piece(i: int, piece: str) -> None:
            runtime.stream_writer({"step": step, "candidate": i, "piece": piece})

        for text in ctx.resources.backend.candidates(shown, options, n, on_piece, ctx.cancel):
            messages = parse_reply(text)
            if is_echo("\n".join(messages), earlier, chain):
                echoes += 1
            else:
                samples.append(Draft(messages=messages, source="model", evidence_id=None))
        if any(d["messages"] for d in samples) or (ctx.cancel is not None and ctx.cancel.is_set()):
            break
    if ctx.cancel is not None and ctx.cancel.is_set():
        # Stopped by the user: keep what was sampled, offer nothing new (ranking it would run the model).
        return {"prompt": prompt, "drafts": samples, "echoes_dropped": echoes}
    past = ranking.past_replies(state["evidence"], settings.draft.past_replies, settings.draft.past_reply_similarity,
                                earlier, chain)
    return {"prompt": prompt, "drafts": past + samples, "echoes_dropped": echoes}


def rank(state: ChainState, runtime: Runtime[ChainContext]) -> dict:
    """Score distinct drafts by model log-prob per token and closeness to the user's real replies."""
    ctx = runtime.context
    drafts = ranking.distinct_drafts(state["drafts"])
    backend = ctx.resources.backend
    try:
        # Under the conversation alone: a past reply shown among the examples is near-certain to a model that
        # can copy it, the more so the longer it is, and would win every ranking on that alone.
        logprobs = [backend.score_tokens(state["prompt"], render_reply(d["messages"])) for d in drafts]
    except ScoringUnsupported:
        logprobs = None  # e.g. Ollama's OpenAI API: rank by style alone rather than fail every draft
    replies = [e["reply"] for e in state["evidence"]]
    samples = [d for d in drafts if d["source"] == "model"]
    sample_style: list[float] = []
    if samples:
        vectors = ctx.resources.embedder.embed(["\n".join(d["messages"]) for d in samples] + replies)
        sample_style = ranking.max_similarities(vectors[: len(samples)], vectors[len(samples) :])
    # A past reply's style is how alike its exchange was to this one (against itself it would be 1).
    exchange_similarity = {e["id"]: e["similarity"] for e in state["evidence"]}
    styles = iter(sample_style)
    similarities = [exchange_similarity[d["evidence_id"]] if d["source"] == "past" else next(styles)
                    for d in drafts]
    draft_settings = ctx.settings.draft
    candidates = ranking.rank(drafts, logprobs, similarities, draft_settings.similarity_weight, bool(replies),
                              ranking.reply_texts(state["evidence"]), draft_settings.length_weight,
                              draft_settings.agreement_weight)
    update: dict = {"candidates": candidates}
    if state["predicted_incoming"] is not None and state["incoming"] is None:
        update["predraft"] = candidates  # drafted against the prediction: what a hit will serve
    return update


def gate(state: ChainState, runtime: Runtime[ChainContext]) -> dict:
    """Below the threshold the chain offers no suggestion (the reviewer may still regenerate)."""
    return _gated(state["candidates"], runtime.context.settings)


def _gated(candidates: list[RankedCandidate], settings: Settings) -> dict:
    confidence = ranking.confidence(candidates)
    suggest = bool(candidates) and confidence >= settings.draft.confidence_threshold
    return {"confidence": confidence, "suggest": suggest, "shown_at": now_iso()}


def review(state: ChainState) -> dict:
    """Wait for the person: the run stops here and resumes with `Command(resume=answer)`."""
    answer = interrupt(
        {
            "step": state["step"],
            "suggest": state["suggest"],
            "confidence": state["confidence"],
            "candidates": state["candidates"],
            "evidence": state["evidence"],
            "predicted_incoming": state["predicted_incoming"],
        }
    )
    return {"answer": answer}


def record(state: ChainState, runtime: Runtime[ChainContext]) -> dict:
    """Store the decision as feedback and apply it: what the user sent joins the working conversation."""
    ctx = runtime.context
    answer = state["answer"]
    action = answer["action"]
    chosen = answer.get("chosen_index")
    candidates = state["candidates"]
    step = state["step"]
    if action == "accept":
        said = candidates[chosen]["messages"]
    elif action == "edit":
        said = [answer["text"]]
    else:
        said = []
    final_text = "\n".join(said) or None
    if answer.get("reviewed", True):
        backend = ctx.resources.backend
        base = candidates[chosen]["text"] if chosen is not None else (candidates[0]["text"] if candidates else "")
        decision = Decision(
            thread_id=state["thread_id"], prompt=state["prompt"], candidates=[c["text"] for c in candidates],
            action=action, chosen_index=chosen, final_text=final_text,
            edit_distance=Levenshtein.distance(base, final_text) if action == "edit" else None,
            latency_ms=_ms_between(state["shown_at"], answer["decided_at"]),
            model_id=backend.model_id, adapter_id=backend.adapter_id, as_of=state["as_of"],
            confidence=state["confidence"], chain_id=state["chain_id"], step=step,
            created_at=answer["decided_at"],
        )
        # The store feeds training: it keeps the decision as the privacy policy reads it, drafts included.
        ctx.feedback.record(decision.under(read_rules(ctx.corpus, PrivacyPolicy.from_settings(ctx.settings))))
    event = {"step": step, "event": action, "text": final_text, "chosen_index": chosen,
             "confidence": state["confidence"], "candidates": [c["text"] for c in candidates]}
    update: dict = {"history": [event]}
    if said:
        update |= {
            "context": state["context"] + [Turn(speaker=ME, text=m, source="accepted") for m in said],
            "step": step + 1, "attempt": 0, "predicted_incoming": None, "predraft": [], "alternatives": [],
            "incoming": None,
            "hit": None,
        }
    elif action == "regenerate":
        update["attempt"] = state["attempt"] + 1
    return update


def predict(state: ChainState, runtime: Runtime[ChainContext]) -> dict:
    """The other side's likeliest next message: what they answered when you sent words like these in an
    alike exchange (`draft.past_answers`), else written by the model as "Name:", after the alike exchanges
    with their answers (`draft.examples`)."""
    ctx = runtime.context
    other = state["other"]
    earlier, chain = _said_and_generated(state["context"])
    known: list[str] = []
    if ctx.settings.draft.past_answers:
        known = ranking.past_answers(state.get("evidence", []), "\n".join(_just_sent(state["context"])), earlier,
                                     chain, ctx.settings.draft.predictions)
    if known:
        runtime.stream_writer({"step": state["step"], "candidate": PREDICTION_STREAM, "piece": " " + known[0]})
        return _predicted(state, runtime, [known[0]], "past") | {"alternatives": _alternatives(state, runtime, known[1:])}
    prompt = model_prompt(transcript_prompt(state, ctx.settings, speaker=other), state.get("evidence", []),
                          ctx.settings, answers=True)
    messages: list[str] = []
    for resample in range(ctx.settings.draft.resample_rounds + 1):
        options = predict_options(ctx.settings, speakers(state), other, resample)
        pieces: list[str] = []
        for piece in ctx.resources.backend.stream(prompt, options, ctx.cancel):
            pieces.append(piece)
            runtime.stream_writer({"step": state["step"], "candidate": PREDICTION_STREAM, "piece": piece})
        messages = parse_reply("".join(pieces), speaker=other)
        if not is_echo("\n".join(messages), earlier, chain):
            break
    else:
        messages = []  # only echoes of what was already said: no prediction beats a wrong one
    return _predicted(state, runtime, messages, "model")


def _predicted(state: ChainState, runtime: Runtime[ChainContext], messages: list[str], source: str) -> dict:
    predicted = "\n".join(messages) or None
    update: dict = {"predicted_incoming": predicted, "alternatives": [],
                    "history": [{"step": state["step"], "event": "predicted", "text": predicted, "source": source}]}
    if messages:
        update["context"] = state["context"] + [Turn(speaker=state["other"], text=m, source="predicted")
                                                for m in messages]
        update["predicted_vector"] = runtime.context.resources.embedder.embed([predicted])[0].tolist()
    return update


def _alternatives(state: ChainState, runtime: Runtime[ChainContext], texts: list[str]) -> list[Alternative]:
    """The other likely messages, each with your past replies to alike ones ready; one for which you have
    no alike past reply is left out (nothing to serve at once, and the model's pre-draft is kept for
    the likeliest message: a hit here saves the re-draft, not a model call beforehand)."""
    ctx = runtime.context
    draft_settings = ctx.settings.draft
    found: list[Alternative] = []
    vectors = ctx.resources.embedder.embed(texts) if texts else []
    for text, vector in zip(texts, vectors, strict=True):
        context = state["context"] + [Turn(speaker=state["other"], text=m, source="predicted") for m in text.split("\n")]
        evidence = _evidence(state | {"context": context}, runtime)
        earlier, chain = _said_and_generated(context)
        past = ranking.past_replies(evidence, draft_settings.past_replies, draft_settings.past_reply_similarity,
                                    earlier, chain)
        if past:
            match = {e["id"]: e["similarity"] for e in evidence}
            candidates = ranking.rank(past, None, [match[d["evidence_id"]] for d in past],
                                      draft_settings.similarity_weight, True, ranking.reply_texts(evidence),
                                      draft_settings.length_weight, draft_settings.agreement_weight)
            found.append(Alternative(text=text, vector=vector.tolist(), evidence=evidence, candidates=candidates))
    return found


def match_incoming(state: ChainState, runtime: Runtime[ChainContext]) -> dict:
    """A real message came: was it the predicted one? A hit serves the pre-draft; anything else re-drafts."""
    ctx = runtime.context
    text = state["answer"]["text"]
    context = list(state["context"])
    while context and context[-1]["source"] == "predicted":
        context.pop()  # the guess gives way to what was really said
    update: dict = {"context": [*context, Turn(speaker=state["other"], text=text, source="incoming")],
                    "incoming": text, "hit": None}
    event = {"step": state["step"], "event": "incoming", "text": text, "similarity": None, "hit": None}
    predicted = state["predicted_incoming"]
    if predicted is not None and state["incoming"] is None:
        vector = ctx.resources.embedder.embed([text])[0]
        similarity = float(vector @ np.asarray(state["predicted_vector"]))
        threshold = ctx.settings.draft.prediction_hit_similarity
        hit = similarity >= threshold
        if not hit:  # one of the other likely messages came: serve the replies kept ready for it
            alike = [(float(vector @ np.asarray(a["vector"])), a) for a in state.get("alternatives", [])]
            best = max(alike, key=lambda found: found[0], default=None)
            if best is not None and best[0] >= threshold:
                similarity, served = best
                predicted, hit = served["text"], True
                update |= {"candidates": served["candidates"], "predraft": served["candidates"],
                           "evidence": served["evidence"], "attempt": 0,
                           "prompt": transcript_prompt(state | {"context": update["context"]}, ctx.settings),
                           **_gated(served["candidates"], ctx.settings)}
                event["alternative"] = predicted
        ctx.ledger.record_prediction(
            PredictionOutcome(chain_id=state["chain_id"], step=state["step"], thread_id=state["thread_id"],
                              predicted=predicted, actual=text, similarity=similarity, hit=hit)
        )
        update |= {"hit": hit, "shown_at": now_iso()}
        event |= {"similarity": similarity, "hit": hit}
    update["history"] = [event]
    return update


# ---- routers ----------------------------------------------------------------------------------


def route_review(state: ChainState) -> Literal["record", "match_incoming"]:
    return "match_incoming" if state["answer"]["action"] == "incoming" else "record"


def route_decision(state: ChainState) -> Literal["draft", "predict", "__end__"]:
    action = state["answer"]["action"]
    if action == "regenerate":
        return "draft"
    if action == "reject" or state["step"] >= state["depth"]:
        return "__end__"
    return "predict"


def route_prediction(state: ChainState) -> Literal["retrieve", "__end__"]:
    # Nothing predicted (the model had nothing to add): there is nothing to pre-draft an answer to.
    return "retrieve" if state["predicted_incoming"] else "__end__"


def route_match(state: ChainState) -> Literal["review", "retrieve"]:
    return "review" if state["hit"] else "retrieve"


def _said_and_generated(turns: list[Turn]) -> tuple[list[str], list[str]]:
    """The conversation's real messages, and what the chain itself accepted or predicted (a repeat of
    those counts as an echo even when short: "I'll do it." three steps running is a loop)."""
    generated = {"accepted", "predicted"}
    return ([t["text"] for t in turns if t["source"] not in generated],
            [t["text"] for t in turns if t["source"] in generated])


def _just_sent(turns: list[Turn]) -> list[str]:
    """The user's messages at the end of the conversation: the reply the prediction answers."""
    sent: list[str] = []
    for t in reversed(turns):
        if t["speaker"] != ME:
            break
        sent.insert(0, t["text"])
    return sent


def _ms_between(start_iso: str, end_iso: str) -> int:
    delta = datetime.fromisoformat(end_iso) - datetime.fromisoformat(start_iso)
    return max(0, int(delta.total_seconds() * 1000))
