from langgraph.runtime import Runtime

from assistant.config import load_settings
from graphs.predraft.context import ChainContext
from graphs.predraft.nodes import gate, route_decision, route_match, route_prediction, route_review
from graphs.predraft.state import RankedCandidate


def _state(action: str, step: int = 1, depth: int = 2) -> dict:
    return {"answer": {"action": action}, "step": step, "depth": depth}


def test_route_decision_regenerates_stops_or_goes_on_to_predict():
    assert route_decision(_state("regenerate")) == "draft"
    assert route_decision(_state("reject", step=0)) == "__end__"
    assert route_decision(_state("accept", step=1, depth=2)) == "predict"
    assert route_decision(_state("edit", step=1, depth=2)) == "predict"
    assert route_decision(_state("accept", step=2, depth=2)) == "__end__"


def test_route_review_sends_real_messages_to_matching():
    assert route_review(_state("incoming")) == "match_incoming"
    assert route_review(_state("accept")) == "record"


def test_route_prediction_and_match():
    assert route_prediction({"predicted_incoming": "see you"}) == "retrieve"
    assert route_prediction({"predicted_incoming": None}) == "__end__"
    assert route_match({"hit": True}) == "review"
    assert route_match({"hit": False}) == "retrieve"
    assert route_match({"hit": None}) == "retrieve"  # no prediction was open: draft for the new message


def _runtime(data_dir, threshold: float) -> Runtime:
    settings = load_settings(data_dir, {"draft": {"confidence_threshold": threshold}})
    context = ChainContext(settings=settings, corpus=None, feedback=None, ledger=None, resources=None)
    return Runtime(context=context)


def _candidate(score: float) -> RankedCandidate:
    return RankedCandidate(text="ok", messages=["ok"], logprob=-1.0, similarity=0.5, score=score)


def test_gate_suggests_only_at_or_above_the_threshold(data_dir):
    assert gate({"candidates": [_candidate(0.5), _candidate(0.2)]}, _runtime(data_dir, 0.5))["suggest"] is True
    below = gate({"candidates": [_candidate(0.49)]}, _runtime(data_dir, 0.5))
    assert (below["suggest"], below["confidence"]) == (False, 0.49)
    assert gate({"candidates": []}, _runtime(data_dir, 0.0)) | {"shown_at": None} == {
        "confidence": 0.0, "suggest": False, "shown_at": None}
