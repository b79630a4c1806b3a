import errno
import shutil
import sqlite3
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError
from assistant.ingest.parsers.imessage import OWNER, IMessageParser, apple_time, text_from_attributed_body
from assistant.ingest.registry import detect
from assistant.ingest.runner import ingest_paths

FIXTURE_SQL = Path(__file__).parents[2] / "fixtures" / "imessage" / "chat_db.sql"
PARSER = IMessageParser()
MAYA, GROUP, SMS = "iMessage;-;+15550102233", "iMessage;+;chat684219730512", "SMS;-;+15550107788"
GUID = "5B1A0C2E-1D3F-4A6B-8C9D-0E1F2A3B4C0{}".format


def build_db(path: Path, sql: str) -> Path:
    db = sqlite3.connect(path)
    db.executescript(sql)
    db.commit()
    db.close()
    return path


def typedstream(text: str, length_prefix: bytes | None = None) -> bytes:
    """An attributedBody blob laid out as NSArchiver writes it (header, class chain, NSString, attributes)."""
    raw = text.encode()
    n = len(raw)
    prefix = length_prefix or (bytes([n]) if n < 0x80 else b"\x81" + n.to_bytes(2, "little") if n < 0x8000
                               else b"\x82" + n.to_bytes(4, "little"))
    return (b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject"
            b"\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+" + prefix + raw + b"\x86\x84\x02iI\x01\x01\x92\x86")


@pytest.fixture(scope="module")
def chat_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_db(tmp_path_factory.mktemp("imessage") / "chat.db", FIXTURE_SQL.read_text())


@pytest.fixture(scope="module")
def events(chat_db: Path) -> list:
    return list(PARSER.parse(chat_db))


def by_id(events: list) -> dict[str, ParsedMessage]:
    return {e.message_id: e for e in events if isinstance(e, ParsedMessage)}


def test_every_message_kind_is_counted_exactly(events):
    messages = [e for e in events if isinstance(e, ParsedMessage)]
    assert Counter(str(m.kind) for m in messages) == {"text": 9, "media": 2, "reaction": 4, "system": 1}
    assert [e for e in events if isinstance(e, ParseWarning)] == [
        ParseWarning(f"message {GUID(9)}", "skipped: its attributedBody holds no readable NSString")
    ]
    # the empty chat with lena@ and the message joined to no chat leave no trace
    assert [e.key for e in events if isinstance(e, ParsedThread)] == [MAYA, GROUP, SMS]
    assert "orphan" not in {m.text for m in messages}


def test_each_thread_is_declared_before_its_messages(events):
    declared: set[str] = set()
    for e in events:
        if isinstance(e, ParsedThread):
            declared.add(e.key)
        elif isinstance(e, ParsedMessage):
            assert e.thread_key in declared


def test_text_comes_from_the_attributed_body_blob_when_the_text_column_is_empty(events):
    m = by_id(events)
    assert m[GUID(2)].text == "Yes! 10am at the gym 🧗"
    assert m[GUID(2)].sender == OWNER
    # 181 bytes of UTF-8: the length prefix is 0x81 + two bytes
    assert m[GUID(6)].text.startswith("Okay so the plan: we meet at the north entrance at 10")
    assert m[GUID(6)].text.endswith("I forgot mine last time 😅")


def test_apple_dates_in_nanoseconds_and_in_seconds_become_aware_utc(events):
    m = by_id(events)
    assert m[GUID(1)].timestamp == datetime(2023, 6, 10, 9, 0, tzinfo=UTC)
    assert m["C0FFEE00-1234-4321-ABCD-000000000016"].timestamp == datetime(2012, 3, 14, 18, 30, tzinfo=UTC)
    assert apple_time(0) == datetime(2001, 1, 1, tzinfo=UTC)


def test_tapbacks_are_reactions_pointing_at_their_target(events):
    m = by_id(events)
    love, like, unlike = m[GUID(3)], m[GUID(7)], m[GUID(8)]
    assert (love.kind, love.text, love.reply_to, love.sender) == (Kind.REACTION, "❤️", GUID(2), "+15550102233")
    assert (like.text, like.reply_to, like.unsent) == ("👍", GUID(6), False)
    assert (unlike.text, unlike.reply_to, unlike.unsent) == ("👍", GUID(6), True)
    laugh = m["9E8D7C6B-5A49-4382-A1B0-C9D8E7F60014"]
    assert (laugh.kind, laugh.text, laugh.reply_to) == (Kind.REACTION, "😂", "9E8D7C6B-5A49-4382-A1B0-C9D8E7F60012")


def test_attachments_inline_replies_edits_and_group_events(events):
    m = by_id(events)
    photo = m[GUID(4)]
    assert (photo.kind, photo.media, photo.text, photo.sender) == (Kind.MEDIA, "image", "Look at this route", OWNER)
    reply = m[GUID(5)]
    assert (reply.text, reply.reply_to, reply.edited) == ("Looks brutal 😅", GUID(4), True)
    voice = m["9E8D7C6B-5A49-4382-A1B0-C9D8E7F60015"]
    assert (voice.kind, voice.media, voice.text) == (Kind.MEDIA, "audio", "")
    rename = m["9E8D7C6B-5A49-4382-A1B0-C9D8E7F60013"]
    assert (rename.kind, rename.sender) == (Kind.SYSTEM, None)
    assert rename.text == "Me (iMessage) renamed the group to 'Climbing crew'"


def test_group_and_one_to_one_threads(events):
    threads = {e.key: e for e in events if isinstance(e, ParsedThread)}
    assert threads[GROUP] == ParsedThread(
        key=GROUP, platform="imessage", title="Climbing crew", is_group=True,
        participants=(OWNER, "+15550102233", "jonas.weber@example.com", "+15550107788"),
    )
    assert (threads[MAYA].title, threads[MAYA].is_group) == ("+15550102233", False)
    senders = Counter(e.sender for e in events if isinstance(e, ParsedMessage) and e.thread_key == GROUP)
    assert senders == {"jonas.weber@example.com": 2, "+15550107788": 1, OWNER: 1, "+15550102233": 1, None: 1}


def test_ingest_into_the_corpus_is_idempotent(chat_db, ingest_twice, corpus, stored, reimport_adds_nothing):
    [report] = ingest_twice(chat_db).reports
    assert (report.format, report.threads, report.messages_added, len(report.warnings)) == ("imessage", 3, 16, 1)
    messages = stored()
    assert len(messages) == 16
    assert [m.text for m in corpus.messages(corpus.thread(SMS).id)] == ["Happy birthday!!", "Thanks Priya :)"]
    reimport_adds_nothing(PARSER, chat_db)


def test_detect_claims_chat_db_only(chat_db, tmp_path):
    other = build_db(tmp_path / "other.sqlite", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")
    text = tmp_path / "notes.txt"
    text.write_text("SQLite format 3 is a file format")
    assert PARSER.detect(chat_db) == 0.95
    assert detect(chat_db) is not None and detect(chat_db).name == "imessage"
    assert [PARSER.detect(p) for p in (other, text, tmp_path, tmp_path / "gone")] == [0, 0, 0, 0]


@pytest.fixture
def messages_folder(tmp_path: Path):
    """~/Library/Messages as a running Mac leaves it: chat.db in WAL mode with its -wal and -shm, attachments
    and caches. Yields the folder and the open connection Messages.app holds (closing it would fold the
    write-ahead log into chat.db)."""
    folder = tmp_path / "Messages"
    folder.mkdir()
    app = sqlite3.connect(folder / "chat.db")
    app.execute("PRAGMA journal_mode = WAL")
    app.execute("PRAGMA wal_autocheckpoint = 0")  # new messages stay in chat.db-wal, as they do between checkpoints
    app.executescript(FIXTURE_SQL.read_text())
    app.commit()
    attachments = folder / "Attachments" / "a1" / "01" / "at_0_5B1A0C2E"
    attachments.mkdir(parents=True)
    (attachments / "IMG_4821.heic").write_bytes(b"\x00\x00\x00\x18ftypheic")
    (attachments / "Crag topo.pdf").write_bytes(b"%PDF-1.4")
    (attachments / "Link.pluginPayloadAttachment").write_bytes(b"bplist00")
    (folder / "NickNameCache").mkdir()
    build_db(folder / "NickNameCache" / "nicknameRecordsStore.db", "CREATE TABLE records (key TEXT, value BLOB);")
    yield folder, app
    app.close()


def test_the_messages_folder_is_one_source_its_sidecars_and_attachments_are_not_read(messages_folder, ingest_twice):
    folder, _ = messages_folder
    assert (folder / "chat.db-wal").stat().st_size > 0 and (folder / "chat.db-shm").is_file()
    assert PARSER.detect(folder) == 0.95 and PARSER.detect(folder / "Attachments") == 0.0

    [report] = ingest_twice(folder).reports  # no "unknown format" for chat.db-wal, -shm or the attachments
    assert (report.path, report.format, report.threads, report.messages_added) == (str(folder), "imessage", 3, 16)


@pytest.mark.parametrize("given", [".", "chat.db"])
def test_messages_still_in_the_write_ahead_log_are_read_and_make_the_source_new(messages_folder, corpus, given):
    folder, app = messages_folder
    source = folder / given
    assert ingest_paths(corpus, [source], timezone="UTC").reports[0].messages_added == 16
    chat_db = (folder / "chat.db").read_bytes()
    app.execute("INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me) "
                "VALUES (19, 'NEW-19', 'On my way', 1, 'iMessage', 708090000000000000, 0)")
    app.execute("INSERT INTO chat_message_join (chat_id, message_id) VALUES (1, 19)")
    app.commit()
    assert (folder / "chat.db").read_bytes() == chat_db  # the new message is only in chat.db-wal

    [again] = ingest_paths(corpus, [source], timezone="UTC").reports
    assert (again.skipped, again.messages_added) == (False, 1)
    assert ingest_paths(corpus, [source], timezone="UTC").reports[0].skipped


def test_beside_other_exports_chat_db_is_read_without_its_sidecars_and_unknown_files_still_fail(
    messages_folder, corpus, tmp_path
):
    folder, _ = messages_folder
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    for name in ("chat.db", "chat.db-wal", "chat.db-shm"):  # a copy made as the module docstring says
        shutil.copy(folder / name, downloads / name)
    (downloads / "WhatsApp Chat with Maya.txt").write_text("12/06/2023, 09:14 - Maya: Morning!\n", encoding="utf-8")
    (downloads / "notes.csv").write_text("name,amount\nclimbing shoes,120\n", encoding="utf-8")

    result = ingest_paths(corpus, [downloads], timezone="UTC")
    assert [(Path(r.path).name, r.format, r.messages_added) for r in result.reports] == [
        ("WhatsApp Chat with Maya.txt", "whatsapp", 1), ("chat.db", "imessage", 16)]
    [failure] = result.failures
    assert failure.path == f"{downloads}/notes.csv"
    assert failure.message.startswith("unknown format: expected a chat export")


def test_a_folder_it_may_not_list_is_a_failure_not_a_traceback(tmp_path, corpus, monkeypatch):
    def denied(folder: Path):  # what macOS answers for ~/Library/Messages without Full Disk Access
        raise PermissionError(errno.EPERM, "Operation not permitted", str(folder))

    monkeypatch.setattr(Path, "iterdir", denied)
    [failure] = ingest_paths(corpus, [tmp_path], timezone="UTC").failures
    assert (failure.path, failure.message) == (str(tmp_path), f"cannot read {tmp_path}: Operation not permitted")


def test_a_folder_without_chat_db_is_named_in_the_error(tmp_path):
    with pytest.raises(ParseError, match=r"chat\.db: expected a readable macOS Messages chat\.db"):
        list(PARSER.parse(tmp_path))


def test_databases_from_older_macos_without_newer_columns_still_parse(tmp_path):
    db = build_db(tmp_path / "chat.db", """
        CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT);
        CREATE TABLE chat (ROWID INTEGER PRIMARY KEY, guid TEXT, style INTEGER, chat_identifier TEXT, display_name TEXT);
        CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, handle_id INTEGER, date INTEGER,
                              is_from_me INTEGER);
        CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER);
        INSERT INTO handle VALUES (1, 'sam@example.com');
        INSERT INTO chat VALUES (1, 'iMessage;-;sam@example.com', 45, 'sam@example.com', NULL);
        INSERT INTO message VALUES (1, 'G1', 'hello from 2011', 1, 325000000, 0);
        INSERT INTO chat_message_join VALUES (1, 1);""")
    [thread, message] = PARSER.parse(db)
    assert thread.title == "sam@example.com"
    assert (message.sender, message.text, message.timestamp.year) == ("sam@example.com", "hello from 2011", 2011)


def test_corrupt_or_foreign_databases_raise_a_parse_error_naming_the_file(tmp_path, corpus):
    corrupt = tmp_path / "chat.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + b"\xde\xad\xbe\xef" * 300)
    with pytest.raises(ParseError, match=r"chat\.db: expected a readable macOS Messages chat\.db"):
        list(PARSER.parse(corrupt))
    foreign = build_db(tmp_path / "notes.db", "CREATE TABLE message (id INTEGER);")
    with pytest.raises(ParseError, match=r"notes\.db: expected an iMessage chat\.db with tables .*missing chat, "
                                         r"chat_message_join, handle"):
        list(PARSER.parse(foreign))


def test_blob_decoder_reads_every_length_prefix_and_rejects_damage():
    assert text_from_attributed_body(typedstream("short")) == "short"
    assert text_from_attributed_body(typedstream("x" * 300)) == "x" * 300  # 0x81 + 2 bytes
    assert text_from_attributed_body(typedstream("y" * 40_000)) == "y" * 40_000  # 0x82 + 4 bytes
    assert text_from_attributed_body(typedstream("cut", length_prefix=b"\x7f")) is None  # longer than the blob
    assert text_from_attributed_body(typedstream("ok")[:-9] + b"\xff") == "ok"  # damage after the string is harmless
    assert text_from_attributed_body(b"no class marker at all") is None
    assert text_from_attributed_body(None) is None


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_any_text_survives_the_typedstream_layout(text):
    assert text_from_attributed_body(typedstream(text)) == text


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_the_blob_decoder_never_raises(blob):
    result = text_from_attributed_body(b"NSString\x01\x94\x84\x01+" + blob)
    assert result is None or isinstance(result, str)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4096), st.booleans())
def test_arbitrary_bytes_yield_events_or_a_parse_error(parser_contract, data, sqlite_header):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.db"
        path.write_bytes((b"SQLite format 3\x00" if sqlite_header else b"") + data)
        parser_contract(PARSER, path)
