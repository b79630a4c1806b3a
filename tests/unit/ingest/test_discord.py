import json
import random
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError
from assistant.ingest.parsers.discord import DiscordParser
from assistant.ingest.registry import detect
from assistant.ingest.runner import ingest_paths

FIXTURES = Path(__file__).parents[2] / "fixtures" / "discord"
DM = FIXTURES / "Direct Messages - Maya [1087654321098765432].json"
SERVER = FIXTURES / "Ridgeline Climbers - Text Channels - general [1102345678901234567].json"
GROUP_DM = FIXTURES / "Direct Messages - Group - trip crew [1150000000000000001].json"
DELETED = FIXTURES / "Direct Messages - Group - font crew [1170000000000000001].json"  # three deleted accounts
PARSER = DiscordParser()
CEST, EDT = timezone(timedelta(hours=2)), timezone(timedelta(hours=-4))


def parsed(path: Path) -> list:
    return list(PARSER.parse(path))


def by_id(events: list) -> dict[str, ParsedMessage]:
    return {e.message_id[-2:]: e for e in events if isinstance(e, ParsedMessage)}  # ids end in 01, 02...


def test_detects_each_channel_file_and_nothing_else():
    assert [detect(p).name for p in (DM, SERVER, GROUP_DM, DELETED)] == ["discord"] * 4
    assert PARSER.detect(FIXTURES) == 0.0  # files only: an exporter folder mixes channels and media
    assert PARSER.detect(FIXTURES.parent / "telegram" / "ChatExport_2024-03-31" / "result.json") == 0.0


def test_direct_messages_golden():
    events = parsed(DM)
    assert events[0] == ParsedThread(key="1087654321098765432", platform="discord", title="Maya", is_group=False)
    assert events[-1].participants == ("Maya", "Alex")
    m = by_id(events)
    assert Counter(x.kind for x in m.values()) == {Kind.TEXT: 6, Kind.MEDIA: 2, Kind.SYSTEM: 2}
    assert Counter(x.sender for x in m.values()) == {"Maya": 4, "Alex": 4, None: 2}
    assert [e for e in events if isinstance(e, ParseWarning)] == [
        ParseWarning("message id 1239000000000000011", "message with neither content nor attachments skipped")]

    assert m["01"].timestamp == datetime(2024, 5, 12, 19, 3, 11, 482000, tzinfo=CEST)
    assert m["01"].timestamp.utcoffset() == timedelta(hours=2)
    assert (m["03"].reply_to, m["03"].edited, m["02"].edited) == ("1239000000000000002", True, False)
    assert (m["04"].kind, m["04"].media, m["04"].text) == (Kind.MEDIA, "image", "")
    assert m["05"].text == "Maya started a call that lasted 12 minutes."
    assert (m["06"].kind, m["06"].media) == (Kind.MEDIA, "sticker")
    # words with a file stay text, the file noted beside them
    assert (m["07"].kind, m["07"].media, m["07"].text) == (Kind.TEXT, "video", "sending you the beta video")
    assert (m["08"].text, m["08"].reply_to) == ("Maya pinned a message.", None)
    assert m["09"].text == "ok that heel hook is cursed"  # its reaction is not a message
    assert (m["10"].forwarded, m["10"].text, m["10"].reply_to) == (True, "Gym closed Monday for route setting", None)


def test_server_channel_golden():
    events = parsed(SERVER)
    assert events[0].title == "Ridgeline Climbers / #general" and events[0].is_group
    assert events[-1].participants == ("Jonas (route setter)", "Noor", "Alex", "Deleted User", "Carl-bot", "Lea")
    m = by_id(events)
    assert Counter(x.kind for x in m.values()) == {Kind.TEXT: 5, Kind.SYSTEM: 2, Kind.MEDIA: 2}
    assert m["01"].text == "Noor joined the server." and m["01"].sender is None
    assert m["01"].timestamp == datetime(2024, 5, 14, 22, 0, 2, 117000, tzinfo=timezone.utc)
    assert m["01"].timestamp.utcoffset() == timedelta(hours=-4) and m["01"].timestamp.tzinfo == EDT
    assert m["02"].sender == "Jonas (route setter)"  # the server nickname, not the account name
    assert m["04"].reply_to == "1240100000000000003"
    assert m["05"].sender == "Deleted User"
    assert m["06"].text == "Jonas (route setter) started a thread."
    assert (m["07"].sender, m["07"].kind, m["07"].media) == ("Carl-bot", Kind.MEDIA, "link")
    assert m["08"].text == "plan for Saturday:\n- meet 8:00 at the parking\n- bring the 60m rope" and m["08"].edited
    assert (m["09"].kind, m["09"].media) == (Kind.MEDIA, "file")


def test_group_dm_is_a_group_titled_by_its_name():
    events = parsed(GROUP_DM)
    assert (events[0].title, events[0].is_group) == ("trip crew", True)
    m = by_id(events)
    assert (m["01"].kind, m["01"].text) == (Kind.SYSTEM, "Alex added Lea to the group.")
    assert m["03"].reply_to == "1180000000000000002"


def test_ingest_all_channels_then_rerun_adds_nothing(corpus, ingest_twice, stored, reimport_adds_nothing):
    result = ingest_twice(FIXTURES)
    assert sorted((r.threads, r.messages_added) for r in result.reports) == [(1, 3), (1, 7), (1, 9), (1, 10)]
    assert len(stored()) == 29
    assert {t.title for t in corpus.threads()} == {"Maya", "trip crew", "font crew", "Ridgeline Climbers / #general"}
    reimport_adds_nothing(PARSER, SERVER)


def test_deleted_accounts_keep_their_messages_each_under_its_own_id(corpus, ingest_twice):
    events = parsed(DELETED)
    gone_a, gone_b = "Deleted User (601111111111111111)", "Deleted User (602222222222222222)"
    # the exporter's "Deleted User" and the newer "deleted_user_<hex>" username are both deleted accounts;
    # the placeholder account some of them were moved to stays plain "Deleted User"
    assert events[-1].participants == ("Alex", gone_a, gone_b, "Deleted User")
    m = by_id(events)
    assert [(x.sender, x.kind, x.text) for x in m.values()] == [
        ("Alex", Kind.TEXT, "anyone still have the photos from Fontainebleau?"),
        (gone_a, Kind.TEXT, "I do, uploading tonight"),
        (gone_b, Kind.TEXT, "send them to me too pls"),
        (gone_a, Kind.MEDIA, ""),
        ("Alex", Kind.TEXT, "legends, thanks!"),
        ("Deleted User", Kind.TEXT, "who made this group again?"),
        (None, Kind.SYSTEM, f"{gone_a} left the group."),
    ]
    assert m["05"].reply_to == "1190000000000000003"
    ingest_twice(DELETED)
    assert {p.name for p in corpus.people()} == {"Alex", gone_a, gone_b, "Deleted User"}


def reordered(value: object, rng: random.Random) -> object:
    """The same JSON value with the keys of every object shuffled, and the messages before the rest."""
    if isinstance(value, dict):
        shuffled = {k: reordered(value[k], rng) for k in rng.sample(list(value), len(value))}
        return {"messages": shuffled.pop("messages"), **shuffled} if "messages" in shuffled else shuffled
    return [reordered(v, rng) for v in value] if isinstance(value, list) else value


@pytest.mark.parametrize("export", [DM, SERVER, GROUP_DM, DELETED], ids=lambda p: p.name[:28])
def test_the_same_channel_with_keys_in_another_order_parses_the_same(tmp_path, export):
    path = tmp_path / export.name
    path.write_text(json.dumps(reordered(json.loads(export.read_text()), random.Random(5)), ensure_ascii=False))
    assert next(iter(json.loads(path.read_text()))) == "messages"
    assert detect(path).name == "discord"
    assert parsed(path) == parsed(export)


def test_a_channel_without_id_is_a_parse_error_naming_the_file(tmp_path):
    data = json.loads(GROUP_DM.read_text())
    del data["channel"]["id"]
    path = tmp_path / "dm.json"
    path.write_text(json.dumps({"messages": data.pop("messages"), **data}))
    with pytest.raises(ParseError) as err:
        parsed(path)
    assert str(err.value) == f'{path}:header: expected a "channel" with an "id"'


def test_truncated_export_names_the_file_and_last_message(tmp_path, corpus):
    whole = SERVER.read_bytes()
    cut = whole[: whole.index(b'"id": "1240100000000000005"')]
    broken = tmp_path / SERVER.name
    broken.write_bytes(cut)
    with pytest.raises(ParseError) as err:
        parsed(broken)
    assert f"{broken}:after message id 1240100000000000004, byte {len(cut)}: expected complete, well-formed JSON" \
        in str(err.value)
    result = ingest_paths(corpus, [broken], timezone="UTC")
    assert len(result.failures) == 1 and corpus.threads() == []


def test_bad_timestamp_is_a_parse_error_naming_the_message(tmp_path):
    data = json.loads(GROUP_DM.read_text())
    data["messages"][2]["timestamp"] = "yesterday"
    path = tmp_path / "dm.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ParseError, match=r'dm.json:message id 1180000000000000003: expected "timestamp" to be an ISO'):
        parsed(path)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(parser_contract, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        path.write_bytes(data)
        parser_contract(PARSER, path)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=25)
    | st.sampled_from(["Deleted User", "deleted_user_0a"]),  # so the fuzzing reaches the deleted accounts' ids
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["id", "name", "nickname", "fileName", "messageId", "type", "content"]), inner, max_size=3),
    max_leaves=8,
)
MESSAGE_KEYS = ["id", "type", "timestamp", "timestampEdited", "content", "author", "attachments", "embeds",
                "stickers", "reactions", "reference", "forwardedMessage"]

# A valid message with some fields replaced by anything, so the fuzzing gets past the first check.
VALID_MESSAGE = {"id": "1", "type": "Default", "timestamp": "2024-05-12T19:03:11+02:00", "content": "hi",
                 "author": {"name": "maya_k"}}
MESSAGES = st.dictionaries(st.sampled_from(MESSAGE_KEYS), JSON_VALUES, max_size=4).map(
    lambda fields: {**VALID_MESSAGE, **fields})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(channel=st.dictionaries(st.sampled_from(["id", "type", "name"]), JSON_VALUES),
       message_list=st.lists(MESSAGES, max_size=3), header_last=st.booleans())
def test_any_values_in_a_valid_skeleton_never_crash(parser_contract, channel, message_list, header_last):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        header = {"guild": {"id": "0", "name": "Direct Messages"}, "channel": channel}
        export = {"messages": message_list, **header} if header_last else {**header, "messages": message_list}
        path.write_text(json.dumps(export))
        parser_contract(PARSER, path)
