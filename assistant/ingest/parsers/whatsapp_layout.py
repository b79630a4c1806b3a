"""How a WhatsApp export writes the start of a message, and how to read its date and time.

The start of each message (the header) comes in a few layouts: Android `8/21/21, 11:06 PM - Name: text`,
iOS `[14/10/2021, 3:34:09 PM] Name: text`, and locales that put the time first (`21:41, 14/10/2021 - `).
Dates use `/`, `.` or `-`; times `:` or `.`, 12 or 24 hours, `PM`, `p. m.`, `nachm.`. One file uses one
layout, so it is sniffed once from the first lines; its literal pieces (the `Shape`: `[`, `, `, ` - `)
then let `str.partition` cut each line into date, time and the rest. Direction marks (U+200E, U+200F...)
may stand anywhere in a header (`3:34:09\u200e PM`, `3:34 PM \u200e- `); lines whose marks differ from the
first header's fall to the header regex, which allows them around every part.

Whether `03/04/21` is the 3rd of April or March 4th is decided from the whole file: a first field above
12 anywhere proves day-first, otherwise a second field above 12 proves month-first, otherwise the file
does not say (the parser then decides, and warns). A cheap regex scan over large text blocks does this
before parsing starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

import jdatetime

from assistant.ingest.base import DATED_LINE
from assistant.ingest.parsers.whatsapp_phrases import MARKS

DateOrder = Literal["dmy", "mdy", "ymd"]

_MARK = f"[{MARKS}]*"
_DATE_FIELDS = (r"\d{1,4}", r"\d{1,2}", r"\d{1,4}")  # \d: any script's digits (Arabic-Indic, Persian...)
# 12-hour markers, after the time ("3:34 PM", "3:34 p. m.", "٣:٣٤ م", "3:34 CH") or before it ("오후 3:34", "午後3:34").
# Persian is written with or without CLDR's final dot ("ب.ظ." or "ب.ظ").
_SUFFIXES = r"[AaPp]\.?\s?[Mm]\.?|vorm\.|nachm\.|[صم]|ق\.ظ\.?|ب\.ظ\.?|π\.μ\.|μ\.μ\.|SA|CH|de\.|du\."
_PREFIXES = r"午前|午後|上午|下午|오전|오후|de\.|du\."
_TIME = (rf"(?:(?:{_PREFIXES})\s?)?\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?"
         rf"(?:{_MARK}\s?{_MARK}(?:{_SUFFIXES}))?")
_AFTERNOON = {"pm", "p", "nachm", "م", "بظ", "μμ", "ch", "午後", "下午", "오후", "du"}
_MORNING = {"am", "a", "vorm", "ص", "قظ", "πμ", "sa", "午前", "上午", "오전", "de"}
_DAY_ABOVE_12 = r"(?:1[3-9]|2\d|3[01])"
_NO_MARKS = str.maketrans("", "", MARKS)
FIRST_YEAR = 2009  # WhatsApp's first release: no export holds an earlier message
SOLAR_HIJRI_YEARS = (1388, 1420)  # the Persian calendar's years from 2009 to 2041
# The digits of the scripts WhatsApp writes dates in, as ASCII: only the day/month proof needs them so.
_ZEROS = (0x660, 0x6F0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xE50, 0x1040, 0x17E0)
_ASCII_DIGITS = {zero + i: ord("0") + i for zero in _ZEROS for i in range(10)}



def _date(fields: tuple[str, ...]) -> str:
    """A date's three fields; marks may sit around each ("١٤‏/١٠‏/٢٠٢١" in Arabic), Korean puts spaces after the dots."""
    between = f"{_MARK}[./-]{_MARK} ?{_MARK}"
    return rf"{fields[0]}{between}{fields[1]}{between}{fields[2]}\.?"


@dataclass(frozen=True)
class Layout:
    name: str
    example: str
    template: str  # a regex with DATE and TIME slots; ~ where direction marks may stand

    def _pattern(self, date: str, time: str) -> str:
        return self.template.replace("~", _MARK).replace("DATE", date).replace("TIME", time)

    def header(self) -> re.Pattern[str]:
        """Matches a header line; groups `date`, `time` and `rest` (the `Name: text` or system text)."""
        pattern = self._pattern(f"(?P<date>{_date(_DATE_FIELDS)})", f"(?P<time>{_TIME})")
        return re.compile(_MARK + pattern + r"(?P<rest>.*)")

    def proof(self, field: int) -> re.Pattern[str]:
        """Finds, in a block of lines, a header whose date field `field` (0 or 1) is a day above 12.

        It starts with a newline so that the regex engine can skip ahead to line starts at C speed.
        """
        fields = list(_DATE_FIELDS)
        fields[field] = _DAY_ABOVE_12
        return re.compile("\n" + _MARK + self._pattern(_date(tuple(fields)), _TIME))


LAYOUTS = (
    Layout("android", "8/21/21, 11:06 PM - Name: text", r"DATE~(?:[,،]~\s?|\s(?:à\s)?)~TIME~\s~[-–]~\s"),
    Layout("ios", "[14/10/2021, 3:34:09 PM] Name: text", r"\[~DATE~(?:[,،]~\s?|\s)~TIME~\]\s"),
    Layout("android-time-first", "21:41, 14/10/2021 - Name: text", r"TIME~[,،]?~\s~DATE~\s~[-–]~\s"),
    Layout("ios-time-first", "[21:41, 14/10/2021] Name: text", r"\[~TIME~[,،]?~\s~DATE~\]\s"),
)
# A line that starts a message in a chat log of some other layout: DATED_LINE's dates in digits, or a
# month's name that converters of chats write ("Oct 14, 2021 at 3:00 PM - Jo: hi", "14 Oct 2021, 15:00 - Jo: hi").
# Only lines that go on a message are tested: many of them mean the file is in another layout.
_MONTH_NAME_DATE = r"(?:[^\W\d_]{3,9}+\.? \d{1,2}|\d{1,2}\.? [^\W\d_]{3,9}+\.?),? \d{4}"
OTHER_LAYOUT_LINE = re.compile(
    rf"{DATED_LINE.pattern}|{_MARK}\[?{_MARK}{_MONTH_NAME_DATE}[^\n:\d]{{1,6}}\d{{1,2}}:\d{{2}}(?::\d{{2}})?"
    r"[^\n:\]–-]{0,12}(?:\s[-–]|\])\s[^\n:]{1,60}: "
)
EXPECTED_LINE = " or ".join(f"'{layout.example}'" for layout in LAYOUTS[:2])
_HEADERS = {layout.name: layout.header() for layout in LAYOUTS}
_DATE_PARTS = re.compile(r"(\d{1,4})[./-] ?(\d{1,2})[./-] ?(\d{1,4})")
_TIME_PARTS = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")


def sniff(lines: Iterable[str]) -> tuple[Layout, re.Match[str]] | None:
    """The layout that reads most of these lines, with its first header (None if none reads any)."""
    best: tuple[int, Layout, re.Match[str]] | None = None
    sample = list(lines)
    for layout in LAYOUTS:
        header = _HEADERS[layout.name]
        matches = [m for line in sample if (m := header.match(line))]
        if matches and (best is None or len(matches) > best[0]):
            best = (len(matches), layout, matches[0])
    return (best[1], best[2]) if best else None


@dataclass(frozen=True)
class Shape:
    """The literal text around a file's date and time, read off its first header: `[`, `, `, `] `.

    Knowing it, each line's date and time split off with `str.partition` (see the reader).
    """

    opener: str  # before the first of date and time ("[" on iOS)
    separator: str  # between them
    closer: str  # after the second, before the sender (" - " on Android)
    date_first: bool

    @classmethod
    def of(cls, header: re.Match[str]) -> Shape:
        first, second = sorted(("date", "time"), key=header.start)
        line = header.string
        return cls(
            opener=line[: header.start(first)].lstrip(MARKS),
            separator=line[header.end(first) : header.start(second)],
            closer=line[header.end(second) : header.start("rest")],
            date_first=first == "date",
        )

    def header(self) -> re.Pattern[str]:
        """Matches a line that starts a message in this file, up to its sender; groups `date` and `time`.

        Direction marks may stand before any character of the literal pieces, and a space may be a
        no-break one, whatever the first header had there. Any other line continues the message before it.
        """
        parts = (f"(?P<date>{_date(_DATE_FIELDS)})", f"(?P<time>{_TIME})")
        first, second = parts if self.date_first else parts[::-1]
        opener, separator, closer = map(_marks_before_each, (self.opener, self.separator, self.closer))
        return re.compile(f"{opener}{_MARK}{first}{separator}{_MARK}{second}{closer}")


def _marks_before_each(piece: str) -> str:
    """A literal piece of a header (`] `, ` - `) as a regex: marks may stand before each character, spaces vary."""
    return "".join(_MARK + (r"\s" if char.isspace() else re.escape(char)) for char in piece.translate(_NO_MARKS))


def year_first(first_header: re.Match[str]) -> bool:
    parts = _DATE_PARTS.match(first_header.group("date").translate(_NO_MARKS))
    return parts is not None and len(parts.group(1)) == 4


def infer_date_order(blocks: Iterable[str], layout: Layout, first_header: re.Match[str]) -> DateOrder | None:
    """Day or month first, from every header of the file (read as large blocks, not line by line); None when
    no date has a field above 12, so that both orders read the file.

    The proofs match ASCII digits; a file whose first date is written in other digits (Arabic-Indic,
    Persian...) is translated block by block (slow, so only then).
    """
    other_digits = not first_header.group("date").translate(_NO_MARKS).isascii()
    day_first, month_first = layout.proof(0), layout.proof(1)
    seen_month_first = False
    carry = "\n"  # each block is searched with the partial line before it; proofs start at a newline
    for block in blocks:
        text = carry + (block.translate(_ASCII_DIGITS) if other_digits else block)
        cut = text.rfind("\n")
        if day_first.search(text, 0, cut):
            return "dmy"
        seen_month_first = seen_month_first or month_first.search(text, 0, cut) is not None
        carry = text[cut:]
    carry += "\n"
    if day_first.search(carry):
        return "dmy"
    if seen_month_first or month_first.search(carry):
        return "mdy"
    return None


class UnknownCalendarError(ValueError):
    """A year in no calendar predraft reads (an Islamic Hijri year, say)."""

    def __init__(self, year: int):
        super().__init__(year)
        self.year = year


def parse_date(text: str, order: DateOrder) -> datetime:
    """Midnight of a header's date; ValueError if it is not a calendar date in that order.

    A phone writes dates in its own calendar. WhatsApp dates from 2009, so the year tells which:
    Thai phones count in the Buddhist era (2564 is 2021), phones set to the Persian calendar in Solar
    Hijri years (1388-1420 span 2009-2041). Years between those and 2009 (an Islamic Hijri year such as
    1445 among them) are refused rather than read as a wrong date.
    """
    parts = _DATE_PARTS.match(text.translate(_NO_MARKS))
    if parts is None:
        raise ValueError(text)
    a, b, c = (int(p) for p in parts.groups())
    year, month, day = (a, b, c) if order == "ymd" else (c, b, a) if order == "dmy" else (c, a, b)
    if year < 100:
        return datetime(year + 2000, month, day)
    if SOLAR_HIJRI_YEARS[0] <= year <= SOLAR_HIJRI_YEARS[1]:
        # jdatetime raises ValueError for a day the month does not have, as datetime does
        return datetime.combine(jdatetime.date(year, month, day).togregorian(), time())
    if year > 2400:
        return datetime(year - 543, month, day)
    if year < FIRST_YEAR:
        raise UnknownCalendarError(year)
    return datetime(year, month, day)


def parse_time(text: str) -> timedelta:
    """Time of day as an offset from midnight, read through any 12-hour marker before or after it."""
    text = text.translate(_NO_MARKS)
    parts = _TIME_PARTS.search(text)
    if parts is None:
        raise ValueError(text)
    hour, minute, second = int(parts.group(1)), int(parts.group(2)), int(parts.group(3) or 0)
    marker = "".join((text[: parts.start()] + text[parts.end() :]).split()).replace(".", "").casefold()
    if marker:
        if marker not in _AFTERNOON and marker not in _MORNING or hour > 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if marker in _AFTERNOON else 0)  # "00:15 a. m." is a quarter past midnight
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(text)
    return timedelta(hours=hour, minutes=minute, seconds=second)
