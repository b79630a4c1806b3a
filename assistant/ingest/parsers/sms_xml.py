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
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError, Parser, read_head
from assistant.ingest.registry import register

OWNER = "Me (SMS)"
RECEIVED, DRAFT = "1", "3"  # sms type / mms msg_box: 2 sent, 4 outbox, 5 failed, 6 queued are all the owner's
MMS_FROM = "137"  # addr type of the sender (151 = to, 130 = cc)
UNKNOWN_CONTACT = "(Unknown)"
SURROGATE_PAIR_REF = re.compile(rb"&#(5[5-6]\d{3});&#(5[6-7]\d{3});")
LONE_SURROGATE_REF = re.compile(rb"&#(5[5-7]\d{3});")
SURROGATE_REF_LEN = 16  # len(b"&#55357;&#56832;")


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
            if chunk:  # hold back a reference that may continue in the next chunk
                cut = data.find(b"&", max(0, len(data) - SURROGATE_REF_LEN))
                if cut != -1:
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


def contacts(address: str, contact_name: str | None) -> list[tuple[str, str]]:
    """(normalised key, display name) per participant. Group MMS list addresses with '~' and, in the
    same order, names with ', '; a contact not in the phone book is shown by number."""
    addresses = [a.strip() for a in address.split("~") if a.strip()]
    names = (contact_name or "").split(", ") if len(addresses) > 1 else [contact_name or ""]
    if len(names) != len(addresses):
        names = [""] * len(addresses)
    return [(normalize_address(a), n if n and n != UNKNOWN_CONTACT else a) for a, n in zip(addresses, names)]


def epoch_ms(value: str | None) -> datetime:
    return datetime.fromtimestamp(int(value or "") / 1000, UTC)


def media_type(content_type: str) -> str:
    major = content_type.split("/")[0]
    return major if major in ("image", "video", "audio") else "file"


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
        context = etree.iterparse(source, events=("start", "end"), resolve_entities=False, huge_tree=True)
        for event, elem in context:
            if event == "start":
                if elem.getparent() is None and elem.tag != "smses":
                    raise ParseError(path, "an SMS Backup & Restore file whose root element is <smses>",
                                     location=f"line {elem.sourceline}", found=f"<{elem.tag}>")
                continue
            if elem.tag not in ("sms", "mms") or elem.getparent() is None or elem.getparent().getparent() is not None:
                continue
            for item in self._record(elem):
                if isinstance(item, ParsedThread):
                    if declared.get(item.key) != item:  # new, or more names known than before
                        declared[item.key] = item
                        yield item
                else:
                    yield item
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]

    def _record(self, elem: etree._Element) -> Iterator[Event]:
        where = f"line {elem.sourceline}"
        box = elem.get("type") if elem.tag == "sms" else elem.get("msg_box")
        if box == DRAFT:
            yield ParseWarning(where, f"skipped an unsent draft {elem.tag.upper()}")
            return
        people = contacts(elem.get("address") or "", elem.get("contact_name"))
        if not people:
            yield ParseWarning(where, f"skipped: the {elem.tag.upper()} has no address")
            return
        try:
            timestamp = epoch_ms(elem.get("date"))
        except (ValueError, OverflowError, OSError):
            yield ParseWarning(where, f"skipped: date {elem.get('date')!r} is not milliseconds since 1970")
            return
        key = "sms:" + "~".join(sorted(k for k, _ in people))
        names = [n for _, n in people]
        yield ParsedThread(key=key, platform="sms", title=", ".join(names), participants=(*names, OWNER),
                           is_group=len(people) > 1)
        if box != RECEIVED:
            sender = OWNER
        elif len(people) == 1:
            sender = names[0]
        else:  # a group MMS names its sender among the addrs
            address = self._mms_sender(elem) or ""
            sender = dict(people).get(normalize_address(address), address or names[0])
        if elem.tag == "sms":
            body = elem.get("body")
            if not body:
                yield ParseWarning(where, "skipped: the SMS has no body")
                return
            yield ParsedMessage(thread_key=key, sender=sender, timestamp=timestamp, text=body)
            return
        yield from self._mms(elem, key, sender, timestamp, where)

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
                media.append(media_type(content_type))
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
