import json
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError
from assistant.ingest.parsers.telegram import TelegramParser
from assistant.ingest.registry import detect
from assistant.ingest.runner import ingest_paths

FIXTURES = Path(__file__).parents[2] / "fixtures" / "telegram"
SINGLE = FIXTURES / "ChatExport_2024-03-31"
ACCOUNT = FIXTURES / "DataExport_2024-04-02"
LEGACY = FIXTURES / "ChatExport_2020-07-15"
PARSER = TelegramParser()
CET, CEST = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))


def parsed(path: Path) -> list:
    return list(PARSER.parse(path))


def messages(events: list, thread_key: str | None = None) -> dict[str, ParsedMessage]:
    return {e.message_id: e for e in events
            if isinstance(e, ParsedMessage) and thread_key in (None, e.thread_key)}


def test_detects_export_folder_and_its_result_json():
    assert PARSER.detect(SINGLE) == PARSER.detect(SINGLE / "result.json") == 0.95
    assert [detect(path, 0.5).name for path in (SINGLE, ACCOUNT, LEGACY)] == ["telegram"] * 3
    assert PARSER.detect(FIXTURES) == 0.0  # a folder without result.json
    assert PARSER.detect(FIXTURES / "missing.json") == 0.0
    assert PARSER.detect(FIXTURES.parent / "discord") == 0.0


def test_single_chat_golden():
    events = parsed(SINGLE)
    assert events[0] == ParsedThread(key="5123456789", platform="telegram", title="Maya Kovač",
                                     participants=("Maya Kovač",), is_group=False)
    # The thread comes again at the end, naming everyone who wrote (the export has no member list).
    assert events[-1] == ParsedThread(key="5123456789", platform="telegram", title="Maya Kovač",
                                      participants=("Maya Kovač", "Alex Moreau"), is_group=False)
    by_id = messages(events)
    assert Counter(m.kind for m in by_id.values()) == {Kind.TEXT: 5, Kind.MEDIA: 4, Kind.SYSTEM: 1}
    assert Counter(m.sender for m in by_id.values()) == {"Maya Kovač": 5, "Alex Moreau": 4, None: 1}
    assert [w for w in events if isinstance(w, ParseWarning)] == [
        ParseWarning("chat 5123456789, message id 1011", "message with neither text nor media skipped")]

    # Offsets come from date minus date_unixtime, so Berlin's switch to summer time on 31 March shows.
    assert by_id["1001"].timestamp == datetime(2024, 3, 30, 21, 14, 5, tzinfo=CET)
    assert by_id["1001"].timestamp.utcoffset() == timedelta(hours=1)
    assert by_id["1006"].timestamp == datetime(2024, 3, 31, 9, 2, 44, tzinfo=CEST)
    assert by_id["1006"].timestamp.utcoffset() == timedelta(hours=2)

    assert by_id["1002"].text == "yes! I found a route: https://example.org/trails/ridge-loop — about 14 km"
    assert (by_id["1003"].reply_to, by_id["1003"].edited, by_id["1002"].edited) == ("1002", True, False)
    assert by_id["1008"].forwarded and not by_id["1009"].forwarded
    assert by_id["1009"].text == "good to know 🧊\nI'll bring spikes for both of us"
    media = {i: (m.media, m.text) for i, m in by_id.items() if m.kind == Kind.MEDIA}
    assert media == {"1004": ("image", "the view from the top last time"), "1005": ("sticker", ""),
                     "1006": ("audio", ""), "1010": ("gif", "")}
    assert by_id["1007"].text == "Maya Kovač called (95 s)"


def test_account_export_golden():
    events = parsed(ACCOUNT)
    threads = {}
    for e in events:
        if isinstance(e, ParsedThread):
            threads[e.key] = e  # the last one seen: with participants
    assert {k: (t.title, t.is_group) for k, t in threads.items()} == {
        "5123456789": ("Maya Kovač", False),
        "1876543210": ("Ridge Runners 🏔", True),
        "4012345678": ("Saved Messages", False),
        "1698765432": ("Berlin Bouldering Meetups", True),  # from left_chats
    }
    assert threads["1876543210"].participants == ("Lea Hoffmann", "Jonas Berg", "Alex Moreau", "Deleted Account")
    per_thread = Counter(e.thread_key for e in events if isinstance(e, ParsedMessage))
    assert per_thread == {"5123456789": 5, "1876543210": 9, "4012345678": 2, "1698765432": 3}
    assert not [e for e in events if isinstance(e, ParseWarning)]

    group = messages(events, "1876543210")
    assert Counter(m.kind for m in group.values()) == {Kind.TEXT: 4, Kind.SYSTEM: 3, Kind.MEDIA: 2}
    assert group["2"].text == "Lea Hoffmann added Alex Moreau, Jonas Berg"
    assert group["3"].text == "welcome @alexmoreau and Jonas!"
    assert (group["5"].media, group["5"].text) == ("poll", "Saturday start time?")
    assert group["6"].reply_to == "4"
    assert group["7"].sender == "Deleted Account"
    assert group["9"].text == "Alex Moreau pinned a message"
    assert messages(events, "4012345678")["52"].media == "file"
    assert messages(events, "1698765432")["700"].text == "Alex Moreau joined the group via invite link"


def test_exports_before_2022_have_no_unix_time_so_stay_naive():
    by_id = messages(parsed(LEGACY))
    assert by_id["88"].timestamp == datetime(2020, 7, 14, 17, 45, 12) and by_id["88"].timestamp.tzinfo is None
    assert by_id["89"].text == "yes, both. finally"
    assert (by_id["90"].reply_to, by_id["90"].edited) == ("89", True)


def test_ingest_both_exports_then_rerun_adds_nothing(corpus, ingest_twice, stored, reimport_adds_nothing):
    result = ingest_twice(SINGLE, ACCOUNT)
    assert [(r.format, r.threads, r.messages_seen, r.messages_added) for r in result.reports] == [
        ("telegram", 1, 10, 10),
        ("telegram", 4, 19, 16),  # messages 1008-1010 of Maya's chat were in the single-chat export already
    ]
    assert len(stored()) == 26
    maya = corpus.thread("5123456789")
    assert maya.participants == ("Maya Kovač", "Alex Moreau")
    stored_1006 = next(m for m in corpus.messages(maya.id) if m.message_id == "1006")
    assert (stored_1006.utc_offset_min, stored_1006.timestamp.hour) == (120, 7)
    reimport_adds_nothing(PARSER, ACCOUNT)


def test_truncated_export_names_the_file_chat_and_byte(tmp_path, corpus):
    whole = (SINGLE / "result.json").read_bytes()
    cut = whole[: whole.index(b'"id": 1004')]
    (tmp_path / "result.json").write_bytes(cut)
    with pytest.raises(ParseError) as err:
        parsed(tmp_path)
    message = str(err.value)
    assert str(tmp_path / "result.json") in message
    assert f"chat 5123456789, after message id 1003, byte {len(cut)}" in message
    assert "complete, well-formed JSON" in message and "premature EOF" in message
    result = ingest_paths(corpus, [tmp_path], timezone="UTC")
    assert [f.path for f in result.failures] == [str(tmp_path)] and corpus.threads() == []


def test_a_field_of_the_wrong_type_is_a_parse_error_naming_the_message(tmp_path):
    data = json.loads((LEGACY / "result.json").read_text())
    data["messages"][1]["date"] = 1594741803
    (tmp_path / "result.json").write_text(json.dumps(data))
    with pytest.raises(ParseError, match=r'result.json:chat 6234567890, message id 89: expected "date" to be text'):
        parsed(tmp_path)


def test_text_entities_stand_in_when_text_is_missing(tmp_path):
    data = json.loads((SINGLE / "result.json").read_text())
    del data["messages"][1]["text"]  # text_entities of 1002 hold the same parts
    (tmp_path / "result.json").write_text(json.dumps(data))
    assert messages(parsed(tmp_path))["1002"].text == messages(parsed(SINGLE))["1002"].text


def test_json_that_is_no_telegram_export_is_a_parse_error(tmp_path):
    (tmp_path / "result.json").write_text('{"chats": 3, "messages_count": 1}')
    with pytest.raises(ParseError, match='expected a Telegram export'):
        parsed(tmp_path)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(parser_contract, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.json"
        path.write_bytes(data)
        parser_contract(PARSER, path)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["text", "type", "question"]), inner, max_size=3),
    max_leaves=8,
)
MESSAGE_KEYS = ["id", "type", "date", "date_unixtime", "from", "text", "text_entities", "photo", "file", "media_type",
                "poll", "action", "actor", "members", "duration_seconds", "reply_to_message_id", "edited",
                "forwarded_from", "title", "discard_reason"]

# A valid message with some fields replaced by anything, so the fuzzing gets past the first check.
VALID_MESSAGE = {"id": 1, "type": "message", "date": "2024-03-30T21:14:05", "date_unixtime": "1711829645",
                 "from": "Maya", "text": "hi"}
MESSAGES = st.dictionaries(st.sampled_from(MESSAGE_KEYS), JSON_VALUES, max_size=4).map(
    lambda fields: {**VALID_MESSAGE, **fields})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.dictionaries(st.sampled_from(["name", "type", "id"]), JSON_VALUES),
       message_list=st.lists(MESSAGES, max_size=3))
def test_any_values_in_a_valid_skeleton_never_crash(parser_contract, header, message_list):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.json"
        path.write_text(json.dumps({**header, "messages": message_list}))
        parser_contract(PARSER, path)
