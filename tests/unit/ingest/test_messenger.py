import json
import random
import shutil
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError
from assistant.ingest.parsers.messenger import (
    InstagramParser,
    MessengerParser,
    folder_title,
    instant,
    is_meta_mojibake,
)
from assistant.ingest.registry import detect

FIXTURES = Path(__file__).parents[2] / "fixtures" / "messenger"
INBOX = FIXTURES / "facebook-alexmoreau-2024-05-20" / "your_activity_across_facebook" / "messages" / "inbox"
MAYA = INBOX / "mayakovac_10158234567890123"
GROUP = INBOX / "lyontrip_6543210987654321"
REENCODED = FIXTURES / "reencoded" / "messages" / "inbox" / "noorhaddad_20987654321"
IG = (FIXTURES / "instagram-alex.moreau-2024-05-20" / "your_instagram_activity" / "messages" / "inbox"
      / "jonas.berg_17845678901234567")
# Files with "messages" alone: no "participants", no "title", no "thread_path"
IG_BARE = (FIXTURES / "instagram-alex.moreau-2024-06-10" / "your_instagram_activity" / "messages" / "inbox"
           / "mayakovac_17851234567890123")
FB_BARE = (FIXTURES / "facebook-alexmoreau-2024-06-10" / "your_activity_across_facebook" / "messages" / "inbox"
           / "boulderbuddies_7654321098765432")
MESSENGER, INSTAGRAM = MessengerParser(), InstagramParser()


def split(events: list) -> tuple[list[ParsedThread], list[ParsedMessage], list[ParseWarning]]:
    return ([e for e in events if isinstance(e, ParsedThread)], [e for e in events if isinstance(e, ParsedMessage)],
            [e for e in events if isinstance(e, ParseWarning)])


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_thread_folders_are_claimed_whole_and_the_app_read_from_the_layout():
    assert [detect(p, 0.5).name for p in (MAYA, GROUP, REENCODED, IG)] == ["messenger"] * 3 + ["instagram"]
    assert (MESSENGER.detect(MAYA), INSTAGRAM.detect(MAYA)) == (0.9, 0.45)
    assert (MESSENGER.detect(IG), INSTAGRAM.detect(IG)) == (0.45, 0.9)
    assert MESSENGER.detect(MAYA / "message_2.json") == 0.9
    # an inbox is not a thread: the runner looks inside it instead
    assert MESSENGER.detect(INBOX) == INSTAGRAM.detect(INBOX) == 0.0
    assert MESSENGER.detect(FIXTURES.parent / "telegram" / "ChatExport_2024-03-31") == 0.0


def test_two_files_make_one_thread_in_time_order_with_mojibake_repaired():
    threads, messages, warnings = split(list(MESSENGER.parse(MAYA)))
    assert threads == [ParsedThread(key="inbox/mayakovac_10158234567890123", platform="messenger", title="Maya Kovač",
                                    participants=("Maya Kovač", "Alex Moreau"), is_group=False)]
    assert Counter(m.kind for m in messages) == {Kind.TEXT: 7, Kind.MEDIA: 2, Kind.SYSTEM: 1}
    assert Counter(m.sender for m in messages) == {"Maya Kovač": 6, "Alex Moreau": 3, None: 1}
    assert [m.timestamp for m in messages] == sorted(m.timestamp for m in messages)
    first, last = messages[0], messages[-1]
    assert first.timestamp == at(2023, 8, 1, 18, 1, 55)
    assert first.text == "Ça va ? On se voit à Lyon ce week-end ? 😊"
    assert (last.timestamp, last.text) == (at(2023, 8, 4, 9, 15), "Émilie vient aussi 👍")
    texts = [m.text for m in messages]
    assert "trop bien 😂" in texts  # its ❤ reaction is left out
    seconds = next(m for m in messages if m.text.startswith("désolé"))  # timestamp_ms written in seconds
    assert (seconds.text, seconds.timestamp) == ("désolé, j’étais dans le métro", at(2023, 8, 4, 9, 12))
    assert [(m.media, m.text) for m in messages if m.kind == Kind.MEDIA] == [("image", ""), ("sticker", "")]
    assert [m.text for m in messages if m.kind == Kind.SYSTEM] == ["The video chat ended."]
    assert [(m.sender, m.text) for m in messages if m.unsent] == [("Maya Kovač", "")]
    assert [(m.kind, m.media) for m in messages if m.text.startswith("https://")] == [(Kind.TEXT, "link")]
    assert warnings == [ParseWarning("message_1.json, message #1", "timestamp_ms 0 is not a plausible date "
                                     "(milliseconds since 1970, between 2004 and 2100); message skipped")]


def test_group_notices_old_typed_and_new_untyped_are_system():
    threads, messages, _ = split(list(MESSENGER.parse(GROUP)))
    assert (threads[0].title, threads[0].is_group) == ("Lyon trip 🚆", True)
    assert [(m.kind, m.sender, m.media, m.text) for m in messages] == [
        (Kind.TEXT, "Alex Moreau", None, "qui réserve le train ? je peux le faire demain"),
        (Kind.SYSTEM, None, None, "Maya Kovač added Jonas Berg to the group."),
        (Kind.SYSTEM, None, None, "Jonas Berg named the group Lyon trip 🚆."),
        (Kind.MEDIA, "Jonas Berg", "audio", ""),
        (Kind.MEDIA, "Maya Kovač", "gif", ""),
        (Kind.SYSTEM, None, None, "Lea Hoffmann left the group."),
    ]


def test_a_correctly_encoded_file_keeps_a_deliberate_mojibake_lookalike():
    _, messages, _ = split(list(MESSENGER.parse(REENCODED)))  # this file also starts with a BOM
    assert [m.text for m in messages] == [
        "my keyboard is cursed, I typed Ã© instead of é again",
        "classic mojibake: café → cafÃ©",
        "😂 exactly, the bytes don’t lie",
    ]


def test_instagram_thread_golden():
    threads, messages, warnings = split(list(INSTAGRAM.parse(IG)))
    assert threads == [ParsedThread(key="inbox/jonas.berg_17845678901234567", platform="instagram", title="Jonas Berg",
                                    participants=("Jonas Berg", "Alex Moreau"), is_group=False)]
    assert not warnings
    assert Counter(m.kind for m in messages) == {Kind.TEXT: 3, Kind.MEDIA: 3, Kind.REACTION: 2}
    assert messages[0].text == "Schöne Grüße aus dem Frankenjura 🏔️"
    assert [(m.media, m.text) for m in messages if m.kind == Kind.MEDIA] == [
        ("video", ""), ("link", "https://www.instagram.com/p/C7a2b3c4d5e/"), ("image", "")]
    assert [(m.sender, m.text, m.timestamp) for m in messages if m.unsent] == [
        ("Alex Moreau", "", at(2024, 5, 18, 19, 26, 30))]
    assert [(m.sender, m.text) for m in messages if m.kind == Kind.REACTION] == [
        ("Jonas Berg", "Reacted 😂 to your message "), ("Alex Moreau", "Liked a message")]


def test_forcing_the_other_app_keeps_the_parse_and_changes_the_platform():
    threads, messages, _ = split(list(INSTAGRAM.parse(MAYA)))
    assert threads[0].platform == "instagram" and len(messages) == 10


def test_a_whole_export_goes_through_the_runner_thread_by_thread(corpus, ingest_twice, stored, reimport_adds_nothing):
    result = ingest_twice(FIXTURES)
    assert sorted((r.format, r.path.rsplit("/", 1)[-1], r.messages_added, len(r.warnings)) for r in result.reports) == [
        ("instagram", "jonas.berg_17845678901234567", 8, 0),
        ("instagram", "mayakovac_17851234567890123", 5, 0),
        ("messenger", "boulderbuddies_7654321098765432", 6, 0),
        ("messenger", "lyontrip_6543210987654321", 6, 0),
        ("messenger", "mayakovac_10158234567890123", 10, 1),
        ("messenger", "noorhaddad_20987654321", 3, 0),
    ]
    assert len(stored()) == 38
    assert Counter(t.platform for t in corpus.threads()) == {"messenger": 4, "instagram": 2}
    bare = corpus.thread("inbox/boulderbuddies_7654321098765432")
    assert (bare.title, bare.participants, bare.is_group) == (
        "boulderbuddies", ("Lea Hoffmann", "Alex Moreau", "Jonas Berg"), True)
    # Meta gives messages no ids: a re-export is recognised by sender, time and text alone
    reimport_adds_nothing(MESSENGER, MAYA)


def test_a_file_of_messages_alone_is_detected_and_its_participants_are_who_wrote():
    assert [detect(p, 0.5).name for p in (IG_BARE, FB_BARE)] == ["instagram", "messenger"]
    events = list(INSTAGRAM.parse(IG_BARE))
    threads, messages, warnings = split(events)
    key = "inbox/mayakovac_17851234567890123"
    # Who wrote is known once the messages have passed: the thread comes again, complete, at the end.
    assert threads == [
        ParsedThread(key=key, platform="instagram", title="mayakovac"),
        ParsedThread(key=key, platform="instagram", title="Maya Kovač", participants=("Maya Kovač", "Alex Moreau")),
    ]
    assert events[0] == threads[0] and events[-1] == threads[1] and not warnings
    # the mojibake of names and words is repaired as in a complete file
    assert [(m.sender, m.kind, m.media, m.text) for m in messages] == [
        ("Maya Kovač", Kind.TEXT, None, "Ça marche pour samedi ? 😊"),
        ("Alex Moreau", Kind.TEXT, None, "oui ! on se retrouve à la salle"),
        ("Maya Kovač", Kind.REACTION, None, "Reacted ❤ to your message "),
        ("Maya Kovač", Kind.MEDIA, "image", ""),
        ("Alex Moreau", Kind.TEXT, "link", "regarde ça"),
    ]
    assert messages[0].timestamp == at(2024, 6, 8, 17, 2, 11)


def test_participants_of_a_bare_thread_come_from_all_its_files():
    threads, messages, _ = split(list(MESSENGER.parse(FB_BARE)))
    assert threads[-1] == ParsedThread(
        key="inbox/boulderbuddies_7654321098765432", platform="messenger", title="boulderbuddies",
        participants=("Lea Hoffmann", "Alex Moreau", "Jonas Berg"), is_group=True)
    assert [m.timestamp for m in messages] == sorted(m.timestamp for m in messages)
    assert (messages[2].text, messages[3].kind) == ("parfait, à jeudi", Kind.SYSTEM)


def test_a_bare_file_outside_a_thread_folder_is_titled_by_who_wrote(tmp_path):
    folder = tmp_path / "Downloads"
    folder.mkdir()
    shutil.copy(IG_BARE / "message_1.json", folder)
    assert INSTAGRAM.detect(folder / "message_1.json") == 0.9  # its photo's path says Instagram
    threads, _, _ = split(list(INSTAGRAM.parse(folder / "message_1.json")))
    assert (threads[-1].key, threads[-1].title) == (f"{tmp_path.name}/Downloads", "Maya Kovač, Alex Moreau")


@pytest.mark.parametrize(("folder", "expected"), [
    ("mayakovac_10158234567890123", "Maya Kovač"),  # the participant the folder is named after
    ("jonas.berg_17845678901234567", "Jonas Berg"),  # Instagram keeps the username's dot
    ("maya_12345", "maya"),
    ("Downloads", None),
])
def test_title_from_the_thread_folder(folder, expected):
    assert folder_title(Path(folder), ["Alex Moreau", "Maya Kovač", "Jonas Berg"]) == expected


@pytest.mark.parametrize("thread", [MAYA, IG, IG_BARE], ids=lambda p: p.name)
def test_the_same_thread_with_keys_in_another_order_parses_the_same(tmp_path, thread):
    rng = random.Random(3)

    def shuffled(value: object) -> object:
        if isinstance(value, dict):
            return {k: shuffled(value[k]) for k in rng.sample(list(value), len(value))}
        return [shuffled(v) for v in value] if isinstance(value, list) else value

    copy = shutil.copytree(thread, tmp_path / thread.parent.name / thread.name)
    for file in copy.glob("message_*.json"):
        data = shuffled(json.loads(file.read_text()))
        file.write_text(json.dumps({"messages": data.pop("messages"), **data}))  # and the header after them
    assert list(MESSENGER.parse(copy)) == list(MESSENGER.parse(thread))


def test_a_file_without_messages_is_a_parse_error_naming_it(tmp_path):
    (tmp_path / "message_1.json").write_text('{"participants": [{"name": "Maya"}], "title": "Maya"}')
    with pytest.raises(ParseError) as err:
        list(MESSENGER.parse(tmp_path))
    expected = 'expected a Messenger or Instagram thread file with "messages"'
    assert str(err.value) == f"{tmp_path / 'message_1.json'}: {expected}"


def test_truncated_file_names_the_file_and_position(tmp_path):
    thread = shutil.copytree(MAYA, tmp_path / MAYA.name)
    newest = thread / "message_1.json"
    whole = newest.read_bytes()
    cut = whole[: whole.index(b'"content": "The video chat ended."')]
    newest.write_bytes(cut)
    with pytest.raises(ParseError) as err:
        list(MESSENGER.parse(thread))
    assert f"{newest}:after message #5, byte {len(cut)}: expected complete, well-formed JSON" in str(err.value)


def test_a_message_without_timestamp_is_a_parse_error(tmp_path):
    data = json.loads((REENCODED / "message_1.json").read_text(encoding="utf-8-sig"))
    del data["messages"][1]["timestamp_ms"]
    (tmp_path / "message_1.json").write_text(json.dumps(data))
    with pytest.raises(ParseError, match=r'message_1.json:message #2: expected a "timestamp_ms"'):
        list(MESSENGER.parse(tmp_path))


@pytest.mark.parametrize(("strings", "expected"), [
    (["Ã©"], True),
    (["trop bien ð\x9f\x98\x82", "Ã§a va", "ok"], True),
    (["café"], False),  # a lone é is not UTF-8 once turned back into bytes
    (["Ã©", "😂"], False),  # a character beyond latin-1 means the file was written correctly
    (["plain ascii"], False),
])
def test_mojibake_is_decided_per_file(strings, expected):
    assert is_meta_mojibake(iter(strings)) is expected


def test_timestamps_in_seconds_milliseconds_or_microseconds_agree_and_absurd_ones_are_refused():
    when = at(2023, 8, 4, 9, 12)
    assert instant(1691140320) == instant(1691140320000) == instant(1691140320000000) == when
    assert instant(0) is None and instant(4_200_000_000_000) is None and instant(float("nan")) is None


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(parser_contract, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "message_1.json"
        path.write_bytes(data)
        parser_contract(MESSENGER, path)
        parser_contract(MESSENGER, Path(folder))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(["Ã©", "ð\x9f\x98\x82", "cafÃ", "Reacted ❤ to your message"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["name", "uri", "link"]), inner,
                                                                max_size=3),
    max_leaves=8,
)
MESSAGE_KEYS = ["sender_name", "timestamp_ms", "content", "photos", "videos", "audio_files", "gifs", "files",
                "sticker", "share", "reactions", "is_unsent", "call_duration", "type"]

# A valid message with some fields replaced by anything, so the fuzzing gets past the first check.
VALID_MESSAGE = {"sender_name": "Maya", "timestamp_ms": 1690913260000, "content": "hi"}
MESSAGES = st.dictionaries(st.sampled_from(MESSAGE_KEYS), JSON_VALUES, max_size=4).map(
    lambda fields: {**VALID_MESSAGE, **fields})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.dictionaries(st.sampled_from(["participants", "title", "thread_path", "thread_type"]), JSON_VALUES),
       message_list=st.lists(MESSAGES, max_size=3), header_last=st.booleans())
def test_any_values_in_a_valid_skeleton_never_crash(parser_contract, header, message_list, header_last):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "message_1.json"
        thread = {"messages": message_list, **header} if header_last else {**header, "messages": message_list}
        path.write_text(json.dumps(thread))
        parser_contract(MESSENGER, path)
