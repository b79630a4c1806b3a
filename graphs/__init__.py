"""LangGraph graphs that drive the runtime: `graphs.predraft` pre-drafts replies along a predicted chain."""
