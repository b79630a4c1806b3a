"""Batched storing (assistant/corpus/importing.py) keeps what every existing corpus relies on: the same
dedupe keys, the same UTC times, the same rows as storing one message at a time."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from assistant.corpus import Corpus, Kind, ParsedMessage, ParsedThread
from assistant.corpus import importing
from assistant.corpus.importing import content_key
from assistant.corpus.times import UtcColumns, to_utc_ms
from assistant.corpus.store import CorpusError

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def corpus(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as c:
        yield c


def _stored(corpus: Corpus) -> list[tuple]:
    return corpus.db.execute(
        "SELECT t.key, m.sender_name, m.ts, m.utc_offset_min, m.text, m.kind, m.media, m.message_id, m.edited, "
        "m.dedupe_key FROM messages m JOIN threads t ON t.id = m.thread_id ORDER BY m.id").fetchall()


def test_content_keys_are_those_existing_corpora_hold():
    # Computed by the per-message importer this one replaced: a changed key would duplicate every message
    # of a re-import into an existing corpus.
    assert content_key("Maya", 1614848400000, "text", "ok", 1) == "h:f26b187037aaf13c068aabc011dd3af9"
    assert content_key(None, 1614848400000, "system", "Maya added Sam", 2) == "h:ed102ab0f49c9454bd347593663bcc4b"


def test_repeats_are_numbered_across_batches_and_mixed_ids_keep_theirs(corpus, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 3)  # repeats fall into different batches
    t = datetime(2021, 3, 4, 10, 0)

    def events():
        yield ParsedThread(key="k", platform="telegram", title="Maya")
        for n in range(4):
            yield ParsedMessage(thread_key="k", sender="Alex", timestamp=t, text="ok")
        yield ParsedMessage(thread_key="k", sender="Maya", timestamp=t, text="ok", message_id="42")
        yield ParsedMessage(thread_key="k", sender=None, timestamp=t, text="Sam joined", kind=Kind.SYSTEM)

    report = corpus.import_events("f", "sha", "telegram", events(), BERLIN)
    ms = to_utc_ms(t, BERLIN)[0]
    assert report.messages_added == 6
    assert [row[-1] for row in _stored(corpus)] == [
        *(content_key("Alex", ms, "text", "ok", n) for n in (1, 2, 3, 4)), "id:42",
        content_key(None, ms, "system", "Sam joined", 1)]


def test_threads_interleaved_in_one_batch_each_get_their_messages(corpus):
    def events():
        for key in ("a", "b"):
            yield ParsedThread(key=key, platform="signal", title=key)
        for n in range(6):
            yield ParsedMessage(thread_key="ab"[n % 2], sender="Alex", timestamp=datetime(2022, 1, 1, 9, n), text=f"{n}")

    corpus.import_events("f", "sha", "signal", events(), BERLIN)
    assert [(key, text) for key, _, _, _, text, *_ in _stored(corpus)] == [
        ("a", "0"), ("b", "1"), ("a", "2"), ("b", "3"), ("a", "4"), ("b", "5")]


def _stamps() -> list[datetime]:
    """Every 7 minutes through the days around 2021's clock changes in Chicago, Berlin and Lord Howe."""
    stamps = []
    for start in (datetime(2021, 3, 12), datetime(2021, 3, 26), datetime(2021, 4, 2), datetime(2021, 10, 1),
                  datetime(2021, 10, 29), datetime(2021, 11, 5)):
        stamps += [start + timedelta(minutes=7 * n) for n in range(4 * 24 * 60 // 7)]
    return stamps


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Chicago", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"])
def test_utc_of_a_column_is_to_utc_ms_of_each_time(zone):
    tz = ZoneInfo(zone)
    utc = UtcColumns(tz)
    naive = _stamps()
    odd = [naive[5].replace(microsecond=999_999), naive[6].replace(fold=1), naive[7].replace(tzinfo=timezone(timedelta(hours=5)))]
    for column in (naive, naive[:100], [*naive[:10], *odd]):
        ms, offsets = utc(column)
        assert list(zip(ms, offsets)) == [to_utc_ms(ts, tz) for ts in column]


def test_a_message_of_no_known_kind_stops_the_file_as_the_check_constraint_did(corpus):
    def events():
        yield ParsedThread(key="k", platform="whatsapp", title="Maya")
        yield ParsedMessage(thread_key="k", sender="Alex", timestamp=datetime(2022, 1, 1), text="hi", kind="sticker")

    with pytest.raises(CorpusError, match="unknown kind 'sticker'"):
        corpus.import_events("f", "sha", "whatsapp", events(), BERLIN)
    assert corpus.threads() == []
    # the bulk-load settings are undone: the table's own CHECK applies again
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        corpus.db.execute("INSERT INTO messages (thread_id, source_id, ts, text, kind, dedupe_key) "
                          "VALUES (1, 1, 0, 'x', 'sticker', 'k')")


def test_aware_times_in_a_batch_keep_their_own_offsets(corpus):
    same_instant = [datetime(2022, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))), datetime(2022, 6, 1, 10, 0, tzinfo=UTC)]

    def events():
        yield ParsedThread(key="k", platform="telegram", title="T")
        for n, ts in enumerate(same_instant):
            yield ParsedMessage(thread_key="k", sender="A", timestamp=ts, text="hi", message_id=str(n))

    corpus.import_events("f", "sha", "telegram", events(), BERLIN)
    assert [(ts, offset) for _, _, ts, offset, *_ in _stored(corpus)] == [(1654077600000, 120), (1654077600000, 0)]
