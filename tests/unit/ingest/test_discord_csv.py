"""DiscordChatExporter's CSV export: read as the JSON parser reads the same channel, row by row."""

import csv
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError
from assistant.ingest.parsers.discord import DiscordCsvParser, DiscordParser
from assistant.ingest.registry import detect

PARSER = DiscordCsvParser()
HEADER = '"AuthorID","Author","Date","Content","Attachments","Reactions"\r\n'
CEST = timezone(timedelta(hours=2))
# A DM as the exporter writes it: a BOM, every field quoted, CRLF rows, and line breaks inside content.
DM_ROWS = (
    '"1087000000000000001","maya_k","2024-05-12T19:03:11.4820000+02:00","climbing tomorrow?","",""\r\n'
    '"1087000000000000002","alex#4821","2024-05-12T19:04:00+02:00","yes!\n8:00 at the gym\n""bring chalk""","","👍 (1)"\r\n'
    '"1087000000000000001","maya_k","2024-05-12T19:05:00+02:00","",'
    '"https://cdn.discordapp.com/attachments/1/2/wall.jpg?ex=1,https://cdn.discordapp.com/attachments/1/3/notes.pdf",""\r\n'
    '"456226577798135808","Deleted User","2024-05-12T19:06:00+02:00","who is this","",""\r\n'
    '"601111111111111111","deleted_user_0a1b2c3d4e5f","2024-05-12T19:07:00+02:00","me, gone","",""\r\n'
    '"1087000000000000002","alex#4821","2024-05-12T19:08:00+02:00","","","❤️ (2)"\r\n'
)


def write(folder: Path, name: str, rows: str, header: str = HEADER) -> Path:
    path = folder / name
    path.write_bytes(("\ufeff" + header + rows).encode("utf-8"))
    return path


@pytest.fixture
def dm(tmp_path: Path) -> Path:
    return write(tmp_path, "Direct Messages - Maya [1087654321098765432].csv", DM_ROWS)


def test_detected_by_its_header_row_and_nothing_else(tmp_path, dm):
    assert detect(dm).name == "discord-csv"
    assert detect(write(tmp_path, "older.csv", "", header="AuthorID,Author,Date,Content,Attachments,Reactions\n"))
    assert PARSER.detect(write(tmp_path, "sheet.csv", "1,2\n", header="Name,Date,Amount\n")) == 0.0
    assert PARSER.detect(tmp_path) == 0.0
    assert PARSER.detect(Path(__file__).parents[2] / "fixtures" / "discord" / (dm.stem + ".json")) == 0.0
    assert DiscordParser().detect(dm) == 0.0


def test_a_dm_golden(dm):
    events = list(PARSER.parse(dm))
    # the file name gives what the JSON export's header would: the same key and title
    assert events[0] == ParsedThread(key="1087654321098765432", platform="discord", title="Maya")
    messages = [e for e in events if isinstance(e, ParsedMessage)]
    assert [(m.sender, m.kind, m.media, m.text) for m in messages] == [
        ("maya_k", Kind.TEXT, None, "climbing tomorrow?"),
        ("alex", Kind.TEXT, None, 'yes!\n8:00 at the gym\n"bring chalk"'),  # the discriminator is not the name
        ("maya_k", Kind.MEDIA, "image", ""),
        ("Deleted User", Kind.TEXT, None, "who is this"),  # the shared placeholder account
        ("Deleted User (601111111111111111)", Kind.TEXT, None, "me, gone"),
    ]
    assert messages[0].timestamp == datetime(2024, 5, 12, 19, 3, 11, 482000, tzinfo=CEST)
    assert [e for e in events if isinstance(e, ParseWarning)] == [
        ParseWarning("line 9", "message with neither content nor attachments skipped")]  # the reaction only
    senders = ("maya_k", "alex", "Deleted User", "Deleted User (601111111111111111)")
    assert events[-1] == ParsedThread(key="1087654321098765432", platform="discord", title="Maya",
                                      participants=senders, is_group=True)  # four people wrote: a group DM


def test_older_exports_write_local_times_without_offset(tmp_path):
    path = write(tmp_path, "Direct Messages - Maya [1087654321098765432].csv",
                 '"1","maya_k","04-Mar-21 06:06 PM","hi","",""\n"2","alex","04-Mar-21 06:07 PM","hey","",""\n')
    messages = [e for e in PARSER.parse(path) if isinstance(e, ParsedMessage)]
    assert [m.timestamp for m in messages] == [datetime(2021, 3, 4, 18, 6), datetime(2021, 3, 4, 18, 7)]
    assert list(PARSER.parse(path))[-1].is_group is False


@pytest.mark.parametrize(("name", "title", "key", "group"), [
    ("Ridgeline Climbers - Text Channels - general [1102345678901234567].csv",
     "Ridgeline Climbers / #general", "1102345678901234567", True),
    ("Direct Messages - Group - trip crew [1150000000000000001] (after 2024-01-01).csv",
     "trip crew", "1150000000000000001", True),
    ("Direct Messages - Private - Maya [1087654321098765432].csv", "Maya", "1087654321098765432", False),
    ("maya.csv", "maya", "csv:maya", False),  # renamed: nothing to tell the channel by but the file
])
def test_the_channel_is_named_from_the_exporters_file_name(tmp_path, name, title, key, group):
    thread = next(iter(PARSER.parse(write(tmp_path, name, ""))))
    assert (thread.title, thread.key, thread.is_group) == (title, key, group)


def test_ingest_then_rerun_adds_nothing(corpus, ingest_twice, stored, dm):
    [report] = ingest_twice(dm).reports
    assert (report.format, report.messages_added) == ("discord-csv", 5)
    assert [m.text for m in stored()][:1] == ["climbing tomorrow?"]
    assert corpus.thread("1087654321098765432").platform == "discord"


@pytest.mark.parametrize(("rows", "location", "expected"), [
    # the bad row starts on line 3, after a row whose content takes two lines
    ('"1","maya_k","2024-05-12T19:03:11+02:00","two\nlines","",""\n"2","alex","yesterday","hi","",""\n',
     "line 4", "a Date like 2021-03-04T18:06:23.123+00:00 or 04-Mar-21 06:06 PM, found 'yesterday'"),
    ('"1","maya_k","2024-05-12T19:03:11+02:00"\n', "line 2", "6 fields (AuthorID, Author, Date, Content, Attachments, Reactions)"),
])
def test_a_bad_row_is_a_parse_error_naming_the_file_and_line(tmp_path, rows, location, expected):
    path = tmp_path / "Direct Messages - Maya [1087654321098765432].csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    with pytest.raises(ParseError) as err:
        list(PARSER.parse(path))
    assert str(err.value).startswith(f"{path}:{location}: expected {expected}")


def test_a_byte_that_is_not_utf8_is_a_parse_error_naming_its_line(tmp_path):
    path = tmp_path / "dm.csv"
    path.write_bytes(HEADER.encode() + b'"1","maya","2024-05-12T19:03:11+02:00","ok","",""\r\n"2","alex","2024-05-12T19:04'
                     b':11+02:00","caf\xe9","",""\r\n')
    with pytest.raises(ParseError) as err:
        list(PARSER.parse(path))
    assert str(err.value).startswith(f"{path}:line 3: expected UTF-8 text, as DiscordChatExporter writes, found")


def test_a_file_without_the_header_row_is_a_parse_error(tmp_path):
    path = write(tmp_path, "dm.csv", '"1","maya_k","2024-05-12T19:03:11+02:00","hi","",""\n', header="")
    with pytest.raises(ParseError, match=r"dm.csv:line 1: expected a DiscordChatExporter CSV header"):
        list(PARSER.parse(path))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_after_the_header_never_crash(parser_contract, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(HEADER.encode() + data)
        parser_contract(PARSER, path)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12) | st.sampled_from(["Deleted User", "2024-05-12T19:03:11+02:00"]),
                         max_size=7), max_size=4))
def test_any_fields_never_crash(parser_contract, rows):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["AuthorID", "Author", "Date", "Content", "Attachments", "Reactions"])
            writer.writerows(rows)
        parser_contract(PARSER, path)
