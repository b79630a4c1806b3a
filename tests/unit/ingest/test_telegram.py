import json
import random
import tempfile
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
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
MINIMAL = FIXTURES / "ChatExport_2024-06-02"  # name and type but no id; times as date_unixtime alone
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


def test_a_chat_without_id_nor_local_dates_is_keyed_by_type_and_name():
    assert detect(MINIMAL, 0.5).name == "telegram"
    events = parsed(MINIMAL)
    key = "personal_chat:Jonas Berg"
    assert events[0] == ParsedThread(key=key, platform="telegram", title="Jonas Berg", participants=("Jonas Berg",))
    assert events[-1].participants == ("Jonas Berg", "Alex Moreau")
    by_id = messages(events)
    assert {m.thread_key for m in by_id.values()} == {key} and len(by_id) == 6
    # date_unixtime is an instant and says nothing of the writer's offset
    assert by_id["311"].timestamp == datetime(2024, 6, 2, 9, 40, 12, tzinfo=UTC)
    assert by_id["312"].text == "yes, train at 7: https://example.org/bahn/rosenheim"
    assert (by_id["313"].kind, by_id["313"].text) == (Kind.SYSTEM, "Jonas Berg called (95 s)")
    assert (by_id["314"].media, by_id["314"].text, by_id["314"].reply_to) == ("image", "summit ☀️", "312")
    assert by_id["315"].edited and not by_id["314"].edited  # edited_unixtime without "edited"
    assert (by_id["316"].kind, by_id["316"].media, by_id["316"].sender) == (Kind.MEDIA, "audio", "Jonas Berg")


def test_a_chat_without_id_goes_through_the_runner_and_a_reexport_finds_it(corpus, ingest_twice, stored,
                                                                            reimport_adds_nothing):
    result = ingest_twice(MINIMAL)
    assert [(r.threads, r.messages_added) for r in result.reports] == [(1, 6)]
    assert [m.utc_offset_min for m in stored()] == [0] * 6
    assert corpus.thread("personal_chat:Jonas Berg").participants == ("Jonas Berg", "Alex Moreau")
    reimport_adds_nothing(PARSER, MINIMAL)


def test_a_chat_without_id_nor_name_is_keyed_by_who_wrote(tmp_path):
    data = json.loads((MINIMAL / "result.json").read_text())
    del data["name"]
    (tmp_path / "result.json").write_text(json.dumps(data))
    events = parsed(tmp_path)
    # the key stays what it was before such chats were titled; the title names who wrote, first writer first
    assert events[0].key == "personal_chat:user4012345678,user6123456789"
    assert events[0].title == "Jonas Berg, Alex Moreau"
    assert (events[0].participants, events[-1].participants) == ((), ("Jonas Berg", "Alex Moreau"))
    assert len(messages(events)) == 6


def _message(number: int, sender: str | None, sender_id: str) -> dict:
    return {"id": number, "type": "message", "date_unixtime": str(1717321212 + number), "from": sender,
            "from_id": sender_id, "text": f"message {number}"}


@pytest.mark.parametrize(("writers", "title", "group"), [
    ([("Anna", "user111"), ("Ben", "user222"), (None, "user333")], "Anna, Ben, Deleted Account", True),
    ([("Anna", "user111"), ("Ben", "user222"), ("Anna", "user111")], "Anna, Ben", False),
])
def test_a_chat_with_only_messages_is_a_group_when_more_than_two_write_in_it(tmp_path, writers, title, group):
    export = {"messages": [_message(n, sender, sender_id) for n, (sender, sender_id) in enumerate(writers, 1)]}
    (tmp_path / "result.json").write_text(json.dumps(export))
    events = parsed(tmp_path)
    assert (events[0].title, events[0].is_group, events[-1].is_group) == (title, group, group)
    assert len(messages(events)) == 3


def test_a_null_name_is_still_a_deleted_account(tmp_path):
    export = {"name": None, "type": "personal_chat", "id": 42, "messages": [_message(1, None, "user333")]}
    (tmp_path / "result.json").write_text(json.dumps(export))
    thread = parsed(tmp_path)[0]
    assert (thread.title, thread.participants, thread.is_group) == ("Deleted Account", ("Deleted Account",), False)


def reordered(value: object, order) -> object:
    """The same JSON value with the keys of every object put in `order`."""
    if isinstance(value, dict):
        return {k: reordered(value[k], order) for k in order(list(value))}
    if isinstance(value, list):
        return [reordered(v, order) for v in value]
    return value


def by_thread(events: list) -> tuple[dict[str, list], set]:
    """Each thread's events in order; a chat whose header follows its messages comes after the others."""
    threads: dict[str, list] = {}
    for e in events:
        if not isinstance(e, ParseWarning):
            threads.setdefault(e.key if isinstance(e, ParsedThread) else e.thread_key, []).append(e)
    return threads, {e for e in events if isinstance(e, ParseWarning)}


def shuffle(seed: int):
    rng = random.Random(seed)
    return lambda keys: rng.sample(keys, len(keys))


@pytest.mark.parametrize("export", [SINGLE, ACCOUNT, LEGACY, MINIMAL], ids=lambda p: p.name)
@pytest.mark.parametrize("order", [lambda keys: keys[::-1], shuffle(1), shuffle(2)], ids=["reversed", "seed1", "seed2"])
def test_the_same_chats_with_keys_in_another_order_parse_the_same(tmp_path, export, order):
    data = json.loads((export / "result.json").read_text())
    (tmp_path / "result.json").write_text(json.dumps(reordered(data, order), ensure_ascii=False))
    assert detect(tmp_path, 0.5).name == "telegram"
    assert by_thread(parsed(tmp_path)) == by_thread(parsed(export))


def test_messages_before_their_chat_header_are_read_again_not_kept(tmp_path):
    count = 20_000
    chat = {"messages": [{"id": i, "type": "message", "date_unixtime": str(1717321212 + i), "from": "Jonas Berg",
                          "from_id": "user6123456789", "text": f"message {i} " + "x" * 200} for i in range(count)],
            "type": "personal_chat", "name": "Jonas Berg", "id": 6123456789}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(chat))
    del chat
    tracemalloc.start()
    try:
        events = PARSER.parse(path)
        assert next(events).key == "6123456789"
        assert sum(isinstance(e, ParsedMessage) for e in events) == count
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < path.stat().st_size / 4  # kept, the messages would take more than the file


@pytest.mark.parametrize(("change", "expected"), [
    ({"date_unixtime": None}, 'expected a "date" or a "date_unixtime"'),
    ({"date_unixtime": "soon"}, """expected an ISO "date" and whole seconds in "date_unixtime", found 'soon'"""),
    ({"date": "2024-13-01T00:00:00"}, 'expected an ISO "date" and whole seconds in "date_unixtime", '
                                      "found '2024-13-01T00:00:00 / 1717321263'"),
])
def test_a_message_without_a_usable_time_is_a_parse_error_naming_it(tmp_path, change, expected):
    data = json.loads((MINIMAL / "result.json").read_text())
    message = data["messages"][1] | change
    data["messages"][1] = {k: v for k, v in message.items() if v is not None}
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"messages": data.pop("messages"), **data}))  # the header after the messages
    with pytest.raises(ParseError) as err:
        parsed(tmp_path)
    assert str(err.value) == f"{path}:chat personal_chat:Jonas Berg, message id 312: {expected}"


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


def test_a_truncated_chat_without_id_is_named_by_its_name_and_last_message(tmp_path):
    whole = (MINIMAL / "result.json").read_bytes()
    cut = whole[: whole.index(b'"id": 314')]
    (tmp_path / "result.json").write_bytes(cut)
    with pytest.raises(ParseError) as err:
        parsed(tmp_path)
    assert f"result.json:chat Jonas Berg, after message id 313, byte {len(cut)}: expected complete" in str(err.value)


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
MESSAGE_KEYS = ["id", "type", "date", "date_unixtime", "from", "from_id", "text", "text_entities", "photo", "file",
                "media_type", "poll", "action", "actor", "members", "duration_seconds", "reply_to_message_id", "edited",
                "edited_unixtime", "forwarded_from", "title", "discard_reason"]

# A valid message with some fields replaced by anything, so the fuzzing gets past the first check.
VALID_MESSAGE = {"id": 1, "type": "message", "date": "2024-03-30T21:14:05", "date_unixtime": "1711829645",
                 "from": "Maya", "text": "hi"}
MESSAGES = st.dictionaries(st.sampled_from(MESSAGE_KEYS), JSON_VALUES, max_size=4).map(
    lambda fields: {**VALID_MESSAGE, **fields})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.dictionaries(st.sampled_from(["name", "type", "id"]), JSON_VALUES),
       message_list=st.lists(MESSAGES, max_size=3), header_last=st.booleans())
def test_any_values_in_a_valid_skeleton_never_crash(parser_contract, header, message_list, header_last):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.json"
        chat = {"messages": message_list, **header} if header_last else {**header, "messages": message_list}
        path.write_text(json.dumps(chat))
        parser_contract(PARSER, path)
