"""Email in mbox format (Gmail Takeout, Thunderbird, Apple Mail exports).

Only the words the sender wrote are kept: quoted replies ("On ... wrote:" and "> " lines) and
signatures are cut with mail-parser-reply; HTML-only mail is turned into text first. A thread is a
Gmail thread (X-GM-THRID) when the export says so, else the conversation's root Message-ID (first of
References, else In-Reply-To, else the message's own), else the subject without Re:/Fwd:.
"""

from __future__ import annotations

import email
import mailbox
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.errors import MessageError
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path

import html2text
from mailparser_reply.parser import EmailMessage as ReplySplitter

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.media import media_from_mime
from assistant.ingest.registry import register

HEADER_LINE = re.compile(rb"^(From|Date|Subject|Message-ID|To|Received|Return-Path|X-GM-THRID|Delivered-To):",
                         re.M | re.I)
REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|vs|antw|tr)\s*(\[\d+\])?\s*:\s*)+", re.I)
FORWARD_PREFIX = re.compile(r"^\s*(fwd?|wg|tr)\s*:", re.I)
MBOX_FROM_ESCAPE = re.compile(r"^>(>*From )", re.M)  # mbox writers turn body lines "From x" into ">From x"
# what is left of a forwarded message's banner ("---------- Forwarded message ---------") once its headers are cut
TRAILING_BANNER = re.compile(r"\n*^-{3,}[^\n]*-{3,}\s*\Z", re.M)
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
# Reply headers ("On ... wrote:") and signature closings in these languages are recognised.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs"]
MALFORMED = (MessageError, ValueError, IndexError, TypeError, AttributeError, LookupError)
_HEADERS = HeaderRegistry()


@lru_cache(maxsize=4096)
def _parsed_header(name: str, value: str) -> BaseHeader:
    # policy.default re-parses a header on every access (get_body asks for Content-Type again and again);
    # header objects are immutable, so parsing each distinct one once made mbox import ~10x faster.
    return _HEADERS(name, value)


MAIL_POLICY = policy.default.clone(header_factory=_parsed_header)


def normalize_subject(subject: str) -> str:
    return REPLY_PREFIX.sub("", subject).strip()


def message_ids(value: object) -> list[str]:
    return MESSAGE_ID.findall(str(value or ""))


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0  # keep the writer's own line breaks
    converter.ignore_images = converter.ignore_links = converter.ignore_emphasis = True
    return converter.handle(html)


def own_words(body: str) -> str:
    """The newest reply of a mail body: no quoted history, no signature."""
    body = MBOX_FROM_ESCAPE.sub(r"\1", body)
    replies = ReplySplitter(text=body, languages=list(REPLY_LANGUAGES), keep_hyphen_lists=True).read().replies
    # a first fragment that starts with a reply header means the writer added nothing above the quote
    text = replies[0].body if replies and not replies[0].headers else ""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    return TRAILING_BANNER.sub("", text).strip()


def thread_key(msg: EmailMessage) -> str:
    if thrid := str(msg.get("X-GM-THRID") or "").strip():
        return "gmail:" + thrid
    roots = (message_ids(msg.get("References")) or message_ids(msg.get("In-Reply-To"))
             or message_ids(msg.get("Message-ID")))
    if roots:
        return "msgid:" + roots[0]
    return "subject:" + normalize_subject(str(msg.get("Subject") or "")).lower()


def names(msg: EmailMessage, *fields: str) -> list[str]:
    found: list[str] = []
    for field in fields:
        header = msg.get(field)
        for address in getattr(header, "addresses", ()):
            name = address.display_name or address.addr_spec
            if name and name not in found:
                found.append(name)
    return found


def sent_at(msg: EmailMessage) -> datetime | None:
    header = msg.get("Date")
    when = getattr(header, "datetime", None)
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # RFC 5322: "-0000" means UTC, sender's zone unknown
    return when


def body_text(msg: EmailMessage) -> tuple[str, str | None]:
    """(text of the preferred body part, a warning when it had to be decoded leniently)."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", None
    try:
        content, note = part.get_content(), None
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content, note = payload.decode("utf-8", errors="replace"), "unknown charset; read as UTF-8"
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return content, note


def attachment_media(msg: EmailMessage) -> str | None:
    for part in msg.iter_attachments():
        return media_from_mime(part.get_content_type())
    return None


@register
class MboxParser(Parser):
    name = "mbox"
    platform = "email"
    description = "Email in mbox format (Gmail Takeout, Thunderbird, Apple Mail)"

    def detect(self, path: Path) -> float:
        head = read_head(path) if path.is_file() else b""
        if not head.startswith(b"From "):
            return 0.0
        return 0.9 if HEADER_LINE.search(head) else 0.1

    def parse(self, path: Path) -> Iterator[Event]:
        head = read_head(path, 200)
        if not head.startswith(b"From "):
            first_line = head.split(b"\n")[0].decode("utf-8", errors="replace")
            raise ParseError(path, "an mbox file whose first line starts with 'From '", location="line 1",
                             found=first_line or "an empty file")
        try:
            box = mailbox.mbox(path, create=False)
        except OSError as exc:
            raise ParseError(path, "a readable mbox file", found=str(exc)) from exc
        try:
            yield from self._events(box)
        except OSError as exc:
            raise ParseError(path, "a readable mbox file", found=str(exc)) from exc
        finally:
            box.close()

    def _events(self, box: mailbox.mbox) -> Iterator[Event]:
        declared: dict[str, ParsedThread] = {}
        for number, key in enumerate(box.iterkeys(), 1):
            yield from mail_events(box.get_bytes(key), f"message {number}", declared)


def mail_events(raw: bytes, where: str, declared: dict[str, ParsedThread]) -> list[Event]:
    """One mail's events: its thread (when new or grown) and its message; a malformed mail is one warning.
    `declared` holds the threads declared so far in this import. Shared with the live Maildir source."""
    try:
        return list(_message_events(email.message_from_bytes(raw, policy=MAIL_POLICY), where, declared))
    except MALFORMED as exc:
        return [ParseWarning(where, f"skipped: malformed email ({type(exc).__name__}: {exc})")]


def _message_events(msg: EmailMessage, where: str, declared: dict[str, ParsedThread]) -> Iterator[Event]:
    senders = names(msg, "From")
    when = sent_at(msg)
    if not senders or when is None:
        yield ParseWarning(where, "skipped: it has no readable From or Date header")
        return
    key = thread_key(msg)
    subject = str(msg.get("Subject") or "")
    known = declared.get(key)
    people = list(known.participants) if known else []
    people += [p for p in names(msg, "From", "To", "Cc") if p not in people]
    title = known.title if known else normalize_subject(subject) or "(no subject)"
    thread = ParsedThread(key=key, platform="email", title=title, participants=tuple(people),
                          is_group=len(people) > 2)
    if thread != known:  # first sight, or someone new joined the conversation
        declared[key] = thread
        yield thread
    body, note = body_text(msg)
    if note:
        yield ParseWarning(where, note)
    text = own_words(body)
    media = attachment_media(msg)
    if not text and media is None:
        yield ParseWarning(where, "skipped: no text of its own and no attachment")
        return
    own_id = message_ids(msg.get("Message-ID"))
    in_reply_to = message_ids(msg.get("In-Reply-To"))
    yield ParsedMessage(
        thread_key=key, sender=senders[0], timestamp=when, text=text,
        kind=Kind.TEXT if text else Kind.MEDIA, media=None if text else media,
        message_id=own_id[0] if own_id else None,
        reply_to=in_reply_to[0] if in_reply_to else None,
        forwarded=bool(FORWARD_PREFIX.match(subject)),
    )
