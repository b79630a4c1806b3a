"""A newer export of a chat already imported adds only its new messages: when its dates read both ways, when a
message was edited since, and when no file name names the chat (iOS's `_chat.txt`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.corpus import Corpus, ParsedMessage, ParsedThread
from assistant.ingest.registry import get_parser
from assistant.ingest.runner import ingest_paths

ANN = "WhatsApp Chat with Ann.txt"
UNPROVEN = [f"10/{day:02}/21, 9:0{day % 10} AM - Ann: day {day}" for day in range(1, 13)]  # October, days 1 to 12
PROVEN = [*UNPROVEN, "10/13/21, 9:00 AM - Ann: day 13"]  # "13" can only be a day: month first


def export(folder: Path, lines: list[str], name: str = ANN) -> Path:
    """An export as WhatsApp names it, in its own folder: re-exports of a chat share the file name."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest(corpus: Corpus, path: Path):
    result = ingest_paths(corpus, [path], timezone="UTC")
    assert result.ok, result.failures
    return result.reports[0]


def date_warnings(report) -> list[str]:
    return [w.message for w in report.warnings if w.location == "dates"]


@pytest.fixture(autouse=True)
def default_date_order(monkeypatch):
    monkeypatch.setattr(get_parser("whatsapp"), "date_order", "auto")


# ---- day/month order --------------------------------------------------------------------------------


def test_dates_that_read_both_ways_are_read_day_first_with_a_warning_saying_how_to_mend(tmp_path, corpus, stored):
    report = ingest(corpus, export(tmp_path / "c", UNPROVEN))
    (warning,) = date_warnings(report)
    assert "whether 10/01/21 is day or month first: it was read day first, the default" in warning
    assert "`predraft sources remove FILE --yes && predraft ingest --date-order mdy FILE`" in warning
    assert stored()[0].timestamp == datetime(2021, 1, 10, 9, 1, tzinfo=UTC)


def test_a_file_that_proves_the_other_order_names_the_files_read_wrong(tmp_path, corpus, stored):
    older = export(tmp_path / "c", UNPROVEN)
    ingest(corpus, older)
    report = ingest(corpus, export(tmp_path / "d", PROVEN))
    (warning,) = date_warnings(report)
    assert warning.startswith("this file proves the chat's dates are month first, but earlier files of it were "
                              f"read day first without proof ({older}):")
    assert "--date-order mdy" in warning
    assert len(stored()) == 12 + 12  # nothing stored is rewritten: the report says what to do
    assert len(corpus.threads()) == 1


def test_dates_that_read_both_ways_follow_the_order_an_earlier_export_proved(tmp_path, corpus, stored):
    assert date_warnings(ingest(corpus, export(tmp_path / "d", PROVEN))) == []
    report = ingest(corpus, export(tmp_path / "later", [*UNPROVEN[5:], "11/01/21, 9:00 AM - Ann: next month"]))
    assert (report.messages_added, date_warnings(report)) == (1, [])
    assert stored()[-1].timestamp == datetime(2021, 11, 1, 9, 0, tzinfo=UTC)


def test_a_setting_that_reads_a_chat_otherwise_than_before_says_so(tmp_path, corpus, monkeypatch):
    older = export(tmp_path / "c", UNPROVEN)
    ingest(corpus, older)
    monkeypatch.setattr(get_parser("whatsapp"), "date_order", "mdy")
    report = ingest(corpus, export(tmp_path / "again", [*UNPROVEN, "10/12/21, 9:30 AM - Ann: later"]))
    unproven, misread = date_warnings(report)
    assert "it was read month first, as --date-order (ingest.whatsapp_date_order) says" in unproven
    assert f"but earlier files of the chat were read day first ({older}): one of the two is wrong" in misread


# ---- edits -------------------------------------------------------------------------------------------


MAYA = "WhatsApp Chat with Maya.txt"
BEFORE_EDIT = ["12/10/2021, 15:34 - Maya: hi", "12/10/2021, 15:37 - Jo: typo msg", "12/10/2021, 15:37 - Jo: and more"]


def test_an_edit_made_between_exports_replaces_the_stored_text(tmp_path, corpus, stored):
    ingest(corpus, export(tmp_path / "a", BEFORE_EDIT, MAYA))
    edited = ["12/10/2021, 15:34 - Maya: hi", "12/10/2021, 15:37 - Jo: fixed msg <This message was edited>",
              "12/10/2021, 15:37 - Jo: and more", "13/10/2021, 09:00 - Jo: new one"]
    report = ingest(corpus, export(tmp_path / "b", edited, MAYA))
    assert (report.messages_added, report.messages_updated) == (1, 1)
    assert [(m.text, m.edited) for m in stored()] == [
        ("hi", False), ("fixed msg", True), ("and more", False), ("new one", False)]
    later = ingest(corpus, export(tmp_path / "c", [*edited, "13/10/2021, 09:05 - Maya: newer"], MAYA))
    assert (later.messages_added, later.messages_updated) == (1, 0)


def test_two_edits_of_one_sender_at_one_time_stay_as_stored(tmp_path, corpus, stored):
    ingest(corpus, export(tmp_path / "a", BEFORE_EDIT, MAYA))
    both = ["12/10/2021, 15:34 - Maya: hi", "12/10/2021, 15:37 - Jo: fixed <This message was edited>",
            "12/10/2021, 15:37 - Jo: and much more <This message was edited>"]
    report = ingest(corpus, export(tmp_path / "b", both, MAYA))
    assert (report.messages_added, report.messages_updated) == (2, 0)  # which replaces which is not known
    assert len(stored()) == 5


# ---- chats no file name names --------------------------------------------------------------------------


FIRST = ["[12/10/2021, 15:34:00] Maya: hi", "[12/10/2021, 15:35:00] Jo: hey"]
LATER = [*FIRST, "[13/10/2021, 15:35:00] Lea: I'm new here", "[13/10/2021, 15:36:00] Jo: welcome"]


def test_an_unnamed_chat_keeps_its_thread_when_someone_joins(tmp_path, corpus, stored):
    ingest(corpus, export(tmp_path / "e1", FIRST, "_chat.txt"))
    report = ingest(corpus, export(tmp_path / "e2", LATER, "_chat.txt"))
    (thread,) = corpus.threads()
    assert report.messages_added == 2 and len(stored()) == 4
    assert (thread.key, thread.participants, thread.is_group) == (
        "first:Maya|2021|10|12|15:34:00", ("Maya", "Jo", "Lea"), True)


def test_an_unnamed_chat_keyed_by_its_participants_before_keeps_that_key(tmp_path, corpus):
    def as_older_versions_stored_it():
        key = "participants:Jo|Maya"
        yield ParsedThread(key, "whatsapp", "Maya, Jo")
        yield ParsedMessage(key, "Maya", datetime(2021, 10, 12, 15, 34), "hi")
        yield ParsedMessage(key, "Jo", datetime(2021, 10, 12, 15, 35), "hey")

    corpus.import_events("_chat.txt", "sha-old", "whatsapp", as_older_versions_stored_it(), UTC)
    report = ingest(corpus, export(tmp_path / "e1", [*FIRST, "[12/10/2021, 15:40:00] Maya: bye"], "_chat.txt"))
    assert report.messages_added == 1
    assert [t.key for t in corpus.threads()] == ["participants:Jo|Maya"]


def test_an_unnamed_chat_read_in_either_day_month_order_keeps_its_key(tmp_path, corpus):
    ingest(corpus, export(tmp_path / "c", UNPROVEN, "_chat.txt"))
    ingest(corpus, export(tmp_path / "d", PROVEN, "_chat.txt"))
    assert [t.key for t in corpus.threads()] == ["first:Ann|2021|1|10|09:01:00"]
