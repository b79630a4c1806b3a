"""macOS Messages database (`~/Library/Messages/chat.db`), read straight from SQLite.

The device owner's messages carry `is_from_me` and no handle; they are all attributed to
OWNER ("Me (iMessage)") rather than to an account login, because one Mac mixes several
logins (phone number, Apple ID emails, SMS relay) and each would become a separate person.
Link the name to yourself with `predraft me set NAME --alias "Me (iMessage)"`.

Give it chat.db or the folder that holds it (~/Library/Messages, which needs Full Disk Access for the
terminal). The newest messages sit in chat.db-wal until SQLite checkpoints them: read in place, or copy
chat.db together with its -wal and -shm files. Attachments/ and the caches beside chat.db are not read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.media import media_from_mime
from assistant.ingest.registry import register

OWNER = "Me (iMessage)"
DATABASE = "chat.db"
SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_SUFFIX = "-wal"  # SQLite's write-ahead log: committed messages not yet copied into chat.db
REQUIRED_TABLES = {"message", "handle", "chat", "chat_message_join"}
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
NANOSECOND_DATES = 10**11  # macOS 10.13+ stores nanoseconds; older databases stored seconds
GROUP_STYLE = 43  # chat.style: 43 = group chat, 45 = one-to-one
OBJECT_REPLACEMENT = "\ufffc"  # stands in the text where an attachment sits

# associated_message_type: 2000-2006 add a tapback, 3000-3006 remove it (2006: any emoji, iOS 17).
TAPBACKS = {0: "❤️", 1: "👍", 2: "👎", 3: "😂", 4: "‼️", 5: "❓"}
ADD_TAPBACK, REMOVE_TAPBACK = range(2000, 2007), range(3000, 3007)

SYSTEM_ITEMS = {1: "changed the group members", 2: "renamed the group", 3: "changed the group photo or left"}

# Columns newer macOS versions added; a missing one reads as NULL so old databases still parse.
OPTIONAL_COLUMNS = (
    "attributedBody", "associated_message_type", "associated_message_guid", "associated_message_emoji",
    "cache_has_attachments", "thread_originator_guid", "date_edited", "date_retracted", "item_type", "group_title",
)


def text_from_attributed_body(blob: bytes | None) -> str | None:
    """The plain string inside an NSArchiver 'typedstream' NSAttributedString, or None.

    Layout after the class name: `NSString` <version> ... 0x84 0x01 '+' <length> <UTF-8 bytes>, where the
    length is one byte below 0x80, or 0x81 + 2 bytes / 0x82 + 4 bytes little-endian.
    """
    if not blob:
        return None
    marker = blob.find(b"NSString")
    if marker < 0:
        return None
    type_code = blob.find(b"+", marker + len(b"NSString"))
    if type_code < 0 or type_code - marker > 32:
        return None
    pos = type_code + 1
    if pos >= len(blob):
        return None
    prefix = blob[pos]
    if prefix < 0x80:
        length, pos = prefix, pos + 1
    elif prefix in (0x81, 0x82):
        width = 2 if prefix == 0x81 else 4
        length = int.from_bytes(blob[pos + 1 : pos + 1 + width], "little")
        pos += 1 + width
    else:
        return None
    payload = blob[pos : pos + length]
    if len(payload) != length:
        return None
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def apple_time(value: int) -> datetime:
    """Seconds (old databases) or nanoseconds (new) since 2001-01-01 UTC -> aware UTC datetime."""
    if abs(value) > NANOSECOND_DATES:
        return APPLE_EPOCH + timedelta(microseconds=value // 1000)
    return APPLE_EPOCH + timedelta(seconds=value)


def strip_target_prefix(guid: str | None) -> str | None:
    """'p:0/GUID' (part 0 of a message) or 'bp:GUID' -> 'GUID', the target's own guid."""
    if not guid:
        return None
    return guid.split("/", 1)[1] if "/" in guid else guid.removeprefix("bp:")


def database_in(path: Path) -> Path:
    """chat.db itself, or the chat.db inside the Messages folder given."""
    return path / DATABASE if path.is_dir() else path


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


def _tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@register
class IMessageParser(Parser):
    name = "imessage"
    platform = "imessage"
    description = "macOS Messages chat.db, or ~/Library/Messages holding it (iMessage and SMS relayed via a Mac)"

    def detect(self, path: Path) -> float:
        database = database_in(path)
        if not read_head(database, 16).startswith(SQLITE_MAGIC):
            return 0.0
        try:
            with closing(_connect(database)) as db:
                return 0.95 if REQUIRED_TABLES <= _tables(db) else 0.0
        except sqlite3.Error:
            return 0.0

    def content_files(self, path: Path) -> list[Path]:
        """What the runner hashes to tell a re-import: chat.db and its log of recent messages, not the
        gigabytes of Attachments/ beside them. The -shm file is left out: readers rewrite it."""
        database = database_in(path)
        wal = database.with_name(database.name + WAL_SUFFIX)
        return [database, wal] if wal.is_file() else [database]

    def parse(self, path: Path) -> Iterator[Event]:
        database = database_in(path)
        try:
            with closing(_connect(database)) as db:
                yield from self._events(database, db)
        except sqlite3.Error as exc:
            raise ParseError(database, "a readable macOS Messages chat.db (SQLite)", found=str(exc)) from exc

    def _events(self, path: Path, db: sqlite3.Connection) -> Iterator[Event]:
        tables = _tables(db)
        if not REQUIRED_TABLES <= tables:
            missing = ", ".join(sorted(REQUIRED_TABLES - tables))
            raise ParseError(path, "an iMessage chat.db with tables message, handle, chat, chat_message_join",
                             found=f"missing {missing}")
        chat_rows = db.execute("SELECT ROWID, guid, chat_identifier, display_name, style FROM chat")
        chats = {r["ROWID"]: r for r in chat_rows}
        members = self._members(db, tables)
        media = self._attachment_mimes(db, tables)
        declared: set[int] = set()
        for row in db.execute(self._message_sql(db)):
            chat = chats.get(row["chat_id"])
            if chat is None:
                continue
            if chat["ROWID"] not in declared:
                declared.add(chat["ROWID"])
                yield self._thread(chat, members.get(chat["ROWID"], []))
            try:
                yield self._message(row, chat, media)
            except (TypeError, ValueError, AttributeError, OverflowError) as exc:  # a damaged row, not a damaged file
                yield ParseWarning(f"message {row['guid']}", f"skipped: unexpected column values ({exc})")

    @staticmethod
    def _message_sql(db: sqlite3.Connection) -> str:
        present = {r[1] for r in db.execute("PRAGMA table_info(message)")}
        optional = ", ".join(f"m.{c}" if c in present else f"NULL AS {c}" for c in OPTIONAL_COLUMNS)
        return f"""SELECT m.ROWID, m.guid, m.text, m.date, m.is_from_me, h.id AS handle, cmj.chat_id, {optional}
                   FROM message m JOIN chat_message_join cmj ON cmj.message_id = m.ROWID
                   LEFT JOIN handle h ON h.ROWID = m.handle_id
                   ORDER BY cmj.chat_id, m.date, m.ROWID"""

    @staticmethod
    def _members(db: sqlite3.Connection, tables: set[str]) -> dict[int, list[str]]:
        members: dict[int, list[str]] = {}
        if "chat_handle_join" in tables:
            rows = db.execute("""SELECT chj.chat_id, h.id FROM chat_handle_join chj
                                 JOIN handle h ON h.ROWID = chj.handle_id ORDER BY chj.chat_id, h.ROWID""")
            for chat_id, handle in rows:
                members.setdefault(chat_id, []).append(handle)
        return members

    @staticmethod
    def _attachment_mimes(db: sqlite3.Connection, tables: set[str]) -> dict[int, str]:
        if not {"attachment", "message_attachment_join"} <= tables:
            return {}
        rows = db.execute("""SELECT maj.message_id, a.mime_type FROM message_attachment_join maj
                             JOIN attachment a ON a.ROWID = maj.attachment_id ORDER BY a.ROWID""")
        mimes: dict[int, str] = {}
        for message_id, mime in rows:
            mimes.setdefault(message_id, media_from_mime(mime))
        return mimes

    @staticmethod
    def _thread(chat: sqlite3.Row, handles: list[str]) -> ParsedThread:
        is_group = chat["style"] == GROUP_STYLE
        title = chat["display_name"] or (", ".join(handles) if is_group and handles else chat["chat_identifier"])
        return ParsedThread(key=chat["guid"], platform="imessage", title=title or chat["guid"],
                            participants=(OWNER, *handles), is_group=is_group)

    @staticmethod
    def _message(row: sqlite3.Row, chat: sqlite3.Row, media: dict[int, str]) -> Event:
        where = f"message {row['guid']}"
        if not isinstance(row["date"], int):
            return ParseWarning(where, f"skipped: its date {row['date']!r} is not a time")
        timestamp = apple_time(row["date"])
        sender = OWNER if row["is_from_me"] else (row["handle"] or chat["chat_identifier"])
        common = dict(thread_key=chat["guid"], timestamp=timestamp, message_id=row["guid"])
        tapback = row["associated_message_type"] or 0
        if tapback in ADD_TAPBACK or tapback in REMOVE_TAPBACK:
            emoji = row["associated_message_emoji"] or TAPBACKS.get(tapback % 1000, "")
            # A removed tapback stays in the database as its own row: it is kept, marked unsent.
            return ParsedMessage(sender=sender, text=emoji, kind=Kind.REACTION, unsent=tapback in REMOVE_TAPBACK,
                                 reply_to=strip_target_prefix(row["associated_message_guid"]), **common)
        if row["item_type"] in SYSTEM_ITEMS:
            action = SYSTEM_ITEMS[row["item_type"]]
            suffix = f" to {row['group_title']!r}" if row["item_type"] == 2 and row["group_title"] else ""
            return ParsedMessage(sender=None, text=f"{sender} {action}{suffix}", kind=Kind.SYSTEM, **common)
        text = row["text"] or text_from_attributed_body(row["attributedBody"])
        if row["attributedBody"] and not row["text"] and text is None:
            return ParseWarning(where, "skipped: its attributedBody holds no readable NSString")
        text = text or ""
        retracted = bool(row["date_retracted"])
        has_media = bool(row["cache_has_attachments"]) or OBJECT_REPLACEMENT in text
        if not text and not has_media and not retracted:
            return ParseWarning(where, "skipped: it has neither text nor an attachment")
        return ParsedMessage(
            sender=sender,
            text=text.replace(OBJECT_REPLACEMENT, "").strip(),
            kind=Kind.MEDIA if has_media else Kind.TEXT,
            media=media.get(row["ROWID"], "file") if has_media else None,
            reply_to=row["thread_originator_guid"],
            edited=bool(row["date_edited"]),
            unsent=retracted,
            **common,
        )
