"""The pre-drafting chain: draft, review, predict the other side's next message, pre-draft the answer.

`api.DraftChain` is the entry point for the CLI and the review app; the graph itself is in `graph.py`.
"""
