"""The normalized local corpus: one SQLite file that every later stage reads."""

from assistant.corpus.models import Kind, Message, ParsedMessage, ParsedThread, ParseWarning, Person, Thread
from assistant.corpus.store import Corpus, ImportReport

__all__ = [
    "Corpus",
    "ImportReport",
    "Kind",
    "Message",
    "ParseWarning",
    "ParsedMessage",
    "ParsedThread",
    "Person",
    "Thread",
]
