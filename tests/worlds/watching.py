"""A WhatsApp export that grows while `watch` follows it, with the scripted model and the words embedder:
watch tests run in seconds on real Chroma, real checkpoints and real SQLite files.

Alex (the user) writes with Lena; the export ends with a question of hers, so there is a reply to draft.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from assistant.config import Settings, load_settings
from assistant.corpus import Corpus
from assistant.ingest.runner import ingest_paths
from assistant.retrieval.index import ExchangeIndex
from graphs.predraft.api import DraftChain
from tests.unit.graphs.graph_doubles import ScriptedBackend, WordsEmbedder

CONFIG = """\
[ingest]
timezone = "UTC"

[draft]
candidates = 2
depth = 2
confidence_threshold = 0.0
"""

EXPORT = """\
2023-09-02, 18:01 - Lena: are you coming to the concert tonight?
2023-09-02, 18:03 - Alex: yes! meet at the entrance at 7?
2023-09-02, 18:04 - Lena: perfect
2023-11-12, 10:20 - Lena: can you send me the photos from the trip
2023-11-12, 10:31 - Alex: sure, uploading them now
2024-01-05, 20:02 - Lena: happy new year!!
2024-01-05, 20:05 - Alex: happy new year! let's get dinner soon
2024-03-09, 09:40 - Lena: are you free for a coffee tomorrow?
"""
LAST_LINE_AT = datetime(2024, 3, 9, 9, 40)


def build_world(folder: Path, config: str = CONFIG) -> tuple[Settings, Path]:
    """The data dir (Lena's export ingested, Alex marked as the user) and the export file, under `folder`."""
    data_dir = folder / "data"
    data_dir.mkdir(mode=0o700, parents=True)  # private, as predraft creates it
    (data_dir / "predraft.toml").write_text(config)
    settings = load_settings(data_dir)
    export = folder / "exports" / "WhatsApp Chat with Lena.txt"
    export.parent.mkdir()
    export.write_text(EXPORT)
    with Corpus(settings.corpus_path) as corpus:
        assert ingest_paths(corpus, [export], timezone=settings.ingest.timezone).ok
        corpus.set_me("Alex")
    return settings, export


def append(export: Path, n: int, sender: str, text: str) -> None:
    """Line n after the export's last one (a minute apart), as the chat app writes it on the next export."""
    at = LAST_LINE_AT + timedelta(minutes=n)
    with export.open("a") as fh:
        fh.write(f"{at:%Y-%m-%d, %H:%M} - {sender}: {text}\n")


@contextmanager
def scripted_chain(settings: Settings) -> Iterator[DraftChain]:
    """A DraftChain on `settings` with the scripted model and a real index embedding with the words embedder."""
    index = ExchangeIndex(settings, WordsEmbedder())
    try:
        with DraftChain(settings, backend=ScriptedBackend(), index=index) as chain:
            yield chain
    finally:
        index.close()
