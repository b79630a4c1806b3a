"""The runner's errors say what happened and what to do, never a traceback, and never store half a file."""

from __future__ import annotations

import random
import sqlite3
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.corpus import Corpus
from assistant.ingest.runner import IngestFailure, ingest_paths, wide_encoding


def _chat(path: Path, messages: int, contact: str = "Maya Chen") -> Path:
    """An Android export between Alex and `contact`, one message a minute."""
    when = datetime(2023, 1, 1, 8, 0)
    lines = []
    for i in range(messages):
        when += timedelta(minutes=1)
        lines.append(f"{when.month}/{when.day}/{when:%y}, {when:%H:%M} - {'Alex Rivera' if i % 2 else contact}: message {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _nothing_stored(corpus: Corpus) -> bool:
    counts = [corpus.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("sources", "threads", "messages")]
    return counts == [0, 0, 0]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _corrupt(archive: Path, member: str, late: bool = False) -> None:
    """Flip bytes in one member's compressed data: near its start, or `late`, past what detection reads."""
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(member)
    data = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    start += info.compress_size - 40 if late else 10
    for at in range(start, start + 10):
        data[at] ^= 0xFF
    archive.write_bytes(bytes(data))


def test_a_truncated_zip_is_called_damaged_not_an_unknown_format(corpus, tmp_path):
    text = _chat(tmp_path / "chat.txt", 400).read_bytes()
    archive = _zip(tmp_path / "WhatsApp Chat - Maya Chen.zip", {"_chat.txt": text, "IMG-1.jpg": random.randbytes(20_000)})
    archive.write_bytes(archive.read_bytes()[:12_000])  # an interrupted download

    [failure] = ingest_paths(corpus, [archive], timezone="UTC").failures
    assert failure == IngestFailure(str(archive), "the zip is damaged: it stops at byte 12,000 without the table of "
                                                  "contents a zip ends with; download or export it again")
    assert _nothing_stored(corpus)


def test_a_corrupt_member_is_named_with_where_it_starts(corpus, tmp_path):
    archive = _zip(tmp_path / "backup.zip", {"notes.csv": b"a,b\n" * 10, "photos/IMG-2.jpg": b"\xff\xd8" + b"sunset " * 4000})
    _corrupt(archive, "photos/IMG-2.jpg")

    [failure] = ingest_paths(corpus, [archive], timezone="UTC").failures
    offset = zipfile.ZipFile(archive).getinfo("photos/IMG-2.jpg").header_offset
    assert failure.message.startswith(f"the zip is damaged: member 'photos/IMG-2.jpg', which starts at byte {offset}, "
                                      "does not unpack (Error -3 while decompressing data: ")
    assert "unknown format" not in failure.message


def test_a_corrupt_chat_in_a_zip_a_parser_reads_itself_is_called_damaged(corpus, tmp_path):
    archive = _zip(tmp_path / "WhatsApp Chat - Maya Chen.zip", {"_chat.txt": _chat(tmp_path / "c.txt", 3000).read_bytes()})
    _corrupt(archive, "_chat.txt", late=True)  # the WhatsApp parser claims the zip, then fails reading it

    [failure] = ingest_paths(corpus, [archive], timezone="UTC").failures
    assert failure.message.startswith("the zip is damaged: ") and failure.message.endswith("download or export it again")
    assert _nothing_stored(corpus)


def test_a_corpus_another_process_writes_says_so_and_stops_the_run(corpus, tmp_path):
    first, second = _chat(tmp_path / "WhatsApp Chat with Maya Chen.txt", 20), _chat(tmp_path / "WhatsApp Chat with Sam.txt", 20)
    other = sqlite3.connect(corpus.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock
    corpus.db.execute("PRAGMA busy_timeout = 50")

    result = ingest_paths(corpus, [first, second], timezone="UTC")
    assert result.failures == [IngestFailure(str(first), f"{corpus.path} is locked: another predraft process is "
                                             f"writing it; try again; nothing of {first} was stored")]
    assert result.reports == []  # the second file was not tried: it would only wait and fail the same way
    other.execute("ROLLBACK")
    assert _nothing_stored(corpus)
    assert ingest_paths(corpus, [first, second], timezone="UTC").ok  # once the other is done, a rerun works


def test_a_full_disk_says_so_and_stores_nothing_of_the_file(corpus, tmp_path):
    small, big = _chat(tmp_path / "WhatsApp Chat with Sam.txt", 10), _chat(tmp_path / "WhatsApp Chat with Maya Chen.txt", 5000)
    assert ingest_paths(corpus, [small], timezone="UTC").ok
    pages = corpus.db.execute("PRAGMA page_count").fetchone()[0]
    corpus.db.execute(f"PRAGMA max_page_count = {pages + 5}")  # room for a few pages more, not for 5,000 messages

    result = ingest_paths(corpus, [big], timezone="UTC")
    assert result.failures == [IngestFailure(str(big), f"the disk holding {corpus.path} is full: free some space, "
                                             f"then run the command again; nothing of {big} was stored")]
    assert [s for (s,) in corpus.db.execute("SELECT path FROM sources")] == [str(small)]
    assert corpus.db.execute("SELECT count(*) FROM messages").fetchone()[0] == 10


def test_a_chat_log_whose_lines_gave_one_message_warns(corpus, tmp_path):
    odd = tmp_path / "WhatsApp Chat with Maya Chen.txt"
    odd.write_text("1/5/23, 09:00 - Maya Chen: hi\n" + "".join(f"[{n}] 09:0{n % 10} Maya: more\n" for n in range(24)))

    [report] = ingest_paths(corpus, [odd], timezone="UTC").reports
    assert (report.messages_seen, report.lines) == (1, 25)
    assert "25 lines gave only 1 message(s)" in [w.message.split(":")[0] for w in report.warnings]


def test_a_zip_predraft_will_not_unpack_fails_alone_in_its_folder(corpus, tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    chats = [_chat(downloads / f"WhatsApp Chat with {name}.txt", 5, name) for name in ("Maya Chen", "Sam Okafor")]
    _zip(downloads / "escape.zip", {"../outside.txt": b"x"})
    locked = _zip(downloads / "locked.zip", {"notes.txt": b"secret " * 100})
    data = bytearray(locked.read_bytes())
    flags = data.rindex(b"PK\x01\x02") + 8  # the central directory's flags: mark the member as encrypted
    data[flags] |= 0x01
    locked.write_bytes(bytes(data))

    result = ingest_paths(corpus, [downloads], timezone="UTC")
    assert [r.path for r in result.reports] == [str(chat) for chat in chats]
    assert [(Path(f.path).name, f.message.split(",")[0]) for f in result.failures] == [
        ("escape.zip", "expected a zip whose entries stay inside it"),
        ("locked.zip", "member 'notes.txt': expected a zip without a password")]


def test_an_empty_folder_says_no_exports_were_found_and_what_is_looked_for(corpus, tmp_path):
    empty, photos = tmp_path / "empty", tmp_path / "photos"
    empty.mkdir()
    photos.mkdir()
    (photos / "IMG-1.jpg").write_bytes(b"\xff\xd8 sunset")
    (photos / ".hidden.txt").write_text("1/5/23, 09:00 - Maya Chen: hi\n")
    (photos / "notes.md").touch()  # empty: nothing to import, not an error of its own in a folder

    result = ingest_paths(corpus, [empty, photos], timezone="UTC")
    assert [f.path for f in result.failures] == [str(empty), str(photos)]
    assert all(f.message.startswith("no exports found in it: predraft looks for chat exports (discord, ")
               and "`predraft formats`" in f.message for f in result.failures)
    assert _nothing_stored(corpus)


def test_an_empty_file_is_refused_and_never_passes_another_for_imported(corpus, tmp_path):
    empty_note, empty_chat = tmp_path / "notes.txt", tmp_path / "WhatsApp Chat with Maya Chen.txt"
    empty_note.touch()
    empty_chat.touch()

    result = ingest_paths(corpus, [empty_note, empty_chat], timezone="UTC")
    assert result.failures == [IngestFailure(str(path), "the file is empty: nothing to import")
                               for path in (empty_note, empty_chat)]
    assert _nothing_stored(corpus)
    _chat(empty_chat, 3)
    [report] = ingest_paths(corpus, [empty_chat], timezone="UTC").reports
    assert (report.skipped, report.messages_added) == (False, 3)


@pytest.mark.parametrize(("encoding", "called"), [
    ("utf-16", "UTF-16"),  # with a byte-order mark, as Windows' Notepad saves "Unicode"
    ("utf-16-le", "UTF-16"),  # without one
    ("utf-16-be", "UTF-16"),
    ("utf-32", "UTF-32"),
])
def test_text_wider_than_utf8_is_named_for_what_it_is(corpus, tmp_path, encoding, called):
    chat = tmp_path / "WhatsApp Chat with Maya Chen.txt"
    chat.write_bytes(_chat(tmp_path / "chat.txt", 5).read_text(encoding="utf-8").encode(encoding))

    [failure] = ingest_paths(corpus, [chat], timezone="UTC").failures
    assert failure == IngestFailure(str(chat), f"the file is {called} text, which predraft does not read; "
                                               "export it again or convert it to UTF-8")
    assert _nothing_stored(corpus)


def test_binary_files_with_nuls_are_not_taken_for_utf16():
    assert wide_encoding(b"SQLite format 3\x00\x10\x00\x02\x02") is None
    assert wide_encoding(b"\x00" * 64) is None
    assert wide_encoding("8/21/21, 11:06 PM - Maya: hi".encode("utf-8")) is None
