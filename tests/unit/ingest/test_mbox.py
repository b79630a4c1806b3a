import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError
from assistant.ingest.parsers.mbox import MboxParser, normalize_subject, own_words

MBOX = Path(__file__).parents[2] / "fixtures" / "mbox" / "alex.mbox"
PARSER = MboxParser()
GMAIL, BERLIN, BOOK_CLUB = "gmail:1760000000000000001", "msgid:root-4f2a@example.org", "subject:book club"


@pytest.fixture(scope="module")
def events() -> list:
    return list(PARSER.parse(MBOX))


def by_id(events: list) -> dict[str, ParsedMessage]:
    return {e.message_id: e for e in events if isinstance(e, ParsedMessage) and e.message_id}


def test_counts_threads_and_the_skipped_message(events):
    messages = [e for e in events if isinstance(e, ParsedMessage)]
    assert Counter(str(m.kind) for m in messages) == {"text": 9, "media": 1}
    assert Counter(m.thread_key for m in messages) == {
        GMAIL: 3, BERLIN: 3, BOOK_CLUB: 2, "msgid:alex-20230509-photo@example.com": 1,
        "msgid:alex-20230510-fwd@example.com": 1,
    }
    assert [e for e in events if isinstance(e, ParseWarning)] == [
        ParseWarning("message 11", "skipped: it has no readable From or Date header")
    ]


def test_quotes_and_signatures_are_cut_and_html_becomes_text(events):
    m = by_id(events)
    assert m["alex-20230315-0930@example.com"].text == "Yes, absolutely! Book it 🙌\nI can drive if Priya comes too."
    assert m["CAM1a7Bq+trip003@mail.gmail.com"].text == "Booked! Site 14, Friday to Sunday.\n\nI'll ask Priya tonight."
    # ISO-8859-1 quoted-printable body; the mbox ">From" escape undone; "Viele Grüße / Jonas" is the signature
    assert m["root-4f2a@example.org"].text == (
        "Hallo ihr beiden,\n\nschöne Grüße aus Berlin! Die Halle hier ist riesig.\n"
        "From the top of the wall you can see the TV tower."
    )
    assert m["priya-77b1@example.net"].text == "So jealous. Send pictures of the bouldering area!"
    # multipart/alternative: the plain part wins; a hyphen list is not mistaken for a signature
    assert m["alex-20230401-1805@example.com"].text == (
        "Same here. Here is our gym for comparison:\n\n- 40 routes\n- one tiny boulder room"
    )


def test_dates_keep_their_offsets_and_ids_link_replies(events):
    m = by_id(events)
    first = m["CAM1a7Bq+trip001@mail.gmail.com"]
    assert first.timestamp == datetime(2023, 3, 14, 18, 2, 11, tzinfo=timezone(timedelta(hours=-7)))
    assert first.timestamp.utcoffset() == timedelta(hours=-7)
    assert (first.sender, first.reply_to) == ("Maya Chen", None)
    assert m["alex-20230315-0930@example.com"].reply_to == "CAM1a7Bq+trip001@mail.gmail.com"
    assert m["alex-20230401-1805@example.com"].reply_to == "priya-77b1@example.net"
    lena = [e for e in events if isinstance(e, ParsedMessage) and e.sender == "Lena Park"][0]
    assert lena.timestamp == datetime(2023, 5, 8, 19, 0, tzinfo=UTC)  # "-0000": UTC, zone unknown


def test_threads_by_gmail_id_references_root_and_subject(events):
    threads = [e for e in events if isinstance(e, ParsedThread)]
    latest = {t.key: t for t in threads}
    assert latest[GMAIL] == ParsedThread(key=GMAIL, platform="email", title="Climbing trip in May",
                                         participants=("Maya Chen", "Alex Rivera"))
    # the encoded subject is decoded; a newcomer ("Rivera, Alex" from Outlook) re-declares the thread
    assert [t.participants for t in threads if t.key == BERLIN] == [
        ("Jonas Weber", "Alex Rivera", "Priya Nair"), ("Jonas Weber", "Alex Rivera", "Priya Nair", "Rivera, Alex")
    ]
    assert (latest[BERLIN].title, latest[BERLIN].is_group) == ("Grüße aus Berlin", True)
    book_club = [e for e in events if isinstance(e, ParsedMessage) and e.thread_key == BOOK_CLUB]
    assert [(e.sender, e.text, e.message_id) for e in book_club] == [
        ("Lena Park", "Next book: The Overstory. Thursday at mine?", None),
        ("Alex Rivera", "Thursday works, I'll bring snacks.", None),
    ]


def test_attachments_only_and_forwards(events):
    m = by_id(events)
    photo = m["alex-20230509-photo@example.com"]
    assert (photo.kind, photo.media, photo.text) == (Kind.MEDIA, "image", "")
    forward = m["alex-20230510-fwd@example.com"]
    assert (forward.text, forward.forwarded) == ("FYI, for Saturday.", True)


def test_reply_helpers():
    assert normalize_subject("Re: RE: Fwd: AW: [3] Dinner") == "[3] Dinner"
    assert normalize_subject("Re[2]: Dinner") == "Dinner"
    assert own_words("Sure!\n\nOn Mon, 1 May 2023, Lena wrote:\n> Coffee?") == "Sure!"
    assert own_words("On Mon, 1 May 2023, Lena wrote:\n> Coffee?") == ""


def test_ingest_is_idempotent_and_keeps_offsets(ingest_twice, corpus, stored, reimport_adds_nothing):
    [report] = ingest_twice(MBOX).reports
    assert (report.format, report.threads, report.messages_added, len(report.warnings)) == ("mbox", 5, 10, 1)
    first = corpus.messages(corpus.thread(GMAIL).id)[0]
    assert (first.utc_offset_min, first.timestamp) == (-420, datetime(2023, 3, 15, 1, 2, 11, tzinfo=UTC))
    assert Counter(m.sender for m in stored())["Alex Rivera"] == 4
    reimport_adds_nothing(PARSER, MBOX)


def test_detect_and_files_that_are_not_mbox(tmp_path):
    assert PARSER.detect(MBOX) == 0.9 and PARSER.detect(tmp_path) == 0.0
    note = tmp_path / "note.txt"
    note.write_text("From now on I write every day.\n")
    assert PARSER.detect(note) == 0.1
    chat = tmp_path / "chat.txt"
    chat.write_text("12/03/2021, 10:00 - Maya: hi\n")
    assert PARSER.detect(chat) == 0.0
    with pytest.raises(ParseError, match=r"chat\.txt:line 1: expected an mbox file whose first line starts with 'From ', "
                                         r"found '12/03/2021, 10:00 - Maya: hi'"):
        list(PARSER.parse(chat))
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    with pytest.raises(ParseError, match="found 'an empty file'"):
        list(PARSER.parse(empty))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048), st.booleans())
def test_arbitrary_bytes_yield_events_or_a_parse_error(parser_contract, data, from_line):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mail.mbox"
        path.write_bytes((b"From x@example.com Mon Jan 1 00:00:00 2024\n" if from_line else b"") + data)
        parser_contract(PARSER, path)


HEADER_VALUES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40)


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(["From", "To", "Cc", "Date", "Subject", "Message-ID", "References", "In-Reply-To",
                                        "X-GM-THRID", "Content-Type", "Content-Transfer-Encoding"]), HEADER_VALUES),
       st.text(max_size=200))
def test_arbitrary_headers_and_bodies_yield_events_or_a_parse_error(parser_contract, headers, body):
    lines = [f"{name}: {value}" for name, value in headers.items()]
    raw = "From x@example.com Mon Jan 1 00:00:00 2024\n" + "\n".join(lines) + "\n\n" + body + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mail.mbox"
        path.write_bytes(raw.encode("utf-8", errors="surrogatepass"))
        parser_contract(PARSER, path)
