import io
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError
from assistant.ingest.parsers.sms_xml import OWNER, SmsBackupXmlParser, SurrogateRefFixer, normalize_address, thread_of
from assistant.ingest.runner import ingest_paths

BACKUP = Path(__file__).parents[2] / "fixtures" / "sms" / "sms-20220522211408.xml"
PARSER = SmsBackupXmlParser()
MAYA, SHORT_CODE, GROUP = "sms:5550102233", "sms:72975", "sms:5550104455~5550107788"


@pytest.fixture(scope="module")
def events() -> list:
    return list(PARSER.parse(BACKUP))


def messages(events: list, thread_key: str) -> list[ParsedMessage]:
    return [e for e in events if isinstance(e, ParsedMessage) and e.thread_key == thread_key]


def test_counts_per_kind_thread_and_the_skipped_records(events):
    all_messages = [e for e in events if isinstance(e, ParsedMessage)]
    assert Counter(str(m.kind) for m in all_messages) == {"text": 8, "media": 2}
    assert Counter(m.thread_key for m in all_messages) == {MAYA: 5, SHORT_CODE: 1, GROUP: 4}
    assert [e for e in events if isinstance(e, ParseWarning)] == [
        ParseWarning("line 8", "skipped an unsent draft SMS"),
        ParseWarning("line 10", "skipped: the SMS has no body"),
        ParseWarning("line 48", "skipped a corrupt image/png MMS part (its data is not base64)"),
        ParseWarning("line 58", "skipped an MMS part without a content type (ct)"),
        ParseWarning("line 70", "skipped a corrupt image/jpeg MMS part (its data is not base64)"),
        ParseWarning("line 67", "skipped: the MMS has no readable part"),
    ]


def test_one_contact_written_three_ways_is_one_thread(events):
    maya = messages(events, MAYA)
    assert [(m.sender, m.text) for m in maya[:3]] == [
        ("Maya Chen", "Are you home yet?"),
        (OWNER, "On my way 😀"),  # written as the surrogate pair &#55357;&#56832;
        ("Maya Chen", "Pick up bread & milk please"),
    ]
    assert maya[0].timestamp == datetime(2022, 5, 14, 18, 2, 11, tzinfo=UTC)
    threads = [e for e in events if isinstance(e, ParsedThread) and e.key == MAYA]
    assert threads == [ParsedThread(key=MAYA, platform="sms", title="Maya Chen", participants=("Maya Chen", OWNER))]


def test_mms_media_captions_and_ids(events):
    photo, video = [m for m in messages(events, MAYA) if m.kind == Kind.MEDIA]
    assert (photo.sender, photo.text, photo.media) == ("Maya Chen", "Look at the view!", "image")
    assert photo.message_id == "mid-maya-0001"
    assert (video.sender, video.text, video.media, video.timestamp) == (
        OWNER, "", "video", datetime(2022, 5, 21, 10, 15, tzinfo=UTC)
    )


def test_group_mms_is_a_group_thread_with_each_sender_named(events):
    [thread] = [e for e in events if isinstance(e, ParsedThread) and e.key == GROUP]
    assert (thread.title, thread.is_group, thread.participants) == (
        "Priya Nair, Tom Becker", True, ("Priya Nair", "Tom Becker", OWNER)
    )
    assert [(m.sender, m.text, m.kind) for m in messages(events, GROUP)] == [
        ("Priya Nair", "Dinner at 8?", Kind.TEXT),
        (OWNER, "Count me in", Kind.TEXT),
        ("Tom Becker", "here's the menu", Kind.TEXT),  # its corrupt picture was dropped
        ("Tom Becker", "sorry, wrong pic", Kind.TEXT),
    ]
    assert messages(events, GROUP)[3].message_id is None  # m_id="null"


def test_unknown_contacts_are_named_by_number(events):
    [code] = messages(events, SHORT_CODE)
    assert (code.sender, code.text) == ("72975", "Your verification code is 481516")


def test_address_normalisation():
    assert normalize_address("+1 (555) 010-2233") == normalize_address("5550102233") == "5550102233"
    assert normalize_address("+49 151 23456789") == normalize_address("0151 23456789") == "5123456789"
    assert normalize_address("Bob@Example.com") == "bob@example.com"
    thread, people = thread_of("+15550107788~+15550104455", "Priya Nair, Tom Becker")
    assert (thread.key, people) == (GROUP, {"5550107788": "Priya Nair", "5550104455": "Tom Becker"})
    # names that cannot be matched to the numbers one by one are not guessed
    thread, people = thread_of("+15550107788~+15550104455", "Priya Nair")
    assert thread.title == "+15550107788, +15550104455"
    assert people == {"5550107788": "+15550107788", "5550104455": "+15550104455"}
    assert thread_of(" ~ ", "Nobody") is None


def test_ingest_is_idempotent(ingest_twice, corpus, reimport_adds_nothing):
    [report] = ingest_twice(BACKUP).reports
    assert (report.format, report.threads, report.messages_added, len(report.warnings)) == ("sms-xml", 3, 10, 6)
    group = corpus.thread(GROUP)
    assert [m.sender for m in corpus.messages(group.id)] == ["Priya Nair", OWNER, "Tom Becker", "Tom Becker"]
    reimport_adds_nothing(PARSER, BACKUP)


def test_a_truncated_backup_is_a_parse_error_at_the_line_lxml_stopped(tmp_path, corpus):
    truncated = tmp_path / "sms-truncated.xml"
    lines = BACKUP.read_bytes().split(b"\n")
    truncated.write_bytes(b"\n".join(lines[:40]) + b'\n    <part seq="0" ct="text/pl')
    with pytest.raises(ParseError, match=r"sms-truncated\.xml:line 41: expected well-formed SMS Backup & Restore XML"):
        list(PARSER.parse(truncated))
    [failure] = ingest_paths(corpus, [truncated], timezone="UTC").failures
    assert "line 41" in failure.message
    assert corpus.threads() == []  # what parsed before the break is rolled back with the file


def test_other_xml_is_not_claimed_and_is_a_parse_error(tmp_path):
    calls = tmp_path / "calls.xml"
    calls.write_text('<?xml version="1.0"?>\n<calls count="1">\n  <call number="+15550102233" duration="12" /></calls>\n')
    assert PARSER.detect(calls) == 0.0 and PARSER.detect(BACKUP) == 0.95 and PARSER.detect(tmp_path) == 0.0
    with pytest.raises(ParseError, match=r"calls\.xml:line 2: expected an SMS Backup & Restore file whose root element "
                                         r"is <smses>, found '<calls>'"):
        list(PARSER.parse(calls))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=48), st.sampled_from([1, 7, 100, 4096]))
@example(17, 1)  # a pair that ends the first chunk: its halves must stay together
def test_surrogate_pairs_are_joined_across_read_boundaries(padding, size):
    data = b"x" * (4096 - padding) + b"&#55357;&#56832; &#56832; &amp; &#233;" * 3
    fixer = SurrogateRefFixer(io.BytesIO(data))
    out = b"".join(iter(lambda: fixer.read(size), b""))
    assert out == b"x" * (4096 - padding) + b"&#128512; &#65533; &amp; &#233;" * 3


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048), st.booleans())
def test_arbitrary_bytes_yield_events_or_a_parse_error(parser_contract, data, smses_root):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sms.xml"
        path.write_bytes((b'<?xml version="1.0"?><smses count="1">' if smses_root else b"") + data)
        parser_contract(PARSER, path)


ATTRIBUTES = st.dictionaries(
    st.sampled_from(["address", "date", "type", "body", "contact_name", "msg_box", "m_id"]), st.text(max_size=12), max_size=6
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["sms", "mms"]), ATTRIBUTES, ATTRIBUTES), max_size=4))
def test_arbitrary_records_yield_events_or_a_parse_error(parser_contract, records):
    def element(tag, attrs, part):
        text = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
        inner = f"<parts><part {' '.join(f'{k}={quoteattr(v)}' for k, v in part.items())} /></parts>" if tag == "mms" else ""
        return f"<{tag} {text}>{inner}</{tag}>"

    body = "".join(element(*r) for r in records)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sms.xml"
        path.write_text(f'<smses count="{len(records)}">{body}</smses>', encoding="utf-8", errors="surrogatepass")
        parser_contract(PARSER, path)
