"""One conversation, exported by WhatsApp in every language it ships, parses to the same messages.

The conversation holds a system notice, text, a multi-line text, every kind of left-out media, an
attachment, deletions by others and by the user, and an edit. Each language renders it with its own
phrases (whatsapp_strings.toml: WhatsApp's strings) and its own date and time style (headers.toml); the
parse must give the same kinds, media, senders and timestamps as the English export, on iOS and Android.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path

import jdatetime
import pytest

from assistant.corpus import ParsedMessage, ParsedThread
from assistant.ingest.parsers.whatsapp import WhatsAppParser
from assistant.ingest.parsers.whatsapp_phrases import STRINGS

HEADERS = tomllib.loads((Path(__file__).parents[2] / "fixtures/whatsapp/locales/headers.toml").read_text("utf-8"))
LANGUAGES = sorted(HEADERS["language"])
IOS_MEDIA_KINDS = ("image", "video", "audio", "sticker", "gif", "document", "contact")
ANDROID_LANGUAGES = [lang for lang in LANGUAGES if lang in STRINGS["android_media_omitted"]
                     and lang in STRINGS["android_attached"]]
DIGITS = {"arabic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"), "persian": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")}
LRM = "\u200e"  # what iOS puts before the lines and bodies of attachments and events
MAYA, BEN, ME = "Maya Lopez", "Ben Okafor", "Alex Rivera"
PHOTO = "00000012-PHOTO-2021-10-14-15-34-09.jpg"


def at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2021, 10, day, hour, minute, second)


def header(lang: str, platform: str, when: datetime, persian_calendar: bool = False) -> str:
    """`persian_calendar`: the phone is set to it (Settings > General > Language & Region > Calendar)."""
    style = HEADERS["style"][HEADERS["language"][lang]["style"]]
    morning, afternoon = style.get("ampm", "AM|PM").split("|")
    year, month, day = when.year + (543 if style.get("era") == "buddhist" else 0), when.month, when.day
    if persian_calendar:
        solar = jdatetime.date.fromgregorian(date=when.date())
        year, month, day = solar.year, solar.month, solar.day
    fields = {
        "d": day, "dd": f"{day:02d}", "m": month, "mm": f"{month:02d}",
        "yy": f"{year % 100:02d}", "yyyy": year, "H": when.hour, "HH": f"{when.hour:02d}",
        "h": when.hour % 12 or 12, "h0": f"{when.hour % 12:02d}", "MI": f"{when.minute:02d}",
        "SS": f"{when.second:02d}", "ampm": afternoon if when.hour >= 12 else morning,
    }
    # Only the numbers take the script's digits: "ص" and "م" have none.
    numbers = {k: str(v).translate(DIGITS.get(style.get("digits"), {})) for k, v in fields.items() if k != "ampm"}
    return style[platform].format(**numbers, ampm=fields["ampm"])


def conversation(lang: str, platform: str) -> list[tuple[datetime, str | None, str | None]]:
    """(time, sender or None for a system line, body as this language's app writes it, None if unknown)."""
    ios = platform == "ios"
    edited = STRINGS["edited"].get(lang)
    omitted = [STRINGS["ios_omitted"][kind].get(lang) for kind in IOS_MEDIA_KINDS]
    media = ([f"{LRM}{phrase}" if phrase else None for phrase in omitted] if ios
             else [f"<{STRINGS['android_media_omitted'][lang]}>"] * len(IOS_MEDIA_KINDS))
    attached = (f"{LRM}<{STRINGS['ios_attached'].get(lang, 'attached')}: {PHOTO}>" if ios
                else f"IMG-20211014-WA0003.jpg ({STRINGS['android_attached'][lang]})")
    lines = [
        (at(14, 0, 15, 5), None, HEADERS["language"][lang]["notice"]),
        (at(14, 9, 2, 11), MAYA, "Are we still on for Saturday? 🏔"),
        (at(14, 12, 30), ME, "Yes!\nBringing the map\nand snacks"),
    ]
    lines += [(at(14, 13, 40 + i), MAYA, body) for i, body in enumerate(media)]
    lines += [
        (at(14, 15, 34, 9), BEN, attached),
        (at(14, 18, 1), BEN, STRINGS["deleted"][lang]),
        (at(14, 18, 2), ME, STRINGS["you_deleted"][lang]),
        (at(15, 8, 0), MAYA, f"See you at 6 {edited}" if edited else "See you at 6"),
        (at(15, 23, 59, 59), BEN, "night all"),
    ]
    return lines


def render(tmp_path: Path, lang: str, platform: str, persian_calendar: bool = False) -> Path:
    out = []
    for when, sender, body in conversation(lang, platform):
        if body is None:  # WhatsApp's wording in this language is not known: the line is left out
            continue
        start = header(lang, platform, when, persian_calendar)
        special = body.startswith(LRM)
        if sender is None:  # Android: no "Name:"; iOS: "from" the group, marked
            out.append(start + body if platform == "android" else f"{start}Trip: {LRM}{body}")
        else:
            out.append(f"{LRM if special else ''}{start}{sender}: {body}")
    path = tmp_path / f"{platform}-{lang}{'-solar' if persian_calendar else ''}" / "WhatsApp Chat - Trip.txt"
    path.parent.mkdir()
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def parse(path: Path) -> tuple[ParsedThread, list[ParsedMessage]]:
    events = list(WhatsAppParser().parse(path))
    threads = [e for e in events if isinstance(e, ParsedThread)]
    return threads[-1], [e for e in events if isinstance(e, ParsedMessage)]


def shape(messages: list[ParsedMessage]) -> list[tuple]:
    """What must agree across languages: texts are the users' own only where users wrote them."""
    return [(m.timestamp, m.sender, str(m.kind), m.media, m.unsent, m.text if m.kind == "text" else None)
            for m in messages]


@pytest.mark.parametrize("platform", ["ios", "android"])
def test_every_language_parses_like_english(tmp_path, platform):
    languages = [lang for lang in (LANGUAGES if platform == "ios" else ANDROID_LANGUAGES) if lang != "en"]
    thread, english = parse(render(tmp_path, "en", platform))
    assert thread.participants == (MAYA, ME, BEN) and thread.is_group
    expected = shape(english)
    missing = {lang: {i for i, (_, _, body) in enumerate(conversation(lang, platform)) if body is None}
               for lang in languages}
    written = [when if platform == "ios" else when.replace(second=0) for when, _, _ in conversation("en", platform)]
    assert [m.timestamp for m in english] == written  # Android writes no seconds
    differ = {}
    for lang in languages:
        thread, messages = parse(render(tmp_path, lang, platform))
        wanted = [row for i, row in enumerate(expected) if i not in missing[lang]]
        if shape(messages) != wanted or set(thread.participants) != {MAYA, ME, BEN}:
            differ[lang] = [row for row in shape(messages) if row not in wanted][:3] or thread.participants
    assert not differ, differ
    assert sum(map(len, missing.values())) <= 1  # only Romanian lacks a string (its sticker placeholder)


def test_a_phone_on_the_persian_calendar_gives_the_same_dates(tmp_path):
    # iOS only: the Android strings of the Persian app are not in the tables (docs/formats-whatsapp.md)
    _, english = parse(render(tmp_path, "en", "ios"))
    path = render(tmp_path, "fa", "ios", persian_calendar=True)
    assert "۱۴۰۰/۰۷/۲۲" in path.read_text(encoding="utf-8")  # 2021-10-14, in Persian digits
    _, persian = parse(path)
    assert shape(persian) == shape(english)


def test_kinds_of_the_english_ios_export(tmp_path):
    """The reference itself is right: one system line, media by kind, the attachment, both deletions."""
    kinds = [(str(m.kind), m.media, m.unsent) for m in parse(render(tmp_path, "en", "ios"))[1]]
    assert kinds == [
        ("system", None, False), ("text", None, False), ("text", None, False),
        *[("media", media, False) for media in ("image", "video", "audio", "sticker", "gif", "file", "contact")],
        ("media", "image", False), ("text", None, True), ("text", None, True), ("text", None, False),
        ("text", None, False),
    ]


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang in STRINGS["edited"]])
def test_edits_are_marked_where_the_language_has_the_phrase(tmp_path, lang):
    messages = parse(render(tmp_path, lang, "android"))[1]
    assert [(m.text, m.edited) for m in messages if m.text.startswith("See you")] == [("See you at 6", True)]


def test_the_matrix_covers_the_languages_the_docs_list():
    docs = (Path(__file__).parents[3] / "docs" / "formats-whatsapp.md").read_text("utf-8")
    for lang in LANGUAGES:
        assert f"`{lang}`" in docs, lang

