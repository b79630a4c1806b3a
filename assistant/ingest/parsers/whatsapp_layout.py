"""How a WhatsApp export writes the start of a message, and how to read its date and time.

The start of each message (the header) comes in a few layouts: Android `8/21/21, 11:06 PM - Name: text`,
iOS `[14/10/2021, 3:34:09 PM] Name: text`, and locales that put the time first (`21:41, 14/10/2021 - `).
Dates use `/`, `.` or `-`; times `:` or `.`, 12 or 24 hours, `PM`, `p. m.`, `nachm.`. One file uses one
layout, so it is sniffed once from the first lines; its literal pieces (the `Shape`: `[`, `, `, ` - `)
then let `str.partition` cut each line into date, time and the rest.

Whether `03/04/21` is the 3rd of April or March 4th is decided from the whole file: a first field above
12 anywhere proves day-first, otherwise a second field above 12 proves month-first, otherwise the
configured fallback applies. A cheap regex scan over large text blocks does this before parsing starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from assistant.ingest.parsers.whatsapp_phrases import MARKS

DateOrder = Literal["dmy", "mdy", "ymd"]

_MARK = f"[{MARKS}]*"
_DATE_FIELDS = (r"\d{1,4}", r"\d{1,2}", r"\d{1,4}")
_AMPM = r"(?:[AaPp]\.?\s?[Mm]\.?|vorm\.|nachm\.)"
_TIME = r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s?" + _AMPM + ")?"
_DAY_ABOVE_12 = r"(?:1[3-9]|2\d|3[01])"


def _date(fields: tuple[str, ...]) -> str:
    return rf"{fields[0]}[./-] ?{fields[1]}[./-] ?{fields[2]}\.?"


@dataclass(frozen=True)
class Layout:
    name: str
    example: str
    template: str  # a regex with DATE and TIME slots

    def _pattern(self, date: str, time: str) -> str:
        return self.template.replace("DATE", date).replace("TIME", time)

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
    Layout("android", "8/21/21, 11:06 PM - Name: text", r"DATE(?:,\s?|\s(?:à\s)?)TIME\s[-–]\s"),
    Layout("ios", "[14/10/2021, 3:34:09 PM] Name: text", r"\[DATE(?:,\s?|\s)TIME\]\s"),
    Layout("android-time-first", "21:41, 14/10/2021 - Name: text", r"TIME,?\sDATE\s[-–]\s"),
    Layout("ios-time-first", "[21:41, 14/10/2021] Name: text", r"\[TIME,?\sDATE\]\s"),
)
EXPECTED_LINE = " or ".join(f"'{layout.example}'" for layout in LAYOUTS[:2])
_HEADERS = {layout.name: layout.header() for layout in LAYOUTS}
_DATE_PARTS = re.compile(r"(\d{1,4})[./-] ?(\d{1,2})[./-] ?(\d{1,4})")
_TIME_PARTS = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*(.*)")


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
        """Matches a line that starts a message in this file, with groups `date` and `time`.

        Any other line continues the message before it.
        """
        parts = (f"(?P<date>{_date(_DATE_FIELDS)})", f"(?P<time>{_TIME})")
        first, second = parts if self.date_first else parts[::-1]
        opener, separator, closer = map(re.escape, (self.opener, self.separator, self.closer))
        return re.compile(f"{_MARK}{opener}{first}{separator}{second}{closer}")


def year_first(first_header: re.Match[str]) -> bool:
    parts = _DATE_PARTS.match(first_header.group("date"))
    return parts is not None and len(parts.group(1)) == 4


def infer_date_order(blocks: Iterable[str], layout: Layout, fallback: DateOrder) -> DateOrder:
    """Day or month first, from every header of the file (read as large blocks, not line by line)."""
    day_first, month_first = layout.proof(0), layout.proof(1)
    seen_month_first = False
    carry = "\n"  # each block is searched with the partial line before it; proofs start at a newline
    for block in blocks:
        text = carry + block
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
    return fallback


def parse_date(text: str, order: DateOrder) -> datetime:
    """Midnight of a header's date; ValueError if it is not a calendar date in that order."""
    parts = _DATE_PARTS.match(text)
    if parts is None:
        raise ValueError(text)
    a, b, c = (int(p) for p in parts.groups())
    year, month, day = (a, b, c) if order == "ymd" else (c, b, a) if order == "dmy" else (c, a, b)
    return datetime(year + 2000 if year < 100 else year, month, day)


def parse_time(text: str) -> timedelta:
    """Time of day as an offset from midnight; `PM`, `p. m.` and `nachm.` mean the afternoon."""
    parts = _TIME_PARTS.match(text)
    if parts is None:
        raise ValueError(text)
    hour, minute, second = int(parts.group(1)), int(parts.group(2)), int(parts.group(3) or 0)
    suffix = parts.group(4).lower()
    if suffix:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if suffix[0] in "pn" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(text)
    return timedelta(hours=hour, minutes=minute, seconds=second)
