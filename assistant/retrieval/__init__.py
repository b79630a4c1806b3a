"""Retrieval of the user's past exchanges as evidence for drafting (docs/retrieval.md).

Import from the modules: `exchanges` is pure and light; `embed` and `index` load torch and Chroma.
"""
