import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus import ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.parsers.writings import OWNER, WritingsParser
from assistant.ingest.registry import detect

NOTES = Path(__file__).parents[2] / "fixtures" / "writings" / "notes"
PARSER = WritingsParser()
MTIME = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    """A copy of the notes whose undated files have a known modification time."""
    folder = shutil.copytree(NOTES, tmp_path / "notes")
    for file in folder.iterdir():
        os.utime(file, (MTIME.timestamp(), MTIME.timestamp()))
    return folder


def thread_messages(events: list, key: str) -> list[ParsedMessage]:
    return [e for e in events if isinstance(e, ParsedMessage) and e.thread_key == key]


def test_one_thread_per_file_with_its_paragraphs_as_messages(notes):
    events = list(PARSER.parse(notes))
    assert [(t.key, t.title) for t in events if isinstance(t, ParsedThread)] == [
        ("writings:2019-04-02-first-ascent.md", "First ascent"),  # from the front matter
        ("writings:2020-11-15-rainy-sunday.md", "Rainy Sunday"),  # from the first heading
        ("writings:bad-front-matter.md", "bad-front-matter"),  # from the file name
        ("writings:ideas.txt", "ideas"),
    ]
    ascent = thread_messages(events, "writings:2019-04-02-first-ascent.md")
    assert [m.text for m in ascent] == [
        "We left the car at six, headlamps on, and nobody said much until the first pitch.",
        "Maya led the crux. I swore twice, laughed once, and didn't look down — which, honestly, is the whole trick.",
        "## What I'd change",
        "Start earlier. Bring more water than seems reasonable.",
    ]
    assert {(m.sender, m.timestamp) for m in ascent} == {(OWNER, datetime(2019, 4, 3, 8, 15))}  # front matter beats the name
    rainy = thread_messages(events, "writings:2020-11-15-rainy-sunday.md")
    assert [m.text for m in rainy] == ["No climbing today, so I baked bread instead.\nIt collapsed. Still tasted great.",
                                       "Note to self: the oven runs hot."]
    assert rainy[0].timestamp == datetime(2020, 11, 15)  # from the file name
    assert [m.timestamp for m in thread_messages(events, "writings:ideas.txt")] == [MTIME, MTIME]
    assert [e for e in events if isinstance(e, ParseWarning)] == [
        ParseWarning("bad-front-matter.md", "front matter is not valid YAML (ParserError); ignored")
    ]
    assert [m.text for m in thread_messages(events, "writings:bad-front-matter.md")] == [
        "The front matter above is broken, but this paragraph still counts."
    ]


def test_the_runner_takes_the_folder_file_by_file_and_is_idempotent(notes, ingest_twice, corpus, stored):
    result = ingest_twice(notes)
    assert [(Path(r.path).name, r.format, r.messages_added) for r in result.reports] == [
        ("2019-04-02-first-ascent.md", "writings", 4), ("2020-11-15-rainy-sunday.md", "writings", 2),
        ("bad-front-matter.md", "writings", 1), ("ideas.txt", "writings", 2),
    ]
    assert len(stored()) == 9 and {m.sender for m in stored()} == {OWNER}
    assert corpus.messages(corpus.thread("First ascent").id)[0].timestamp == datetime(2019, 4, 3, 8, 15, tzinfo=UTC)


def test_an_edited_note_adds_only_its_new_paragraph_even_when_its_date_moves(notes, corpus):
    note = notes / "ideas.txt"  # dated by its modification time, which the edit changes
    corpus.import_events("v1", "sha-v1", "writings", PARSER.parse(note), UTC)
    note.write_text(note.read_text() + "\nbuy a new chalk bag before the trip!!\n\nask Maya about the tide app\n")
    report = corpus.import_events("v2", "sha-v2", "writings", PARSER.parse(note), UTC)
    assert (report.messages_seen, report.messages_added) == (4, 2)  # a repeated paragraph counts as a new one
    texts = [m.text for m in corpus.messages(corpus.thread("ideas").id)]
    assert texts[-1] == "ask Maya about the tide app" and len(texts) == 4


def test_non_utf8_files_are_read_as_windows_1252_with_a_warning(tmp_path):
    letter = tmp_path / "brief-an-oma.txt"
    letter.write_bytes("Liebe Oma,\n\nviele Grüße aus Köln – bis Sonntag!\n".encode("cp1252"))
    events = list(PARSER.parse(letter))
    assert events[0] == ParseWarning("brief-an-oma.txt", "byte 20 is not UTF-8; read the file as Windows-1252")
    texts = [m.text for m in events if isinstance(m, ParsedMessage)]
    assert texts == ["Liebe Oma,", "viele Grüße aus Köln – bis Sonntag!"]
    bom = tmp_path / "bom.md"
    bom.write_bytes(b"\xef\xbb\xbf# Title\r\n\r\nBody text\r\n")
    assert [(type(e).__name__, getattr(e, "title", getattr(e, "text", None))) for e in PARSER.parse(bom)] == [
        ("ParsedThread", "Title"), ("ParsedMessage", "Body text")
    ]


def test_empty_files_and_calendar_impossible_dates(tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("# Only a title\n")
    assert list(PARSER.parse(empty)) == [ParseWarning("empty.md", "skipped: the file has no text")]
    odd = tmp_path / "2021-02-30-odd.md"
    odd.write_text("---\ndate: 2021-02-30\n---\nStill here.\n")
    [warning, thread, message] = PARSER.parse(odd)
    assert warning.message == "front matter is not valid YAML (ValueError); ignored"
    assert (thread.title, message.text) == ("2021-02-30-odd", "Still here.")


def test_detection_stays_below_chat_parsers_and_the_folder_threshold(notes, tmp_path):
    assert PARSER.detect(notes) == 0.3  # below 0.5 on purpose: the runner then looks at each file
    assert PARSER.detect(notes / "ideas.txt") == 0.25
    assert PARSER.detect(notes / "2020-11-15-rainy-sunday.md") == 0.3
    chat = tmp_path / "chat.txt"
    chat.write_text("12/03/2021, 10:00 - Maya: hi\n12/03/2021, 10:01 - Alex: hey\n[12.03.21, 10:02:00] Maya: ok\n")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    assert (PARSER.detect(chat), PARSER.detect(binary), PARSER.detect(pdf), PARSER.detect(tmp_path)) == (0.05, 0, 0, 0)
    (notes / "drafts").mkdir()
    assert PARSER.detect(notes) == 0.0  # a folder with subfolders is not a plain notes folder
    assert detect(notes / "ideas.txt").name == "writings"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from([".txt", ".md"]))
def test_arbitrary_bytes_yield_events_or_a_parse_error(parser_contract, data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"note{suffix}"
        path.write_bytes(data)
        parser_contract(PARSER, path)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_front_matter_of_any_shape_never_breaks_parsing(parser_contract, front_matter):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "note.md"
        path.write_text(f"---\n{front_matter}\n---\nBody.\n", encoding="utf-8", errors="surrogatepass")
        parser_contract(PARSER, path)
