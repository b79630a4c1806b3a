import json
import random
import shutil
import tempfile
import tracemalloc
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.corpus import Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.corpus.importing import DateOrderRead
from assistant.ingest.base import ParseError
from assistant.ingest.parsers import whatsapp
from assistant.ingest.parsers.whatsapp import WhatsAppParser, chat_name
from assistant.ingest.registry import detect
from assistant.ingest.runner import ingest_paths

FIXTURES = Path(__file__).parents[2] / "fixtures" / "whatsapp"
PARSER = WhatsAppParser()
GOLDEN = ["android_en_12h_mdy", "ios_en_dmy", "android_es_ampm", "android_de_24h_dots", "ymd_24h",
          "time_before_date", "ios_dotted_times", "group_chat"]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64)) + b"\xff\xd9"


def split(path: Path, parser: WhatsAppParser = PARSER) -> tuple[list[ParsedThread], list[ParsedMessage]]:
    events = list(parser.parse(path))
    return [e for e in events if isinstance(e, ParsedThread)], [e for e in events if isinstance(e, ParsedMessage)]


def rows(messages: list[ParsedMessage]) -> list[dict]:
    return [{"at": m.timestamp.isoformat(sep=" "), "sender": m.sender, "kind": str(m.kind), "media": m.media,
             "text": m.text, "edited": m.edited, "unsent": m.unsent} for m in messages]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def export_as(tmp_path: Path, fixture: str, name: str) -> Path:
    """A fixture under the file name WhatsApp gives its exports."""
    target = tmp_path / name
    shutil.copy(FIXTURES / fixture, target)
    return target


@pytest.fixture
def ios_zip(tmp_path: Path) -> Path:
    """What iOS shares: `_chat.txt` plus the media it sent, zipped and named after the chat."""
    archive = tmp_path / "WhatsApp Chat - Sam Okafor.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FIXTURES / "ios_en_dmy.txt", "_chat.txt")
        zf.writestr("00000012-PHOTO-2021-10-14-15-35-40.jpg", JPEG)
    return archive


# ---- golden parses -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GOLDEN)
def test_parse_matches_golden(name):
    _, messages = split(FIXTURES / f"{name}.txt")
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert rows(messages) == expected


def test_android_english_12_hour_month_first():
    threads, messages = split(FIXTURES / "android_en_12h_mdy.txt")
    assert Counter(m.kind for m in messages) == {Kind.TEXT: 12, Kind.MEDIA: 3, Kind.SYSTEM: 2}
    assert Counter(m.sender for m in messages) == {"Maya Lopez": 7, "Alex Brandt": 8, None: 2}
    assert messages[1].timestamp == datetime(2022, 1, 9, 9, 14)  # naive local time, as the export writes it
    assert messages[5].text == (
        "ok here's the plan:\n- warm up on the orange routes\n- then the overhang\n\n- tacos after 🌮"
    )
    assert (messages[6].unsent, messages[6].text) == (True, "")  # "This message was deleted"
    assert (messages[7].edited, messages[7].text) == (True, "sounds perfect")
    assert messages[8].text == "running 10 min late - traffic on 5th: sorry!"  # " - " and ": " inside a text
    assert (messages[10].media, messages[10].text) == ("location", "https://maps.google.com/?q=40.7128,-74.0060")
    assert messages[12].timestamp == datetime(2022, 1, 14, 0, 3)  # 12:03 AM
    assert messages[10].timestamp == datetime(2022, 1, 13, 12, 5)  # 12:05 PM
    assert (messages[13].sender, messages[13].kind) == (None, Kind.SYSTEM)  # security code changed
    assert (messages[14].media, messages[14].text) == ("image", "proof that I sent it!")  # caption of a file
    assert threads[-1].participants == ("Maya Lopez", "Alex Brandt") and not threads[-1].is_group


def test_ios_marks_crlf_attachments_and_system_lines():
    _, messages = split(FIXTURES / "ios_en_dmy.txt")
    assert Counter(m.kind for m in messages) == {Kind.TEXT: 7, Kind.MEDIA: 6, Kind.SYSTEM: 2}
    assert not any("\r" in m.text or "\u200e" in m.text for m in messages)
    assert messages[0].sender is None  # "Sam Okafor: ‎Messages and calls are end-to-end encrypted."
    assert (messages[3].media, messages[3].timestamp) == ("image", datetime(2021, 10, 14, 15, 35, 40))
    assert messages[5].text == "7:30 I think\nlet me check the email\nyes 7:30"
    assert messages[8].timestamp == datetime(2021, 10, 15, 9, 2, 44)  # narrow no-break space before AM
    media = [m.media for m in messages if m.kind is Kind.MEDIA]
    assert media == ["image", "image", "audio", "sticker", "location", "video"]
    assert (messages[12].sender, messages[12].text) == (None, "Missed voice call")


def test_spanish_a_m_p_m_and_localised_placeholders():
    _, messages = split(FIXTURES / "android_es_ampm.txt")
    assert messages[4].timestamp == datetime(2021, 10, 12, 13, 15)  # "1:15 p. m." with no-break spaces
    assert messages[6].timestamp == datetime(2021, 10, 14, 12, 0)  # "12:00 p. m."
    assert (messages[4].kind, messages[4].media) == (Kind.MEDIA, "media")  # <Multimedia omitido>
    assert messages[5].text == "el postre, si puedes\ny unas servilletas"
    assert [m.unsent for m in messages].count(True) == 2
    assert messages[0].text.startswith("Los mensajes y las llamadas están cifrados")


def test_group_chat_system_lines_poll_and_membership():
    threads, messages = split(FIXTURES / "group_chat.txt")
    system = [m.text for m in messages if m.kind is Kind.SYSTEM]
    assert len(system) == 9 and all(m.sender is None for m in messages if m.kind is Kind.SYSTEM)
    # A new subject holds ": ", which must not make its first half a sender.
    assert 'Maya Lopez changed the subject from "Trail Runners" to "Trail Runners: Spring 10K"' in system
    poll = next(m for m in messages if m.media == "poll")
    assert (poll.sender, poll.text) == ("Priya Nair", "Which day for the long run?\nSaturday\nSunday")
    assert threads[-1].participants == ("Maya Lopez", "Sam Okafor", "Priya Nair", "Jonas Weber", "Alex Brandt")
    assert threads[-1].is_group


def test_ios_group_system_lines_come_from_the_group_name(tmp_path):
    path = write(tmp_path / "WhatsApp Chat - Book Club.txt", [
        "[02/03/2023, 19:00:00] Book Club: \u200eMaya Lopez created group “Book Club”",
        "[02/03/2023, 19:00:01] Book Club: \u200eMaya Lopez added Alex Brandt",
        "[02/03/2023, 19:05:00] Maya Lopez: welcome!",
        "[13/03/2023, 08:00:00] Alex Brandt: thanks",
    ])
    threads, messages = split(path)
    assert [(m.sender, m.kind) for m in messages[:2]] == [(None, Kind.SYSTEM)] * 2
    assert threads[-1] == ParsedThread("Book Club", "whatsapp", "Book Club", ("Maya Lopez", "Alex Brandt"), True)


def test_one_to_one_ios_chat_is_not_a_group_for_its_notices(tmp_path):
    lines = (FIXTURES / "ios_en_dmy.txt").read_text(encoding="utf-8").splitlines()
    threads, _ = split(write(tmp_path / "WhatsApp Chat - Sam Okafor.txt", lines))
    assert threads[-1].participants == ("Sam Okafor", "Priya Nair") and not threads[-1].is_group


# ---- the thread: key and title ------------------------------------------------------------------


@pytest.mark.parametrize(("stem", "name"), [
    ("WhatsApp Chat with Maya Lopez", "Maya Lopez"),
    ("WhatsApp Chat - Maya Lopez", "Maya Lopez"),
    ("WhatsApp Chat with Maya Lopez (1)", "Maya Lopez"),
    ("WhatsApp-Chat mit Jonas Weber", "Jonas Weber"),
    ("Chat de WhatsApp con Lucía Fernández", "Lucía Fernández"),
    ("Conversa do WhatsApp com Ana Souza", "Ana Souza"),
    ("Discussion WhatsApp avec Emma Laurent", "Emma Laurent"),
    ("Chat WhatsApp s uživatelem Jana Nováková", "Jana Nováková"),
    ("Чат WhatsApp с контактом Иван", "Иван"),
    ("_chat", None),
    ("notes from march", None),
])
def test_chat_name_from_export_file_names(stem, name):
    assert chat_name(stem) == name


def test_thread_announced_first_then_completed(tmp_path):
    events = list(PARSER.parse(export_as(tmp_path, "android_en_12h_mdy.txt", "WhatsApp Chat with Maya Lopez.txt")))
    assert events[0] == ParsedThread("Maya Lopez", "whatsapp", "Maya Lopez")
    assert events[-1] == ParsedThread("Maya Lopez", "whatsapp", "Maya Lopez", ("Maya Lopez", "Alex Brandt"), False)


def test_same_chat_gets_the_same_key_whatever_the_export(tmp_path, ios_zip):
    txt = export_as(tmp_path, "ios_en_dmy.txt", "WhatsApp Chat with Sam Okafor.txt")
    again = export_as(tmp_path, "ios_en_dmy.txt", "WhatsApp Chat with Sam Okafor (1).txt")
    assert {split(p)[0][0].key for p in (txt, again, ios_zip)} == {"Sam Okafor"}


def test_renamed_file_is_keyed_by_its_first_message_with_a_sender():
    threads, _ = split(FIXTURES / "android_en_12h_mdy.txt")  # the encryption notice before it has none
    assert threads[0].key == "first:Maya Lopez|2022|1|9|09:14:00"
    assert threads[0].title == "Maya Lopez, Alex Brandt"


# ---- zips and folders ----------------------------------------------------------------------------


def test_zip_is_read_in_place(ios_zip):
    assert PARSER.detect(ios_zip) >= 0.5 and detect(ios_zip, 0.5) is not None
    threads, messages = split(ios_zip)
    assert threads[0].key == "Sam Okafor"
    assert rows(messages) == json.loads((FIXTURES / "ios_en_dmy.expected.json").read_text(encoding="utf-8"))


def test_unpacked_zip_folder_is_claimed_whole(tmp_path, ios_zip):
    folder = tmp_path / "WhatsApp Chat - Sam Okafor"
    with zipfile.ZipFile(ios_zip) as zf:
        zf.extractall(folder)
    assert PARSER.detect(folder) >= 0.5
    threads, messages = split(folder)
    assert (threads[0].key, len(messages)) == ("Sam Okafor", 15)


def test_zip_without_a_chat_is_not_whatsapp(tmp_path):
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.jpg", JPEG)
    assert PARSER.detect(archive) == 0.0
    with pytest.raises(ParseError, match="exactly one chat"):
        list(PARSER.parse(archive))


# ---- day/month order ---------------------------------------------------------------------------


def test_day_first_proven_only_at_the_end_of_a_long_file(tmp_path):
    # 30,000 lines whose days are all <= 12 (several read blocks), then one day 13: the whole file counts.
    lines = [f"{d:02d}/{m:02d}/21, 10:{i % 60:02d} - Maya: note {i}" for i in range(30_000)
             for d, m in [(1 + i % 12, 1 + (i // 12) % 12)]]
    _, messages = split(write(tmp_path / "long.txt", [*lines, "13/12/21, 11:00 - Alex: done"]))
    assert messages[1].timestamp == datetime(2021, 1, 2, 10, 1)  # "02/01/21" is 2 January
    assert messages[-1].timestamp == datetime(2021, 12, 13, 11, 0)


def test_month_first_proven_by_a_second_field_above_12(tmp_path):
    _, messages = split(write(tmp_path / "c.txt", ["02/03/21, 10:00 - Maya: hi", "02/13/21, 10:00 - Alex: yo"]))
    assert [m.timestamp.date().isoformat() for m in messages] == ["2021-02-03", "2021-02-13"]


def test_ambiguous_dates_follow_the_setting(tmp_path):
    path = write(tmp_path / "c.txt", ["02/03/21, 10:00 - Maya: hi", "04/05/21, 10:00 - Alex: yo"])
    assert split(path)[1][0].timestamp == datetime(2021, 3, 2, 10, 0)  # auto: day first
    assert split(path, WhatsAppParser(date_order="mdy"))[1][0].timestamp == datetime(2021, 2, 3, 10, 0)


def test_how_the_dates_were_read_is_told_and_a_guess_warned_about(tmp_path):
    ambiguous = write(tmp_path / "WhatsApp Chat with Maya.txt", ["02/03/21, 10:00 - Maya: hi"])
    proven = write(tmp_path / "WhatsApp Chat with Alex.txt", ["02/13/21, 10:00 - Alex: yo"])
    guessed, shown = list(PARSER.parse(ambiguous)), list(PARSER.parse(proven))
    assert DateOrderRead("Maya", "dmy", False) in guessed and DateOrderRead("Alex", "mdy", True) in shown
    assert [w.location for w in guessed if isinstance(w, ParseWarning)] == ["dates"]
    assert not any(isinstance(w, ParseWarning) for w in shown)


def test_a_proof_in_the_file_beats_the_setting(tmp_path):
    path = write(tmp_path / "c.txt", ["02/03/21, 10:00 - Maya: hi", "14/05/21, 10:00 - Alex: yo"])
    assert split(path, WhatsAppParser(date_order="mdy"))[1][0].timestamp == datetime(2021, 3, 2, 10, 0)


@pytest.mark.parametrize("date", ["2021/10/14", "2021-10-14", "2021.10.14"])
def test_year_first_dates(tmp_path, date):
    _, messages = split(write(tmp_path / "c.txt", [f"{date} 21:41 - Maya: hi"]))
    assert messages[0].timestamp == datetime(2021, 10, 14, 21, 41)


@pytest.mark.parametrize(("time", "expected"), [("9:41 vorm.", (9, 41)), ("9:41 nachm.", (21, 41)),
                                                ("12:05 a.m.", (0, 5)), ("21.41", (21, 41))])
def test_time_styles(tmp_path, time, expected):
    _, messages = split(write(tmp_path / "c.txt", [f"14.10.21, {time} - Maya: hi"]))
    assert (messages[0].timestamp.hour, messages[0].timestamp.minute) == expected


# ---- bad and odd input ---------------------------------------------------------------------------


def test_no_whatsapp_line_names_the_file_line_and_format():
    path = FIXTURES / "bad_no_lines.txt"
    with pytest.raises(ParseError) as caught:
        list(PARSER.parse(path))
    assert (caught.value.path, caught.value.location, caught.value.found) == (str(path), "line 1", "Shopping list")
    assert "a WhatsApp line like '8/21/21, 11:06 PM - Name: text'" in str(caught.value)


@pytest.mark.parametrize("content", [b"", random.Random(7).randbytes(5000), b"\x00\x01\x02PK\x03\x04" * 300])
def test_empty_or_binary_files_raise_parse_error(tmp_path, content):
    path = tmp_path / "WhatsApp Chat with Maya.txt"
    path.write_bytes(content)
    with pytest.raises(ParseError, match="line 1"):
        list(PARSER.parse(path))


def test_impossible_date_names_its_line(tmp_path):
    path = write(tmp_path / "c.txt", ["13/01/21, 10:00 - Maya: hi", "more", "31/02/21, 10:00 - Alex: yo"])
    with pytest.raises(ParseError) as caught:
        list(PARSER.parse(path))
    assert caught.value.location == "line 3" and "ingest.whatsapp_date_order" in caught.value.expected


@pytest.mark.parametrize("path", [FIXTURES / "bad_no_lines.txt", FIXTURES, FIXTURES / "missing.txt",
                                  FIXTURES / "group_chat.expected.json"])
def test_detect_rejects_what_is_not_whatsapp(path):
    assert PARSER.detect(path) == 0.0


def test_lookalike_logs_that_are_not_txt_are_claimed_weakly(tmp_path):
    # Signal's chat.md writes "[2024-03-02 18:04:11] Name: text" too; WhatsApp always exports .txt.
    path = write(tmp_path / "chat.md", ["[2024-03-02 18:04:11] Maya: hey", "[2024-03-02 18:05:30] Me: yes!"])
    assert PARSER.detect(path) == 0.4


def test_detect_claims_every_layout():
    assert {PARSER.detect(FIXTURES / f"{name}.txt") for name in GOLDEN} == {0.9}
    assert {detect(FIXTURES / f"{name}.txt").name for name in GOLDEN} == {"whatsapp"}


def test_truncated_last_line_is_kept(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"14/10/21, 21:41 - Maya: hi\n14/10/21, 21:42 - Alex: see you at the sta")
    _, messages = split(path)
    assert messages[-1].text == "see you at the sta"


def test_bom_and_mixed_line_endings(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes("\ufeff14/10/21, 21:41 - Maya: one\r\ntwo\r14/10/21, 21:42 - Alex: three\n".encode())
    _, messages = split(path)
    assert [(m.sender, m.text) for m in messages] == [("Maya", "one\ntwo"), ("Alex", "three")]


def test_lines_before_the_first_message_are_reported(tmp_path):
    path = write(tmp_path / "c.txt", ["exported by a backup tool", "", "14/10/21, 21:41 - Maya: hi"])
    events = list(PARSER.parse(path))
    assert ParseWarning("line 1", "1 line(s) before the first message were skipped") in events
    assert [e.text for e in events if isinstance(e, ParsedMessage)] == ["hi"]


def test_memory_stays_flat_as_the_chat_grows(tmp_path, monkeypatch):
    monkeypatch.setattr(whatsapp, "BLOCK_CHARS", 1 << 13)  # small blocks, so both chats span many of them

    def peak(messages: int) -> int:
        lines = [f"{1 + i // 1440 % 28}/3/22, {i // 60 % 24}:{i % 60:02d} - {('Maya', 'Alex')[i % 2]}: message {i}"
                 for i in range(messages)]
        path = write(tmp_path / f"{messages}.txt", lines)
        tracemalloc.start()
        for _ in PARSER.parse(path):
            pass
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    small, large = peak(3_000), peak(18_000)
    assert large < small * 1.2 and large < 2**20


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(str.encode)))
def test_any_bytes_give_events_or_a_parse_error(parser_contract, content):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "WhatsApp Chat with Fuzz.txt"
        path.write_bytes(content)
        parser_contract(PARSER, path)


_header = st.builds(
    lambda d, m, y, h, mi, rest: f"{d}/{m}/{y}, {h}:{mi:02d} - {rest}",
    st.integers(0, 40), st.integers(0, 40), st.integers(0, 2100), st.integers(0, 30), st.integers(0, 70),
    st.text(max_size=40),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_header, st.text(max_size=40)), max_size=30), st.sampled_from(["\n", "\r\n", "\r"]))
def test_whatsapp_like_lines_give_events_or_a_parse_error(parser_contract, lines, newline):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "WhatsApp Chat with Fuzz.txt"
        path.write_bytes(newline.join(lines).encode("utf-8", errors="replace"))
        parser_contract(PARSER, path)


# ---- into a real corpus --------------------------------------------------------------------------


def test_ingest_is_idempotent(tmp_path, ingest_twice, corpus, stored):
    path = export_as(tmp_path, "android_en_12h_mdy.txt", "WhatsApp Chat with Maya Lopez.txt")
    first = ingest_twice(path)
    assert [(r.format, r.threads, r.messages_added) for r in first.reports] == [("whatsapp", 1, 17)]
    thread = corpus.threads()[0]
    assert (thread.title, thread.participants, thread.is_group) == ("Maya Lopez", ("Maya Lopez", "Alex Brandt"), False)
    assert len(stored()) == 17


def test_newer_overlapping_export_adds_only_new_messages(tmp_path, corpus, stored):
    lines = (FIXTURES / "group_chat.txt").read_text(encoding="utf-8").splitlines()
    (tmp_path / "old").mkdir()
    # The older export must hold a day above 12 too: one whose dates all read both ways could be read
    # day first, unlike the newer one (ingest.whatsapp_date_order pins the order for such files).
    older = write(tmp_path / "old" / "WhatsApp Chat with Trail Runners.txt", lines[:16])  # up to "Jonas Weber left"
    newer = write(tmp_path / "WhatsApp Chat with Trail Runners.txt", lines)
    assert ingest_paths(corpus, [older], timezone="UTC").reports[0].messages_added == 13
    report = ingest_paths(corpus, [newer], timezone="UTC").reports[0]
    assert (report.messages_seen, report.messages_added) == (16, 3)
    assert len(corpus.threads()) == 1 and len(stored()) == 16


def test_zip_and_its_unpacked_folder_go_through_the_runner(tmp_path, ios_zip, corpus, stored, reimport_adds_nothing):
    result = ingest_paths(corpus, [ios_zip], timezone="UTC")
    assert result.ok, result.failures
    assert [(r.path, r.format, r.messages_added) for r in result.reports] == [(str(ios_zip), "whatsapp", 15)]
    folder = tmp_path / "unpacked" / "WhatsApp Chat - Sam Okafor"
    with zipfile.ZipFile(ios_zip) as zf:
        zf.extractall(folder)
    again = ingest_paths(corpus, [folder.parent], timezone="UTC")  # the .jpg is not reported as unknown
    assert again.ok and again.reports[0].messages_added == 0
    reimport_adds_nothing(PARSER, ios_zip)
    assert len(stored()) == 15


# ---- exports in other languages and damaged files ------------------------------------------------


def test_czech_and_russian_android_lines_as_real_exports_write_them(tmp_path):
    """Wordings quoted from real Czech and Russian exports: placeholder, attachment, location."""
    path = write(tmp_path / "WhatsApp Chat - Jana.txt", [
        "14.10.21 15:34 - Jana: <Média vynechány>",
        "14.10.21 15:35 - Jana: IMG-20211014-WA0003.jpg (soubor byl přiložen)",
        "14.10.21 15:36 - Jana: poloha: https://maps.google.com/?q=50.08,14.42",
        "14.10.21 15:37 - Ivan: <Без медиафайлов>",
        "14.10.21 15:38 - Ivan: IMG-20211014-WA0004.jpg (файл добавлен)",
        "14.10.21 15:39 - Ivan: Местоположение: https://maps.google.com/?q=55.75,37.62",
        "14.10.21 15:40 - Ivan: Данное сообщение удалено",
    ])
    _, messages = split(path)
    assert [(m.sender, str(m.kind), m.media, m.unsent) for m in messages] == [
        ("Jana", "media", "media", False), ("Jana", "media", "image", False), ("Jana", "media", "location", False),
        ("Ivan", "media", "media", False), ("Ivan", "media", "image", False), ("Ivan", "media", "location", False),
        ("Ivan", "text", None, True),
    ]
    assert messages[2].text == "https://maps.google.com/?q=50.08,14.42"


def test_android_null_for_a_view_once_photo_is_media_only_as_written(tmp_path):
    """Android has written `null` alone for a view-once photo (starkdmi/whats_json, russian_android.txt)."""
    path = write(tmp_path / "WhatsApp Chat - Ivan.txt", [
        "27.03.22 15:10 - Ivan: null",  # a new sender's first line: the classifying path
        "27.03.22 15:10 - Ivan: the photo above was view once",
        "27.03.22 15:11 - Ivan: null",  # a known sender's one-line text: the reader's fast path
        "27.03.22 15:12 - Jana: Null",
        "27.03.22 15:13 - Jana: null.",
        "27.03.22 15:14 - Jana: null pointer again",
    ])
    events = list(PARSER.parse(path))
    messages = [e for e in events if isinstance(e, ParsedMessage)]
    assert [(m.sender, str(m.kind), m.media, m.text, m.unsent) for m in messages] == [
        ("Ivan", "media", "media", "", False), ("Ivan", "text", None, "the photo above was view once", False),
        ("Ivan", "media", "media", "", False), ("Jana", "text", None, "Null", False),
        ("Jana", "text", None, "null.", False), ("Jana", "text", None, "null pointer again", False),
    ]
    assert not [e for e in events if isinstance(e, ParseWarning)]


def test_arabic_ios_header_with_marks_arabic_digits_and_arabic_comma(tmp_path):
    path = write(tmp_path / "WhatsApp Chat - Layla.txt", [
        "\u200f[١٤\u200f/١٠\u200f/٢٠٢١، ٣:٣٤:٠٩ م] Layla: مرحبا",
        "\u200e\u200f[١٥\u200f/١٠\u200f/٢٠٢١، ١٢:٠٥:٠٠ ص] Layla: \u200eلم يتم إدراج الصورة",
    ])
    _, messages = split(path)
    assert [(m.timestamp, str(m.kind), m.media) for m in messages] == [
        (datetime(2021, 10, 14, 15, 34, 9), "text", None), (datetime(2021, 10, 15, 0, 5), "media", "image")]


@pytest.mark.parametrize(("time", "expected"), [
    ("00:15 a. m.", (0, 15)), ("12:15 a. m.", (0, 15)), ("12:15 p. m.", (12, 15)), ("오후 3:34", (15, 34)),
    ("午前9:05", (9, 5)), ("下午3:34", (15, 34)), ("3:34 μ.μ.", (15, 34)), ("3:34\u202fPM", (15, 34)),
    ("3:34 ب.ظ", (15, 34)), ("3:34 ب.ظ.", (15, 34)), ("9:05 ق.ظ.", (9, 5)),  # Persian, with CLDR's final dot
])
def test_twelve_hour_markers_of_many_locales(tmp_path, time, expected):
    path = write(tmp_path / "WhatsApp Chat - Sol.txt", [f"14/10/2021, {time} - Sol: hola"])
    (message,) = split(path)[1]
    assert (message.timestamp.hour, message.timestamp.minute) == expected


@pytest.mark.parametrize("lines", [
    ["[14/10/2021, 3:34:09\u200e PM] Maya: a - b", "[14/10/2021, 3:35:09 PM] Jo: c",
     "[14/10/2021\u200e, 3:36:09 PM\u200e] Jo: d"],
    ["10/14/21, 3:34 PM \u200e- Maya: a - b", "10/14/21, 3:35 PM - Jo: c",
     "\u200e10/14/21\u200e, 3:36\u200e PM - Jo: d"],
    ["10/14/21, 3:34 PM - Maya: a - b", "10/14/21, 3:35 PM \u200f- Jo: c",
     "10/14/21, 3:36\u200e PM \u200e- Jo: d"],
    ["[14/10/2021, 3:34:09 PM] Maya: a - b", "[14/10/2021,\u00a03:35:09\u00a0PM] \u200eJo: c",
     "\u200e[\u200e14/10/2021, 3:36:09\u200e PM] Jo: d"],
], ids=["ios", "android-first-line-marked", "android-later-lines-marked", "ios-no-break-spaces"])
def test_direction_marks_and_other_spaces_anywhere_in_a_header(tmp_path, lines):
    """Marks before the space before PM, before the dash, after the date, and no-break spaces: in any line."""
    _, messages = split(write(tmp_path / "WhatsApp Chat - Maya.txt", lines))
    assert [(m.timestamp.minute, m.sender, m.text) for m in messages] == [(34, "Maya", "a - b"), (35, "Jo", "c"),
                                                                          (36, "Jo", "d")]
    assert messages[0].timestamp.hour == 15


def test_buddhist_years_of_thai_phones(tmp_path):
    (message,) = split(write(tmp_path / "WhatsApp Chat - Niran.txt", ["14/10/2564 15:34 - Niran: สวัสดี"]))[1]
    assert message.timestamp == datetime(2021, 10, 14, 15, 34)


def test_islamic_hijri_years_are_refused_not_read_as_another_date(tmp_path):
    lines = [f"\u200f[{d}\u200f/03\u200f/1445، 3:34:0{d} م] Omar: مرحبا" for d in range(1, 5)]
    with pytest.raises(ParseError) as error:
        list(PARSER.parse(write(tmp_path / "WhatsApp Chat - Omar.txt", lines)))
    assert "line 1" in str(error.value) and "1445" in str(error.value)


def test_a_file_mostly_in_another_layout_is_refused_naming_its_lines(tmp_path):
    """Not one message of 6 lines stamped with the first line's date: the file is refused, nothing stored."""
    lines = ["14/10/21, 15:34 - Maya: first"] + [f"14/10/21 15:{35 + i} Ben: line {i}" for i in range(5)]
    with pytest.raises(ParseError) as error:
        list(PARSER.parse(write(tmp_path / "WhatsApp Chat - Maya.txt", lines)))
    assert "line 2" in str(error.value) and "nothing was stored" in str(error.value)


def test_a_file_mostly_dated_with_month_names_is_refused(tmp_path):
    """A converter's layout that no WhatsApp header reads: its lines would all go on the first message."""
    lines = ["14/10/2021, 15:34 - Maya: first"] + [f"Oct 14, 2021 at 3:0{i} PM - Jo: message {i}" for i in range(5)]
    with pytest.raises(ParseError) as error:
        list(PARSER.parse(write(tmp_path / "WhatsApp Chat with Maya.txt", lines)))
    assert error.value.location == "line 2" and "lines 2, 3, 4" in str(error.value)
    assert error.value.found == "Oct 14, 2021 at 3:00 PM - Jo: message 0"


def test_a_long_poem_in_one_message_is_kept(tmp_path):
    """Many lines that go on one message are no sign of another layout, even with dates and times in them."""
    poem = [f"verse {i}: on Oct {i + 1}, 2021 at 3:{i:02d} PM the bells rang - and rang" for i in range(40)]
    lines = ["14/10/2021, 15:34 - Maya: a poem for you", *poem, "14/10/2021, 15:40 - Jo: wow"]
    events = list(PARSER.parse(write(tmp_path / "WhatsApp Chat with Maya.txt", lines)))
    messages = [e for e in events if isinstance(e, ParsedMessage)]
    assert [len(m.text.split("\n")) for m in messages] == [41, 1]
    assert not [e for e in events if isinstance(e, ParseWarning)]


def test_a_few_dated_lines_in_another_layout_are_reported(tmp_path):
    lines = [f"14/10/21, 15:{10 + i} - Maya: message {i}" for i in range(8)] + ["[14/10/2021, 15:35:00] Ben: odd"]
    events = list(PARSER.parse(write(tmp_path / "WhatsApp Chat - Maya.txt", lines)))
    warnings = [e for e in events if isinstance(e, ParseWarning)]
    assert [w.location for w in warnings] == ["line 9"] and "do not match" in warnings[0].message
    assert sum(isinstance(e, ParsedMessage) for e in events) == 8  # the odd line stays in the message before it


def test_placeholders_in_an_unknown_wording_are_kept_as_text_and_reported(tmp_path):
    lines = ["14/10/21, 15:34 - Maya: <Mediji nisu uključeni>", "14/10/21, 15:35 - Maya: <Mediji nisu uključeni>",
             "14/10/21, 15:36 - Maya: ok"]
    events = list(PARSER.parse(write(tmp_path / "WhatsApp Chat - Maya.txt", lines)))
    assert [e.text for e in events if isinstance(e, ParsedMessage)][:1] == ["<Mediji nisu uključeni>"]
    (warning,) = [e for e in events if isinstance(e, ParseWarning)]
    assert "2 message(s)" in warning.message and "<Mediji nisu uključeni>" in warning.message


def test_ios_marked_texts_in_an_unknown_wording_are_their_senders_media_and_reported(tmp_path):
    """iOS marks placeholders and notices alike: a short phrase after `Name:` is the sender's, never a system line."""
    path = write(tmp_path / "WhatsApp Chat - Trip.txt", [
        "[14/10/2021, 15:00:00] Trip: \u200eMesajele și apelurile sunt criptate integral. Nimeni nu le poate citi.",
        "[14/10/2021, 15:00:01] Trip: \u200eMaya a adăugat-o pe Ana",  # an event, "from" the group's name
        "[14/10/2021, 15:10:09] Maya: \u200eautocolant omis",
        "[14/10/2021, 15:11:09] Ana: \u200eview once voice message omitted\nso you hear it once",
        "[14/10/2021, 15:12:09] Maya: \u200eimagen ausente",
        "[14/10/2021, 15:13:09] Maya: \u200eThis message was deleted.",
    ])
    events = list(PARSER.parse(path))
    messages = [e for e in events if isinstance(e, ParsedMessage)]
    assert [(m.sender, str(m.kind), m.media, m.text, m.unsent) for m in messages] == [
        (None, "system", None, "Mesajele și apelurile sunt criptate integral. Nimeni nu le poate citi.", False),
        (None, "system", None, "Maya a adăugat-o pe Ana", False),
        ("Maya", "media", None, "", False), ("Ana", "media", None, "so you hear it once", False),
        ("Maya", "media", None, "", False), ("Maya", "text", None, "", True),
    ]
    (warning,) = [e for e in events if isinstance(e, ParseWarning)]
    assert warning.message.startswith("3 message(s)")
    assert "2021-10-14 15:10:09 Maya: 'autocolant omis'" in warning.message
    assert events[-1].participants == ("Maya", "Ana")


def test_in_a_one_to_one_chat_the_contact_named_like_the_chat_keeps_its_placeholders(tmp_path):
    """Only the group's name writes events "from" itself; a contact who has written keeps their media."""
    path = write(tmp_path / "WhatsApp Chat - Maya.txt", [
        "[14/10/2021, 15:00:00] Maya: \u200eMesajele și apelurile sunt criptate integral. Nimeni nu le poate citi.",
        "[14/10/2021, 15:10:09] Maya: salut",
        "[14/10/2021, 15:11:09] Maya: \u200eautocolant omis",
    ])
    assert [(m.sender, str(m.kind)) for m in split(path)[1]] == [(None, "system"), ("Maya", "text"), ("Maya", "media")]


def test_turkish_and_no_break_space_android_placeholders(tmp_path):
    """Turkish exports write "<Medya dahil edilmedi>"; some apps put a no-break space inside "<Media omitted>"."""
    path = write(tmp_path / "WhatsApp Chat - Ayşe.txt", [
        "14.10.2021 15:34 - Ayşe: <Medya dahil edilmedi>",
        "14.10.2021 15:35 - Ayşe: <Media\u00a0omitted>",
        "14.10.2021 15:36 - Ayşe: <Media\u202fomitted>",
        "14.10.2021 15:37 - Ayşe: yarın gel <Bu mesaj düzenlendi>",
    ])
    events = list(PARSER.parse(path))
    messages = [e for e in events if isinstance(e, ParsedMessage)]
    assert [(str(m.kind), m.media, m.text, m.edited) for m in messages] == [
        ("media", "media", "", False), ("media", "media", "", False), ("media", "media", "", False),
        ("text", None, "yarın gel", True),
    ]
    assert not [e for e in events if isinstance(e, ParseWarning)]


def test_bytes_that_are_not_utf8_are_counted_in_a_warning(tmp_path):
    path = tmp_path / "WhatsApp Chat - Maya.txt"
    path.write_bytes(b"14/10/21, 15:34 - Maya: caf\xe9 ok\n14/10/21, 15:35 - Maya: na\xefve\n")
    events = list(PARSER.parse(path))
    (warning,) = [e for e in events if isinstance(e, ParseWarning)]
    assert warning.message.startswith("2 character(s) were not UTF-8")


def test_a_chat_in_unknown_script_is_never_taken_for_writings(tmp_path):
    """Dated lines in any digits are a chat: the writings parser (which dates by file time) leaves them."""
    from assistant.ingest.parsers.writings import WritingsParser

    path = write(tmp_path / "notes.txt", [f"\u200f[١٤\u200f/١٠\u200f/٢٠٢١ ٣:{i}٤] ?? {i}" for i in range(5)])
    assert WritingsParser().detect(path) < 0.2
