"""Each import's report: what the file held, warnings when it looks misread, kept for `stats --json`."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.corpus import Corpus, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.corpus.schema import MIGRATIONS
from assistant.corpus.stats import compute_stats
from assistant.migrations import apply_migrations

UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
def corpus(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as c:
        yield c


def _chat(*messages: tuple[str | None, datetime, str, Kind]):
    yield ParsedThread(key="k", platform="whatsapp", title="Crew", participants=("Maya", "Alex"))
    for sender, when, text, kind in messages:
        yield ParsedMessage(thread_key="k", sender=sender, timestamp=when, text=text, kind=kind)


T0 = datetime(2021, 3, 4, 10, 0)
TEXT, SYSTEM, MEDIA = Kind.TEXT, Kind.SYSTEM, Kind.MEDIA


def test_a_plain_file_reports_kinds_senders_and_dates_and_no_warnings(corpus):
    report = corpus.import_events("crew.txt", "sha", "whatsapp", _chat(
        ("Maya", T0, "hi", TEXT), ("Alex", T0 + timedelta(days=3), "", MEDIA), (None, T0, "Sam joined", SYSTEM),
        ("Maya", T0 + timedelta(days=400), "back!", TEXT)), UTC_ZONE, lines=4)

    assert report.by_kind == {"text": 2, "media": 1, "system": 1}
    assert report.senders == ["Alex", "Maya"]
    assert (report.first, report.last) == ("2021-03-04T10:00:00+00:00", "2022-04-08T10:00:00+00:00")
    assert report.warnings == []


def test_many_lines_giving_one_message_is_flagged(corpus):
    report = corpus.import_events("odd.txt", "sha", "whatsapp", _chat(("Maya", T0, "hi\n" * 24, TEXT)), UTC_ZONE, lines=25)
    [warning] = report.warnings
    assert warning.message.startswith("25 lines gave only 1 message(s)")


def test_dates_at_import_time_and_in_the_future_are_flagged(corpus):
    now = datetime.now(UTC).replace(tzinfo=None)  # naive, as WhatsApp's, read in UTC
    report = corpus.import_events("odd.txt", "sha", "whatsapp", _chat(
        ("Maya", T0, "fine", TEXT), ("Maya", now, "now?", TEXT), ("Alex", now + timedelta(days=1000), "later?", TEXT),
        ("Alex", now + timedelta(hours=20), "tomorrow, in a zone far east", TEXT)), UTC_ZONE)
    assert [w.message.split(":")[0] for w in report.warnings] == [
        "1 message(s) dated at the time of this import",
        f"1 message(s) dated more than a day in the future (latest {now + timedelta(days=1000):%Y-%m-%d})"]


def test_a_sender_with_only_system_lines_is_flagged(corpus):
    report = corpus.import_events("crew.txt", "sha", "whatsapp", _chat(
        ("Maya", T0, "hi", TEXT), ("Crew", T0, "Maya added Sam", SYSTEM), ("Crew", T0, "Sam left", SYSTEM)), UTC_ZONE)
    [warning] = report.warnings
    assert (warning.location, warning.message.split(" (")[0]) == ("sender 'Crew'", "every line of theirs was read as a "
                                                                   "system line")


def test_the_report_with_the_parsers_warnings_is_kept_for_stats(corpus):
    def events():
        yield from _chat(("Maya", T0, "hi", TEXT))
        yield ParseWarning("line 7", "3 line(s) that start with a date do not match this file's layout")

    corpus.import_events("crew.txt", "sha", "whatsapp", events(), UTC_ZONE, lines=30)
    [source] = compute_stats(corpus)["sources"]
    assert (source["by_kind"], source["senders"], source["lines"]) == ({"text": 1}, ["Maya"], 30)
    assert [w["location"] for w in source["warnings"]] == ["line 7", "file"]  # the parser's, then "30 lines gave..."


def test_sources_of_an_older_corpus_get_reports_from_their_messages(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    apply_migrations(db, MIGRATIONS[:1])  # a corpus from before the reports
    db.executescript("""
        INSERT INTO sources (id, path, sha256, format, imported_at) VALUES (1, 'a.txt', 'a', 'whatsapp', 'x'),
                                                                           (2, 'b.txt', 'b', 'whatsapp', 'x');
        INSERT INTO threads (id, platform, key, title) VALUES (1, 'whatsapp', 'k', 'Crew');
        INSERT INTO messages (thread_id, source_id, sender_name, ts, text, kind, dedupe_key) VALUES
            (1, 1, 'Maya', 1614852000000, 'hi', 'text', 'h:1'), (1, 1, NULL, 1614938400000, 'Sam left', 'system', 'h:2');
    """)
    db.close()

    with Corpus(path) as corpus:
        a, b = compute_stats(corpus)["sources"]
    assert (a["by_kind"], a["senders"], a["first"], a["last"]) == (
        {"system": 1, "text": 1}, ["Maya"], "2021-03-04T10:00:00+00:00", "2021-03-05T10:00:00+00:00")
    assert (b["by_kind"], b["senders"], b["first"], b["warnings"]) == ({}, [], None, [])

