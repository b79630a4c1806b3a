"""The tiny world, for the graph's unit tests with scripted doubles: Alex, Maya and one line from Sam.

Maya's thread ends with a question for Alex ("are you coming tonight?"); Sam's holds one message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.corpus import Corpus
from tests.worlds.threads import ChatThread, import_threads

START = datetime(2023, 5, 1, 18, 0, tzinfo=UTC)

THREADS = [
    ChatThread("maya", "whatsapp", "Maya", ("Maya", "Alex"), [
        (START, [("Maya", "hey! dinner at mine tonight?"), ("Alex", "ooh who else is coming"),
                 ("Maya", "Jonas and Priya"), ("Maya", "are you coming tonight?")])]),
    ChatThread("sam", "telegram", "Sam", ("Sam", "Alex"), [(START, [("Sam", "did you see the match")])]),
]


def build_corpus(path: Path) -> Corpus:
    corpus = Corpus(path)
    import_threads(corpus, THREADS, UTC, gap=timedelta(minutes=1))
    corpus.set_me("Alex")
    return corpus
