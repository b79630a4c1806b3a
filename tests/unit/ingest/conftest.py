"""Shared by the parser tests: a real corpus, ingesting through the real runner, the parser contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pytest

from assistant.corpus import Corpus, Message
from assistant.ingest.base import ParseError, Parser
from assistant.ingest.runner import IngestResult, ingest_paths


@pytest.fixture
def corpus(tmp_path: Path):
    with Corpus(tmp_path / "corpus.sqlite") as c:
        yield c


@pytest.fixture
def ingest_twice(corpus: Corpus) -> Callable[..., IngestResult]:
    """Ingest `paths` (auto-detected unless `fmt` is given), check that a rerun adds nothing, return the first run."""

    def run(*paths: Path, fmt: str = "auto") -> IngestResult:
        first = ingest_paths(corpus, list(paths), fmt=fmt, timezone="UTC")
        assert first.ok, first.failures
        again = ingest_paths(corpus, list(paths), fmt=fmt, timezone="UTC")
        assert again.ok and [r.skipped for r in again.reports] == [True] * len(first.reports)
        return first

    return run


@pytest.fixture
def stored(corpus: Corpus) -> Callable[[], list[Message]]:
    """Every message in the corpus, thread by thread."""
    return lambda: [m for t in corpus.threads() for m in corpus.messages(t.id)]


@pytest.fixture
def reimport_adds_nothing(corpus: Corpus) -> Callable[[Parser, Path], None]:
    """A re-export of the same content (so another file hash) must not duplicate a single message."""

    def check(parser: Parser, path: Path) -> None:
        report = corpus.import_events(f"{path} (re-export)", "another-sha256", parser.name, parser.parse(path), UTC)
        assert (report.skipped, report.messages_added, report.messages_updated) == (False, 0, 0)
        assert report.messages_seen > 0

    return check


def _events_or_parse_error(parser: Parser, path: Path) -> None:
    assert 0.0 <= parser.detect(path) <= 1.0
    try:
        for _ in parser.parse(path):
            pass
    except ParseError as exc:
        assert str(path) in str(exc)


@pytest.fixture(scope="session")
def parser_contract() -> Callable[[Parser, Path], None]:
    """On any input: detect() returns 0..1 without raising; parse() yields events or raises ParseError naming
    the file. (Session scope, so Hypothesis tests may use it.)"""
    return _events_or_parse_error
