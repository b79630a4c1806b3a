import json
import shutil
import tempfile
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError
from assistant.ingest.parsers.slack import SlackParser, Workspace, emoji_of, render_mrkdwn, slack_time
from assistant.ingest.registry import detect
from assistant.ingest.runner import ingest_paths

EXPORT = Path(__file__).parents[2] / "fixtures" / "slack" / "export"
PARSER = SlackParser()


@pytest.fixture(scope="module")
def events() -> list:
    return list(PARSER.parse(EXPORT))


def message(events: list, ts: str) -> ParsedMessage:
    [m] = [e for e in events if isinstance(e, ParsedMessage) and e.message_id == ts]
    return m


def test_counts_per_kind_thread_and_warning(events):
    messages = [e for e in events if isinstance(e, ParsedMessage)]
    assert Counter(str(m.kind) for m in messages) == {"text": 14, "system": 2, "media": 1, "reaction": 7}
    assert Counter(m.thread_key for m in messages) == {
        "C01GENERAL": 16, "C02RANDOM": 2, "G01CLIMB": 2, "G02MPIM": 1, "D01ALEXMAYA": 3
    }
    assert [e for e in events if isinstance(e, ParseWarning)] == [
        ParseWarning("general/2021-10-19.json message 1", "skipped: not a Slack message (KeyError: 'ts')")
    ]


def test_threads_channels_private_groups_and_dms(events):
    threads = {e.key: e for e in events if isinstance(e, ParsedThread)}
    assert set(threads) == {"C01GENERAL", "C02RANDOM", "G01CLIMB", "G02MPIM", "D01ALEXMAYA"}  # C03OLD has no folder
    assert threads["C01GENERAL"] == ParsedThread(
        key="C01GENERAL", platform="slack", title="general", participants=("Maya Chen", "Alex Rivera", "jonas.w"),
        is_group=True,
    )
    assert (threads["G01CLIMB"].title, threads["G01CLIMB"].is_group) == ("climbing-plans", True)
    assert (threads["G02MPIM"].title, threads["G02MPIM"].is_group) == ("Alex Rivera, Maya Chen, jonas.w", True)
    assert (threads["D01ALEXMAYA"].title, threads["D01ALEXMAYA"].is_group) == ("Alex Rivera, Maya Chen", False)


def test_rich_text_blocks_are_preferred_and_mentions_resolve_to_names(events):
    morning = message(events, "1634547900.000000")
    # blocks carry the emoji as a character, where `text` says :+1:
    assert morning.text == "Morning @Alex Rivera! Did you see #random? Notes are on the wiki & the sheet 👍"
    assert morning.sender == "Maya Chen"
    assert message(events, "1634548300.000300").text == "Me! I can bring:\n- chalk\n- the big crash pad"
    assert message(events, "1634551200.000000").text == "> the best time to climb is now\nagreed"
    # without blocks, the mrkdwn text is unescaped the same way
    assert message(events, "1634549100.000000").text == "Build #42 passed > all green"
    assert message(events, "1634634000.000000").text == "@here parking is full, use the side street"
    assert message(events, "1634893200.000000").text == "gift for the coach: @Maya Chen has ideas"


def test_thread_replies_broadcasts_files_bots_edits_and_joins(events):
    parent = "1634548200.000200"
    assert message(events, parent).reply_to is None
    assert message(events, "1634548300.000300").reply_to == parent
    broadcast = message(events, "1634548500.000000")
    assert (broadcast.sender, broadcast.text, broadcast.reply_to) == ("jonas.w", "I'm in, bringing the rope", parent)
    photo = message(events, "1634548800.000000")
    assert (photo.kind, photo.media, photo.text, photo.sender) == (Kind.MEDIA, "image", "route map", "Alex Rivera")
    assert message(events, "1634549100.000000").sender == "Deploy Bot"
    assert message(events, "1634549400.000000").edited is True
    join = message(events, "1634547600.000100")
    assert (join.kind, join.sender, join.text) == (Kind.SYSTEM, None, "@jonas.w has joined the channel")
    # a user missing from users.json is named by the profile inside the message
    assert message(events, "1634551300.000000").sender == "Sam Okafor"


def reactions(events: list, ts: str) -> list[tuple[str, str]]:
    return [(m.sender, m.text) for m in events
            if isinstance(m, ParsedMessage) and m.kind == Kind.REACTION and m.reply_to == ts]


def test_reactions_become_one_message_per_person_and_emoji_right_after_their_target(events):
    assert reactions(events, "1634548200.000200") == [
        ("Maya Chen", "🙌"), ("jonas.w", "🙌"), ("Maya Chen", "👍🏼")]  # "+1::skin-tone-3"
    assert reactions(events, "1634547600.000100") == [("Maya Chen", "👋")]  # a join is welcomed too
    assert reactions(events, "1634548800.000000") == [("jonas.w", "🔥"), ("Maya Chen", "🔥")]  # count 3, two named
    assert reactions(events, "1634807100.000000") == [("Maya Chen", ":hug-parrot:")]  # the workspace's own emoji
    photo_at = events.index(message(events, "1634548800.000000"))
    fire = events[photo_at + 1]
    assert (fire.kind, fire.timestamp, fire.thread_key, fire.message_id) == (
        Kind.REACTION, slack_time("1634548800.000000"), "C01GENERAL", None)  # the export does not say when


def test_emoji_short_names():
    assert [emoji_of(n) for n in ("+1", "thumbsup", "tada", "heart", "v::skin-tone-5", "simple_smile")] == [
        "👍", "👍", "🎉", "❤️", "✌🏾", ":simple_smile:"]


def test_malformed_reactions_are_skipped_with_a_warning_and_the_message_kept(tmp_path):
    day = [{"ts": "1634547900.000000", "user": "U1", "text": "hi", "reactions": [{"name": "fire", "users": "U1"}]},
           {"ts": "1634548000.000000", "user": "U1", "text": "ok", "reactions": {"name": "fire"}}]
    events = list(PARSER.parse(_export_with_day(tmp_path, json.dumps(day).encode())))
    assert [m.text for m in events if isinstance(m, ParsedMessage)] == ["hi", "ok"]
    expected = 'reactions skipped: expected a list of {"name": short name, "users": [user ids]}, found '
    assert [e for e in events if isinstance(e, ParseWarning)] == [
        ParseWarning("general/2021-10-18.json message 1634547900.000000", expected + "{'name': 'fire', 'users': 'U1'}"),
        ParseWarning("general/2021-10-18.json message 1634548000.000000", expected + "{'name': 'fire'}"),
    ]


def test_timestamps_are_exact_aware_utc():
    assert slack_time("1634548300.000300") == datetime(2021, 10, 18, 9, 11, 40, 300, tzinfo=UTC)
    assert slack_time("1634548300") == datetime(2021, 10, 18, 9, 11, 40, tzinfo=UTC)


def test_mrkdwn_special_references():
    ws = Workspace({"U1": "Maya Chen"}, {"C1": "general"})
    assert render_mrkdwn("<!subteam^S01|@setters> and <@U1> in <#C1>", ws) == "@setters and @Maya Chen in #general"
    assert render_mrkdwn("<!date^1634567890^{date}|Oct 18> <mailto:a@example.com|a@example.com> <https://x.io>", ws) == (
        "Oct 18 a@example.com https://x.io"
    )
    assert render_mrkdwn("&lt;3 &amp; <@U404>", ws) == "<3 & @U404"


def test_folder_ingest_is_idempotent(ingest_twice, stored, reimport_adds_nothing):
    [report] = ingest_twice(EXPORT).reports
    assert (report.format, report.threads, report.messages_added, len(report.warnings)) == ("slack", 5, 24, 1)
    by_sender = Counter(m.sender for m in stored())
    assert by_sender == {"Alex Rivera": 6, "Maya Chen": 9, "jonas.w": 5, None: 2, "Deploy Bot": 1, "Sam Okafor": 1}
    reimport_adds_nothing(PARSER, EXPORT)


def test_the_zip_is_unpacked_by_the_runner_and_the_folder_detected(tmp_path, ingest_twice):
    archive = tmp_path / "Climbing Club Slack export Oct 18 2021 - Oct 22 2021.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(EXPORT.rglob("*.json")):
            zf.write(file, file.relative_to(EXPORT))
    assert PARSER.detect(archive) == 0.0  # the runner unpacks it, then the folder is claimed
    [report] = ingest_twice(archive).reports
    assert (report.path, report.format, report.threads, report.messages_added) == (str(archive), "slack", 5, 24)


def test_detect_wants_users_json_and_a_conversation_list(tmp_path):
    assert PARSER.detect(EXPORT) == 0.95 and detect(EXPORT, 0.5).name == "slack"
    assert PARSER.detect(EXPORT / "users.json") == 0.0
    (tmp_path / "users.json").write_text("[]")
    assert PARSER.detect(tmp_path) == 0.0
    (tmp_path / "dms.json").write_text("[]")
    assert PARSER.detect(tmp_path) == 0.9


def test_a_truncated_day_file_fails_the_whole_export(tmp_path, corpus):
    export = shutil.copytree(EXPORT, tmp_path / "export")
    day = export / "random" / "2021-10-18.json"
    day.write_bytes(day.read_bytes()[:300])
    with pytest.raises(ParseError, match=r"random/2021-10-18\.json:after item 0, byte \d+: expected complete, well-formed"):
        list(PARSER.parse(export))
    [failure] = ingest_paths(corpus, [export], timezone="UTC").failures
    assert failure.path == str(export)
    assert f"{day}:after item 0, byte 300: expected complete, well-formed JSON" in failure.message
    assert corpus.threads() == []  # the channels parsed before the bad file are rolled back too


def test_a_users_file_that_is_not_a_list_is_a_parse_error(tmp_path):
    (tmp_path / "users.json").write_text('{"id": "U1"}')
    (tmp_path / "channels.json").write_text("[]")
    with pytest.raises(ParseError, match=r"users\.json:start: expected a JSON list of objects"):
        list(PARSER.parse(tmp_path))
    with pytest.raises(ParseError, match="expected an unpacked Slack export folder"):
        list(PARSER.parse(tmp_path / "users.json"))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["ts", "user", "text", "blocks", "subtype", "files", "thread_ts", "elements", "type", "user_id",
                         "unicode", "edited", "bot_id", "user_profile", "reactions", "name", "users"])
        | st.text(max_size=5), inner, max_size=6),
    max_leaves=20,
)


def _export_with_day(tmp: Path, day: bytes) -> Path:
    (tmp / "users.json").write_text(json.dumps([{"id": "U1", "real_name": "Maya Chen"}]))
    (tmp / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general", "members": ["U1"]}]))
    (tmp / "general").mkdir()
    (tmp / "general" / "2021-10-18.json").write_bytes(day)
    return tmp


@settings(max_examples=80, deadline=None)
@given(st.lists(JSON, max_size=4))
def test_arbitrary_json_messages_yield_events_or_a_parse_error(parser_contract, messages):
    with tempfile.TemporaryDirectory() as tmp:
        parser_contract(PARSER, _export_with_day(Path(tmp), json.dumps(messages).encode()))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_yield_events_or_a_parse_error(parser_contract, data):
    with tempfile.TemporaryDirectory() as tmp:
        parser_contract(PARSER, _export_with_day(Path(tmp), data))
        (Path(tmp) / "users.json").write_bytes(data)
        parser_contract(PARSER, Path(tmp))
