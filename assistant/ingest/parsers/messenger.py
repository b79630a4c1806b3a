"""Facebook Messenger and Instagram direct messages, from Meta's "Download your information" JSON.

Both exports share one layout: a thread is a folder (messages/inbox/<name>_<id>/) holding message_1.json,
message_2.json...; message_1 holds the newest messages and every file lists newest first. The folder is
claimed whole, so an inbox, or a whole unpacked export, goes through the runner's folder recursion.
Which of the two apps wrote it is read from the folders around it (`platform_of`).

Meta writes each non-ASCII character as its UTF-8 bytes shown as latin-1 characters ("Ã©" for "é").
A file is repaired only when it looks like that as a whole (`is_meta_mojibake`), so a correctly encoded
file (one a repair tool re-saved, say) keeps a deliberate "Ã©".

A file may lack "participants" and "title" (trimmed by hand or by another tool): the participants are
then who wrote, and the title is read from the folder's name (`folder_title`).

Reactions are lists on a message, and Meta gives messages no ids to point a reaction at, so they are
left out. Instagram's "Reacted 😂 to your message" and "Liked a message" notices are messages in the
export; they become Kind.REACTION.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import ftfy

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.jsonstream import BOM, Record, json_items
from assistant.ingest.registry import register

THREAD_FILE = re.compile(r"message_(\d+)\.json")
THREAD_FOLDER = re.compile(r"(.+)_\d+")  # <title folded to letters and digits>_<thread id>
HEADER_ITEMS = frozenset({"participants", "title", "thread_path", "thread_type"})
MESSAGE_ITEM = "messages.item"
MEDIA_FIELDS = (("photos", "image"), ("videos", "video"), ("audio_files", "audio"), ("gifs", "gif"),
                ("files", "file"), ("sticker", "sticker"))
EARLIEST = datetime(2004, 1, 1, tzinfo=UTC)  # Facebook's launch: nothing real is older
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MOJIBAKE_SAMPLE = 500  # non-ASCII strings looked at per file to decide whether it needs repair
REACTION_NOTICE = re.compile(r"(?:.+ )?(?:[Rr]eacted .{1,20} to (?:your|a) message|[Ll]iked a message)\s*")
# Group events are ordinary messages in newer exports (older ones typed them Subscribe/Unsubscribe).
GROUP_NOTICE = re.compile(
    r"(?:left the group|named the group .+|changed the group photo|added .+ to the group|removed .+ from the group"
    r"|set the nickname for .+|set (?:his|her|their|your) own nickname to .+|changed the (?:chat )?theme to .+"
    r"|set the emoji to .+|created the group.*)\.?"
)
SYSTEM_TYPES = {"Subscribe", "Unsubscribe", "Call"}
# Top folders of each export; media paths inside the JSON start with them too.
EXPORT_ROOTS = {
    "your_instagram_activity": "instagram",
    "your_activity_across_facebook": "messenger",
    "your_facebook_activity": "messenger",
}
OLD_INSTAGRAM_MARKER = "followers_and_following"  # beside messages/ in Instagram exports before 2023


def thread_files(folder: Path) -> list[Path]:
    """message_N.json files of a thread folder, oldest (highest N) first."""
    try:
        numbered = [(int(m[1]), p) for p in folder.iterdir() if (m := THREAD_FILE.fullmatch(p.name))]
    except OSError:
        return []
    return [p for _, p in sorted(numbered, reverse=True)]


def platform_of(path: Path, head: bytes) -> str:
    """'instagram' or 'messenger': the JSON is the same, the export's folders and media paths differ."""
    for root, platform in EXPORT_ROOTS.items():
        if f'"{root}/'.encode() in head:
            return platform
    for folder in list(path.absolute().parents)[:6]:
        name = folder.name.lower()
        if name in EXPORT_ROOTS:
            return EXPORT_ROOTS[name]
        if name.startswith(("instagram-", "instagram_")) or (folder / OLD_INSTAGRAM_MARKER).is_dir():
            return "instagram"
        if name.startswith(("facebook-", "facebook_")):
            return "messenger"
    return "messenger"


def folded(name: str) -> str:
    """A name the way Meta folds it into a thread folder's: lowercase letters and digits, no accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if c.isascii() and c.isalnum()).lower()


def folder_title(folder: Path, names: Iterable[str]) -> str | None:
    """The title of a thread folder ("mayakovac_10158234567890123"): the participant it is named after,
    else the name without its id; None for a folder Meta did not name."""
    match = THREAD_FOLDER.fullmatch(folder.name)
    if match is None:
        return None
    return next((name for name in names if folded(name) == folded(match[1])), match[1])


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value; a loop, not recursion, as a hostile file can nest very deep."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(reversed(item.values()))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def undo_latin1(text: str) -> str | None:
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None


def is_meta_mojibake(strings: Iterator[str]) -> bool:
    """True when the file's non-ASCII text reads as UTF-8 bytes shown as latin-1.

    A character beyond U+00FF settles it: Meta's writer never emits one, so the file was encoded
    correctly. Otherwise each sampled string votes: for repair when its bytes decode as UTF-8 and ftfy
    reads it as the same mojibake, against when not (a real "café" fails the first test).
    """
    votes_for = votes_against = 0
    for text in islice((s for s in strings if not s.isascii()), MOJIBAKE_SAMPLE):
        if max(text) > "\xff":
            return False
        repaired = undo_latin1(text)
        if repaired is not None and ftfy.fix_encoding(text) == repaired:
            votes_for += 1
        else:
            votes_against += 1
    return votes_for > votes_against


def repair(text: str) -> str:
    """One string of a mojibake file; ftfy takes the odd one whose bytes were cut mid-character."""
    return text if text.isascii() else undo_latin1(text) or ftfy.fix_encoding(text)


def instant(stamp: float) -> datetime | None:
    """`timestamp_ms` as a UTC time; seconds and microseconds are recognised by size. None if absurd."""
    if stamp < 1e11:  # below 1e11 ms is 1973: the value is in seconds
        stamp *= 1000
    elif stamp >= 1e14:  # above 1e14 ms is year 5138: the value is in microseconds
        stamp /= 1000
    if not EARLIEST.timestamp() * 1000 <= stamp < LATEST.timestamp() * 1000:  # NaN fails too
        return None
    return datetime.fromtimestamp(stamp / 1000, UTC)


def read_thread_file(file: Path) -> tuple[Record, list[Any]]:
    """The header fields and the raw messages (newest first) of one file; a file holds at most
    10,000 messages, so they fit in memory and can be reversed into time order."""
    header: dict[str, Any] = {}
    messages: list[Any] = []
    found = False
    events = json_items(file, HEADER_ITEMS | {MESSAGE_ITEM}, where=lambda: f"after message #{len(messages)}")
    for prefix, event, value in events:
        if event == "item" and prefix == MESSAGE_ITEM:
            messages.append(value)
        elif event == "item":
            header[prefix] = value
        elif event == "start_array" and prefix == "messages":
            found = True
    if not found:
        raise ParseError(file, 'a Messenger or Instagram thread file with "messages"')
    return Record(header, file, "thread header"), messages


def media_of(rec: Record) -> str | None:
    for key, label in MEDIA_FIELDS:
        if rec.record(key) if key == "sticker" else rec.values(key):
            return label
    return None


class _MetaThreads(Parser):
    """Shared by both apps; each registered subclass claims the threads its own export holds."""

    def detect(self, path: Path) -> float:
        files = thread_files(path) if path.is_dir() else [path]
        if not files:
            return 0.0
        head = read_head(files[-1], 16384).removeprefix(BOM).lstrip()
        looks_meta = head.startswith(b"{") and (b'"participants"' in head or b'"messages"' in head) and (
            b'"sender_name"' in head or b'"timestamp_ms"' in head or b'"thread_path"' in head)
        if not looks_meta:
            return 0.0
        score = 0.9 if THREAD_FILE.fullmatch(files[-1].name) else 0.7
        return score if platform_of(path, head) == self.platform else score / 2

    def parse(self, path: Path) -> Iterator[Event]:
        files = thread_files(path) if path.is_dir() else [path]
        if not files:
            raise ParseError(path, "a thread folder holding message_1.json")
        folder = path if path.is_dir() else path.parent
        describe: Callable[..., ParsedThread] | None = None
        thread: ParsedThread | None = None
        wrote: dict[str, None] = {}  # an ordered set: who wrote, first message first
        for file in files:
            header, messages = read_thread_file(file)
            fix = repair if is_meta_mojibake(strings_in([header.data, messages])) else str
            if describe is None:
                describe = partial(self._thread, header, folder, fix)
                thread = describe()
                yield thread
            for index in reversed(range(len(messages))):
                event = self._message(Record.of(messages[index], file, f"message #{index + 1}"), thread, fix)
                if isinstance(event, ParsedMessage) and event.sender:
                    wrote.setdefault(event.sender)
                yield event
        if (final := describe(wrote)) != thread:  # the file lists no participants, or not everyone who wrote
            yield final

    def _thread(self, header: Record, folder: Path, fix: Callable[[str], str], wrote: Iterable[str] = ()
                ) -> ParsedThread:
        listed = [fix(p.text("name") or "") for p in header.records("participants")]
        names = tuple(dict.fromkeys(n for n in (*listed, *wrote) if n))
        key = header.text("thread_path") or f"{folder.parent.name}/{folder.name}"
        title = fix(header.text("title") or "") or folder_title(folder, names) or ", ".join(names) or folder.name
        is_group = header.text("thread_type") == "RegularGroup" or len(names) > 2
        return ParsedThread(key=key, platform=self.platform, title=title, participants=names, is_group=is_group)

    def _message(self, rec: Record, thread: ParsedThread, fix: Callable[[str], str]) -> ParsedMessage | ParseWarning:
        stamp = rec.number("timestamp_ms")
        if stamp is None:
            raise ParseError(rec.path, 'a "timestamp_ms"', location=rec.location)
        when = instant(stamp)
        if when is None:
            return ParseWarning(f"{rec.path.name}, {rec.location}", f"timestamp_ms {stamp!r} is not a plausible date "
                                "(milliseconds since 1970, between 2004 and 2100); message skipped")
        sender = fix(rec.text("sender_name") or "") or None
        content = fix(rec.text("content") or "")
        base = dict(thread_key=thread.key, timestamp=when, sender=sender, text=content)
        unsent = rec.flag("is_unsent")
        if rec.has("call_duration") or rec.text("type") in SYSTEM_TYPES or self._is_group_notice(sender, content):
            return ParsedMessage(**base | dict(sender=None, text=content or f"{sender} called"), kind=Kind.SYSTEM)
        if REACTION_NOTICE.fullmatch(content):
            return ParsedMessage(**base, kind=Kind.REACTION)
        media = media_of(rec)
        share = rec.record("share")
        if media is None and share is not None:
            media = "link"
            base["text"] = content or fix(share.text("link") or "")
        if not base["text"] and media is None and not unsent:
            return ParseWarning(f"{rec.path.name}, {rec.location}", "message with neither text nor media skipped")
        kind = Kind.MEDIA if media and not (media == "link" and content) else Kind.TEXT
        return ParsedMessage(**base, kind=kind, media=media, unsent=unsent)

    @staticmethod
    def _is_group_notice(sender: str | None, content: str) -> bool:
        for actor in (sender, "You"):
            if actor and content.startswith(actor + " ") and GROUP_NOTICE.fullmatch(content[len(actor) + 1:]):
                return True
        return False


@register
class MessengerParser(_MetaThreads):
    name = "messenger"
    platform = "messenger"
    description = "Facebook Messenger JSON (a thread folder with message_1.json..., or a whole inbox)"


@register
class InstagramParser(_MetaThreads):
    name = "instagram"
    platform = "instagram"
    description = "Instagram direct messages JSON (same layout as Messenger, under your_instagram_activity)"
