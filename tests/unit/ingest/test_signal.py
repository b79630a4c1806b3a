import shutil
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread
from assistant.ingest.base import ParseError
from assistant.ingest.parsers.signal import SignalParser
from assistant.ingest.registry import detect

EXPORT = Path(__file__).parents[2] / "fixtures" / "signal" / "signal-export-2024-03-10"
MAYA = EXPORT / "Maya Kovač"
CREW = EXPORT / "Climbing crew"
PARSER = SignalParser()


def split(path: Path) -> tuple[list[ParsedThread], list[ParsedMessage]]:
    events = list(PARSER.parse(path))
    return [e for e in events if isinstance(e, ParsedThread)], [e for e in events if isinstance(e, ParsedMessage)]


def test_chat_folders_and_chat_md_are_detected():
    assert [detect(p, 0.5).name for p in (MAYA, CREW, MAYA / "chat.md")] == ["signal"] * 3
    assert PARSER.detect(EXPORT) == 0.0  # the export root holds one folder per chat
    assert PARSER.detect(EXPORT.parents[1] / "telegram" / "ChatExport_2024-03-31" / "result.json") == 0.0


def test_one_to_one_chat_golden():
    threads, messages = split(MAYA)
    assert threads[0] == ParsedThread(key="Maya Kovač", platform="signal", title="Maya Kovač")
    assert threads[-1] == ParsedThread(key="Maya Kovač", platform="signal", title="Maya Kovač",
                                       participants=("Maya Kovač", "Me"), is_group=False)
    assert Counter(m.kind for m in messages) == {Kind.TEXT: 7, Kind.MEDIA: 3, Kind.SYSTEM: 1}
    assert Counter(m.sender for m in messages) == {"Maya Kovač": 7, "Me": 3, None: 1}
    assert messages[0].timestamp == datetime(2024, 3, 2, 18, 4, 11)  # naive: the export states no offset
    assert messages[0].text == "hey, are we still on for tonight?"  # Markdown's trailing "  " is gone
    assert messages[1].text == "yes!\n7pm at the usual place?\nI'll bring the board game"
    assert messages[2].text == "perfect, see you there"  # the quoted message is not part of the reply
    assert (messages[3].kind, messages[3].media, messages[3].text) == (Kind.MEDIA, "image", "")
    assert messages[4].text == "that's the one with the dragon?"  # its reaction line is dropped
    assert (messages[5].unsent, messages[5].text) == (True, "")
    assert (messages[6].sender, messages[6].text) == (None, "Outgoing voice call (accepted, 2m 5s)")
    assert (messages[7].media, messages[7].text) == ("sticker", "")
    assert (messages[8].media, messages[8].text) == ("file", "here's the rules pdf")
    assert messages[8].timestamp == datetime(2024, 3, 2, 18, 21, 15)
    assert messages[9] == messages[10]  # the same words twice in the same second: two messages


def test_older_comma_format_and_group_golden():
    threads, messages = split(CREW)
    assert threads[-1].participants == ("Me", "Lea Hoffmann", "Jonas Berg") and threads[-1].is_group
    assert [(m.sender, m.timestamp.strftime("%H:%M"), m.kind, m.text) for m in messages] == [
        ("Me", "15:04", Kind.TEXT, "How is everyone?"),
        ("Lea Hoffmann", "15:10", Kind.TEXT, "We're great!\nJust back from the crag."),
        ("Jonas Berg", "15:20", Kind.TEXT, "I'm not.\n\nTwisted my ankle on the approach 🙃"),
        ("Lea Hoffmann", "15:21", Kind.TEXT, "oh no!!"),
        ("Me", "15:23", Kind.MEDIA, ""),
        ("Me", "15:24", Kind.TEXT, "is it this bad?"),
    ]


def test_ingest_export_then_rerun_adds_nothing(corpus, ingest_twice, stored, reimport_adds_nothing):
    result = ingest_twice(EXPORT)
    assert sorted((r.path.rsplit("/", 1)[-1], r.messages_added) for r in result.reports) == [
        ("Climbing crew", 6), ("Maya Kovač", 11)]
    assert len(stored()) == 17
    assert corpus.thread("Climbing crew").is_group and not corpus.thread("Maya Kovač").is_group
    reimport_adds_nothing(PARSER, MAYA)


def test_a_heading_before_the_first_message_names_the_chat(tmp_path):
    path = tmp_path / "maya.md"
    path.write_text("# Maya Kovač (Signal)\n\n[2024-03-02 18:04:11] Maya Kovač: hi  \n", encoding="utf-8")
    threads, messages = split(path)
    assert (threads[0].key, threads[0].title, [m.text for m in messages]) == ("maya", "Maya Kovač (Signal)", ["hi"])


def test_text_that_is_no_signal_export_is_a_parse_error(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("shopping list\n- rope\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"notes.md:line 1: expected a Signal export line .*found 'shopping list'"):
        list(PARSER.parse(path))
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"notes.md:the whole file: expected a Signal export line"):
        list(PARSER.parse(path))


def test_impossible_date_and_bad_bytes_are_parse_errors(tmp_path):
    chat = shutil.copytree(CREW, tmp_path / "crew")
    (chat / "chat.md").write_text("[2019-05-29, 15:04] Me: hi\n[2019-02-30, 15:10] Lea Hoffmann: hey\n")
    with pytest.raises(ParseError, match=r"chat.md:line 2: expected a real date and time"):
        list(PARSER.parse(chat))
    (chat / "chat.md").write_bytes(b"[2019-05-29, 15:04] Me: caf\xe9\n")
    with pytest.raises(ParseError, match=r"chat.md:near line 1: expected UTF-8 text"):
        list(PARSER.parse(chat))


LINES = st.lists(
    st.sampled_from(["[2024-03-02 18:04:11] Maya: hi", "[2019-05-29, 15:04] Me:", "> quote", "(( 🐉 ))",
                     "(- Me: 😂 -)", "![a.jpg](./media/a.jpg)", "(This message was deleted)", "Missed video call",
                     "", "# title"])
    | st.text(max_size=30),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | LINES.map(lambda lines: "\n".join(lines).encode()))
def test_arbitrary_bytes_never_crash(parser_contract, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chat.md"
        path.write_bytes(data)
        parser_contract(PARSER, path)
