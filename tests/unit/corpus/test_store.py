from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from assistant.corpus import Corpus, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.corpus.importing import DateOrderRead
from assistant.corpus.store import CorpusError
from assistant.ingest.base import ParseError

BERLIN = ZoneInfo("Europe/Berlin")


def _events(texts, key="chat-1", start=datetime(2021, 3, 4, 10, 0)):
    yield ParsedThread(key=key, platform="whatsapp", title="Maya", participants=("Maya", "Alex"))
    for i, (sender, text) in enumerate(texts):
        yield ParsedMessage(thread_key=key, sender=sender, timestamp=start + timedelta(minutes=i), text=text)


@pytest.fixture
def corpus(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as c:
        yield c


def test_reimport_same_source_adds_nothing(corpus):
    first = corpus.import_events("a.txt", "sha-a", "whatsapp", _events([("Maya", "hi"), ("Alex", "hey")]), BERLIN)
    again = corpus.import_events("a.txt", "sha-a", "whatsapp", _events([("Maya", "hi"), ("Alex", "hey")]), BERLIN)
    assert (first.messages_added, again.skipped) == (2, True)
    assert len(corpus.messages(corpus.threads()[0].id)) == 2


def test_overlapping_newer_export_adds_only_new_messages(corpus):
    corpus.import_events("old.txt", "sha-old", "whatsapp", _events([("Maya", "hi"), ("Alex", "ok")]), BERLIN)
    report = corpus.import_events(
        "new.txt", "sha-new", "whatsapp", _events([("Maya", "hi"), ("Alex", "ok"), ("Maya", "see you")]), BERLIN
    )
    assert (report.messages_seen, report.messages_added) == (3, 1)
    texts = [m.text for m in corpus.messages(corpus.threads()[0].id)]
    assert texts == ["hi", "ok", "see you"]


def test_identical_messages_in_the_same_minute_are_both_kept(corpus):
    t = datetime(2021, 3, 4, 10, 0)

    def events():
        yield ParsedThread(key="k", platform="whatsapp", title="Maya")
        yield ParsedMessage(thread_key="k", sender="Alex", timestamp=t, text="ok")
        yield ParsedMessage(thread_key="k", sender="Alex", timestamp=t, text="ok")

    assert corpus.import_events("f", "sha", "whatsapp", events(), BERLIN).messages_added == 2


def test_failure_mid_file_rolls_back_everything_of_that_file(corpus):
    def broken():
        yield from _events([("Maya", "hi"), ("Alex", "hey")])
        raise ParseError("broken.txt", "a message line", location="line 3", found="\x00\x01")

    with pytest.raises(ParseError, match=r"broken.txt:line 3: expected a message line"):
        corpus.import_events("broken.txt", "sha-b", "whatsapp", broken(), BERLIN)
    assert corpus.threads() == []
    assert not corpus.source_imported("sha-b")
    # the rerun finishes the job
    report = corpus.import_events("broken.txt", "sha-b", "whatsapp", _events([("Maya", "hi")]), BERLIN)
    assert report.messages_added == 1


def test_naive_times_use_the_configured_zone_and_aware_keep_their_offset(corpus):
    plus2 = timezone(timedelta(hours=2))

    def events():
        yield ParsedThread(key="k", platform="telegram", title="T")
        yield ParsedMessage(thread_key="k", sender="A", timestamp=datetime(2021, 7, 1, 12, 0), text="naive")
        yield ParsedMessage(thread_key="k", sender="A", timestamp=datetime(2021, 7, 1, 12, 0, tzinfo=plus2), text="aware")

    corpus.import_events("f", "sha", "telegram", events(), BERLIN)
    naive, aware = corpus.messages(corpus.threads()[0].id)
    assert naive.timestamp.hour == 10 and naive.utc_offset_min == 120  # read in Berlin summer time, UTC+2
    assert aware.timestamp.hour == 10 and aware.utc_offset_min == 120


def test_edited_message_with_platform_id_is_updated_not_duplicated(corpus):
    t = datetime(2022, 1, 1, 9, 0, tzinfo=timezone.utc)

    def events(text, edited):
        yield ParsedThread(key="k", platform="telegram", title="T")
        yield ParsedMessage(thread_key="k", sender="A", timestamp=t, text=text, message_id="42", edited=edited)

    corpus.import_events("v1", "sha1", "telegram", events("helo", False), BERLIN)
    report = corpus.import_events("v2", "sha2", "telegram", events("hello", True), BERLIN)
    (msg,) = corpus.messages(corpus.threads()[0].id)
    assert (report.messages_updated, msg.text, msg.edited) == (1, "hello", True)


def test_me_aliases_merge_people_across_platforms(corpus):
    corpus.import_events("a", "sha-a", "whatsapp", _events([("Alex", "hi"), ("Maya", "yo")]), BERLIN)

    def telegram():
        yield ParsedThread(key="t", platform="telegram", title="Sam")
        yield ParsedMessage(thread_key="t", sender="alex_k", timestamp=datetime(2022, 1, 1), text="sup")

    corpus.import_events("b", "sha-b", "telegram", telegram(), BERLIN)
    corpus.set_me("Alex", aliases=["alex_k"])
    me = corpus.me()
    assert me.name == "Alex"
    mine = [m.text for t in corpus.threads() for m in corpus.messages(t.id) if m.is_me]
    assert sorted(mine) == ["hi", "sup"]


def test_consent_cannot_exclude_yourself_and_unknown_names_are_clear(corpus):
    corpus.import_events("a", "sha-a", "whatsapp", _events([("Alex", "hi"), ("Maya", "yo")]), BERLIN)
    corpus.set_me("Alex")
    with pytest.raises(CorpusError, match="is you"):
        corpus.set_consent("Alex", excluded=True)
    with pytest.raises(CorpusError, match="no contact named 'Zed'"):
        corpus.set_consent("Zed", excluded=True)
    assert corpus.set_consent("Maya", excluded=True).consent == "exclude"
    assert corpus.excluded_ids() == {corpus.person("Maya").id}


def test_warnings_are_reported_not_stored(corpus):
    def events():
        yield from _events([("Maya", "hi")])
        yield ParseWarning("line 9", "corrupt MMS part skipped")

    report = corpus.import_events("f", "sha", "sms_xml", events(), BERLIN)
    assert [w.message for w in report.warnings] == ["corrupt MMS part skipped"]
    assert report.messages_added == 1
    assert corpus.messages(corpus.threads()[0].id)[0].kind is Kind.TEXT


def test_how_a_files_dates_were_read_is_kept_for_later_files_of_the_chat(corpus):
    def events(key, order, proven):
        yield from _events([("Maya", "hi")], key=key)
        yield DateOrderRead(key, order, proven)

    corpus.import_events("a.txt", "sha-a", "whatsapp", events("chat-1", "dmy", False), BERLIN)
    report = corpus.import_events("b.txt", "sha-b", "whatsapp", events("chat-1", "mdy", True), BERLIN)
    corpus.import_events("c.txt", "sha-c", "whatsapp", events("chat-2", "mdy", True), BERLIN)
    assert report.details()["date_orders"] == {"chat-1": {"order": "mdy", "proven": True}}
    history = corpus.history("whatsapp", "whatsapp")
    assert history.date_orders("chat-1") == [DateOrderRead("chat-1", "dmy", False, "a.txt"),
                                             DateOrderRead("chat-1", "mdy", True, "b.txt")]
    assert corpus.history("signal", "signal").date_orders("chat-1") == []
    assert history.has_thread("chat-2") and not history.has_thread("chat-3")
