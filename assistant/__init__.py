"""predraft: learns how you write from your own chat history and pre-drafts your replies, locally."""

__version__ = "0.1.0"
