"""SMS Backup & Restore (Android) XML: `<smses>` of `<sms>` and `<mms>` records, streamed.

Backups reach gigabytes (MMS media is inline base64), so the file is read with lxml's iterparse and
each record is dropped once handled. Messages the phone sent are attributed to OWNER ("Me (SMS)"):
the file never names its owner. Link it with `predraft me set NAME --alias "Me (SMS)"`.

A thread is keyed by its other participants' numbers, normalised to their last ten digits so that
"+1 (555) 010-2233" and "5550102233" are one contact.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.media import media_from_mime
from assistant.ingest.registry import register

OWNER = "Me (SMS)"
RECEIVED, DRAFT = "1", "3"  # sms type / mms msg_box: 2 sent, 4 outbox, 5 failed, 6 queued are all the owner's
MMS_FROM = "137"  # addr type of the sender (151 = to, 130 = cc)
UNKNOWN_CONTACT = "(Unknown)"
SURROGATE_PAIR_REF = re.compile(rb"&#(5[5-6]\d{3});&#(5[6-7]\d{3});")
LONE_SURROGATE_REF = re.compile(rb"&#(5[5-7]\d{3});")
SURROGATE_HALF_REF = re.compile(rb"&#5[5-6]\d{3};")
SURROGATE_HALF_LEN, SURROGATE_REF_LEN = 8, 16  # len(b"&#55357;"), len(b"&#55357;&#56832;")


class SurrogateRefFixer:
    """Wraps the file for lxml: the app writes emoji as two UTF-16 surrogate references
    (&#55357;&#56832;), which XML forbids; they are joined into one code point (&#128512;)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.pending = b""

    def read(self, size: int = 1 << 16) -> bytes:
        while True:
            chunk = self.raw.read(max(size, 1 << 12))
            data = self.pending + chunk
            self.pending = b""
            if chunk:  # hold back a reference that may continue in the next chunk, with its high half
                cut = data.find(b"&", max(0, len(data) - SURROGATE_REF_LEN))
                if cut != -1:
                    if SURROGATE_HALF_REF.fullmatch(data, max(0, cut - SURROGATE_HALF_LEN), cut):
                        cut -= SURROGATE_HALF_LEN
                    data, self.pending = data[:cut], data[cut:]
            if data or not chunk:
                return LONE_SURROGATE_REF.sub(_replace_lone_surrogate, SURROGATE_PAIR_REF.sub(_join_surrogates, data))


def _join_surrogates(m: re.Match) -> bytes:
    high, low = int(m.group(1)), int(m.group(2))
    if 0xD800 <= high <= 0xDBFF and 0xDC00 <= low <= 0xDFFF:
        return b"&#%d;" % (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    return m.group(0)


def _replace_lone_surrogate(m: re.Match) -> bytes:
    return b"&#65533;" if 0xD800 <= int(m.group(1)) <= 0xDFFF else m.group(0)


def normalize_address(address: str) -> str:
    """Phone numbers -> their last ten digits; emails and short codes -> lower case as written."""
    digits = re.sub(r"\D", "", address)
    if "@" in address or len(digits) < 7:
        return address.strip().lower()
    return digits[-10:]


@lru_cache(maxsize=4096)  # a backup repeats the same few hundred contacts over and over
def thread_of(address: str, contact_name: str | None) -> tuple[ParsedThread, dict[str, str]] | None:
    """The thread of a record and its participants by normalised address, or None without an address.

    Group MMS list addresses with '~' and, in the same order, names with ', '; a contact not in the
    phone book is shown by number."""
    addresses = [a.strip() for a in address.split("~") if a.strip()]
    if not addresses:
        return None
    names = (contact_name or "").split(", ") if len(addresses) > 1 else [contact_name or ""]
    if len(names) != len(addresses):
        names = [""] * len(addresses)
    names = [n if n and n != UNKNOWN_CONTACT else a for a, n in zip(addresses, names)]
    people = {normalize_address(a): n for a, n in zip(addresses, names)}
    thread = ParsedThread(key="sms:" + "~".join(sorted(people)), platform="sms", title=", ".join(names),
                          participants=(*names, OWNER), is_group=len(addresses) > 1)
    return thread, people


def epoch_ms(value: str | None) -> datetime:
    return datetime.fromtimestamp(int(value or "") / 1000, UTC)


def is_base64(data: str) -> bool:
    try:
        binascii.a2b_base64("".join(data.split()).encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    return True


@register
class SmsBackupXmlParser(Parser):
    name = "sms-xml"
    platform = "sms"
    description = "SMS Backup & Restore XML (Android SMS and MMS)"

    def detect(self, path: Path) -> float:
        head = read_head(path) if path.is_file() else b""
        return 0.95 if b"<smses" in head else 0.0

    def parse(self, path: Path) -> Iterator[Event]:
        try:
            with path.open("rb") as raw:
                yield from self._events(path, SurrogateRefFixer(raw))
        except etree.XMLSyntaxError as exc:
            raise ParseError(path, "well-formed SMS Backup & Restore XML", location=f"line {exc.lineno}",
                             found=exc.msg) from exc
        except OSError as exc:
            raise ParseError(path, "a readable SMS Backup & Restore XML file", found=str(exc)) from exc

    def _events(self, path: Path, source: SurrogateRefFixer) -> Iterator[Event]:
        declared: dict[str, ParsedThread] = {}
        context = etree.iterparse(source, events=("end",), tag=("sms", "mms"), resolve_entities=False, huge_tree=True)
        for _, elem in context:
            parent = elem.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # only records directly under the root
            if parent.tag != "smses":
                raise self._wrong_root(path, parent)
            for item in self._record(elem):
                if isinstance(item, ParsedThread):
                    known = declared.get(item.key)
                    if known is not item and known != item:  # new, or its names changed
                        declared[item.key] = item
                        yield item
                else:
                    yield item
            elem.clear()
            while elem.getprevious() is not None:
                del parent[0]
        if context.root is not None and context.root.tag != "smses":
            raise self._wrong_root(path, context.root)

    @staticmethod
    def _wrong_root(path: Path, root: etree._Element) -> ParseError:
        return ParseError(path, "an SMS Backup & Restore file whose root element is <smses>",
                          location=f"line {root.sourceline}", found=f"<{root.tag}>")

    def _record(self, elem: etree._Element) -> Iterator[Event]:
        where = f"line {elem.sourceline}"
        box = elem.get("type") if elem.tag == "sms" else elem.get("msg_box")
        if box == DRAFT:
            yield ParseWarning(where, f"skipped an unsent draft {elem.tag.upper()}")
            return
        found = thread_of(elem.get("address") or "", elem.get("contact_name"))
        if found is None:
            yield ParseWarning(where, f"skipped: the {elem.tag.upper()} has no address")
            return
        try:
            timestamp = epoch_ms(elem.get("date"))
        except (ValueError, OverflowError, OSError):
            yield ParseWarning(where, f"skipped: date {elem.get('date')!r} is not milliseconds since 1970")
            return
        thread, people = found
        yield thread
        if box != RECEIVED:
            sender = OWNER
        elif len(people) == 1:
            sender = thread.participants[0]
        else:  # a group MMS names its sender among the addrs
            address = self._mms_sender(elem) or ""
            sender = people.get(normalize_address(address), address or thread.participants[0])
        if elem.tag == "sms":
            body = elem.get("body")
            if not body:
                yield ParseWarning(where, "skipped: the SMS has no body")
                return
            yield ParsedMessage(thread_key=thread.key, sender=sender, timestamp=timestamp, text=body)
            return
        yield from self._mms(elem, thread.key, sender, timestamp, where)

    @staticmethod
    def _mms_sender(elem: etree._Element) -> str | None:
        for addr in elem.iterfind("addrs/addr"):
            if addr.get("type") == MMS_FROM:
                return addr.get("address")
        return None

    @staticmethod
    def _mms(elem: etree._Element, key: str, sender: str, timestamp: datetime, where: str) -> Iterator[Event]:
        texts: list[str] = []
        media: list[str] = []
        for part in elem.iterfind("parts/part"):
            at = f"line {part.sourceline}"
            content_type = (part.get("ct") or "").lower()
            if not content_type:
                yield ParseWarning(at, "skipped an MMS part without a content type (ct)")
            elif content_type == "application/smil":
                continue  # slide layout, nobody's words
            elif content_type == "text/plain":
                if part.get("text") is None:
                    yield ParseWarning(at, "skipped a text/plain MMS part without its text attribute")
                else:
                    texts.append(part.get("text"))
            elif part.get("data") is not None and not is_base64(part.get("data")):
                yield ParseWarning(at, f"skipped a corrupt {content_type} MMS part (its data is not base64)")
            else:
                media.append(media_from_mime(content_type))
        text = "\n".join(t for t in texts if t)
        if not text and not media:
            yield ParseWarning(where, "skipped: the MMS has no readable part")
            return
        m_id = elem.get("m_id")
        yield ParsedMessage(
            thread_key=key, sender=sender, timestamp=timestamp, text=text,
            kind=Kind.MEDIA if media else Kind.TEXT, media=media[0] if media else None,
            message_id=m_id if m_id and m_id != "null" else None,
        )
