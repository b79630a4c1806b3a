"""The pre-drafting chain as a LangGraph StateGraph, checkpointed in SQLite so a chain survives restarts.

    load_thread -> retrieve -> draft -> rank -> gate -> review (interrupt)
    review --answer--> record --regenerate--> draft
                              --accept/edit, steps left--> predict --> retrieve (pre-draft the answer)
                              --reject or depth reached--> end
    review --real message--> match_incoming --hit--> review (the pre-draft, at once)
                                            --miss--> retrieve (draft again)
"""

from __future__ import annotations

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from assistant.config import Settings
from assistant.databases import connect
from graphs.predraft import nodes
from graphs.predraft.context import ChainContext
from graphs.predraft.state import ChainInput, ChainState


def open_checkpointer(settings: Settings) -> SqliteSaver:
    conn = connect(settings.checkpoints_path)
    # Every step of a run is a commit. In WAL mode (which SqliteSaver sets) NORMAL skips the fsync per
    # commit and still never corrupts the file; a power cut may lose the last steps, which rerun on resume.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return SqliteSaver(conn)


builder = StateGraph(ChainState, context_schema=ChainContext, input_schema=ChainInput)
builder.add_node("load_thread", nodes.load_thread)
builder.add_node("retrieve", nodes.retrieve)
builder.add_node("draft", nodes.draft)
builder.add_node("rank", nodes.rank)
builder.add_node("gate", nodes.gate)
builder.add_node("review", nodes.review)
builder.add_node("record", nodes.record)
builder.add_node("predict", nodes.predict)
builder.add_node("match_incoming", nodes.match_incoming)

builder.add_edge(START, "load_thread")
builder.add_edge("load_thread", "retrieve")
builder.add_edge("retrieve", "draft")
builder.add_edge("draft", "rank")
builder.add_edge("rank", "gate")
builder.add_edge("gate", "review")
builder.add_conditional_edges("review", nodes.route_review)
builder.add_conditional_edges("record", nodes.route_decision)
builder.add_conditional_edges("predict", nodes.route_prediction)
builder.add_conditional_edges("match_incoming", nodes.route_match)


def compile_chain(checkpointer: SqliteSaver) -> CompiledStateGraph:
    """The runnable chain; without a checkpointer an interrupted chain could never be resumed."""
    return builder.compile(checkpointer=checkpointer, name="predraft")
