"""Taking an imported file back (`assistant.corpus.sources`): what goes, which files are read again, and what
reading one again stores (only what went, as its own) and leaves alone (newer titles and edits)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.corpus import Corpus, ParsedMessage, ParsedThread
from assistant.corpus.sources import (
    delete_source,
    find_source,
    finish_removal,
    list_sources,
    plan_removal,
    restore,
)
from assistant.corpus.store import CorpusError

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2021, 3, 4, 10, 0)
PLATFORM_OF = {"whatsapp": "whatsapp", "telegram": "telegram"}


def chat(texts, key="maya", title="Maya", platform="whatsapp", ids=False):
    """A chat's events: one message a minute from START, alternately Maya's and Alex's."""
    yield ParsedThread(key=key, platform=platform, title=title, participants=("Maya", "Alex"))
    for i, text in enumerate(texts):
        yield ParsedMessage(thread_key=key, sender="Maya" if i % 2 else "Alex", timestamp=START + timedelta(minutes=i),
                            text=text, message_id=f"m{i}" if ids else None)


OLD = [f"message {i}" for i in range(10)]
NEW = [f"message {i}" for i in range(15)]  # a later export of the same chat: the old one and five more


@pytest.fixture
def corpus(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as c:
        yield c


def remove(corpus, ref, read_again):
    """Remove `ref` as the runner does, reading each file of `read_again` ({path: events}) again."""
    plan = plan_removal(corpus, find_source(corpus, ref), PLATFORM_OF)
    with corpus.transaction() as db:
        threads_before = db.execute("SELECT max(id) FROM threads").fetchone()[0]
        missing = delete_source(corpus, plan.source)
        counts = {r.path: restore(corpus, r, read_again[r.path], BERLIN, missing)
                  for r in plan.sharing if r.path in read_again}
        outcome = finish_removal(corpus, plan, missing, threads_before)
    return plan, counts, outcome


def texts(corpus):
    return [m.text for t in corpus.threads() for m in corpus.messages(t.id)]


def test_an_import_records_the_threads_it_names_and_its_timezone(corpus):
    report = corpus.import_events("a.txt", "sha-a", "whatsapp", chat(OLD), BERLIN)
    assert (report.details()["thread_keys"], report.details()["timezone"]) == ([("whatsapp", "maya")], "Europe/Berlin")
    (record,) = list_sources(corpus)
    assert (record.path, record.messages_added, record.timezone, record.names_its_threads) == (
        "a.txt", 10, "Europe/Berlin", True)
    assert [t.title for t in record.threads] == ["Maya"]


def test_removing_the_older_of_two_overlapping_files_keeps_every_message_of_the_newer_as_its_own(corpus):
    corpus.import_events("old.txt", "sha-old", "whatsapp", chat(OLD), BERLIN)
    corpus.import_events("new.txt", "sha-new", "whatsapp", chat(NEW), BERLIN)

    plan, counts, outcome = remove(corpus, "old.txt", {"new.txt": chat(NEW)})

    assert (plan.messages, [r.path for r in plan.sharing], plan.emptied) == (10, ["new.txt"], ())
    assert counts == {"new.txt": (10, 0)}
    assert (outcome.lost, outcome.emptied) == ({}, ())
    assert texts(corpus) == NEW
    (new,) = list_sources(corpus)
    assert (new.messages_added, new.messages_seen) == (15, 15)
    assert {r[0] for r in corpus.db.execute("SELECT source_id FROM messages")} == {new.id}


def test_a_file_that_stored_nothing_of_a_chat_is_read_again_for_it(corpus):
    corpus.import_events("new.txt", "sha-new", "whatsapp", chat(NEW), BERLIN)
    corpus.import_events("old.txt", "sha-old", "whatsapp", chat(OLD), BERLIN)  # an older export, imported after

    plan, counts, outcome = remove(corpus, "new.txt", {"old.txt": chat(OLD)})

    assert [r.path for r in plan.sharing] == ["old.txt"]
    assert counts == {"old.txt": (10, 0)}
    assert (sum(outcome.lost.values()), outcome.emptied) == (5, ())
    assert texts(corpus) == OLD


def test_files_recorded_before_records_named_threads_are_read_again_if_of_the_same_platform(corpus):
    corpus.import_events("new.txt", "sha-new", "whatsapp", chat(NEW), BERLIN)
    corpus.import_events("old.txt", "sha-old", "whatsapp", chat(OLD), BERLIN)
    corpus.import_events("sam.json", "sha-sam", "telegram", chat(["hi"], key="sam", platform="telegram"), BERLIN)
    corpus.db.execute("UPDATE sources SET report = json_remove(report, '$.thread_keys', '$.timezone')")

    plan = plan_removal(corpus, find_source(corpus, "new.txt"), PLATFORM_OF)

    assert [(r.path, r.names_its_threads, r.timezone) for r in plan.sharing] == [("old.txt", False, None)]


def test_a_thread_no_other_file_holds_is_removed_and_its_people_stay(corpus):
    corpus.import_events("maya.txt", "sha-m", "whatsapp", chat(OLD), BERLIN)
    corpus.import_events("sam.txt", "sha-s", "whatsapp", chat(["yo"], key="sam", title="Sam"), BERLIN)

    plan, counts, outcome = remove(corpus, "maya.txt", {})

    assert ([t.title for t in plan.emptied], plan.sharing, counts) == (["Maya"], (), {})
    assert ([t.title for t in outcome.emptied], sum(outcome.lost.values())) == (["Maya"], 10)
    assert [t.title for t in corpus.threads()] == ["Sam"]
    assert {p.name for p in corpus.people()} == {"Maya", "Alex"}
    assert [s.path for s in list_sources(corpus)] == ["sam.txt"]


def test_files_are_read_again_newest_first_and_change_no_title_or_edit_stored(corpus):
    corpus.import_events("a.json", "sha-a", "telegram", chat(OLD, platform="telegram", ids=True), BERLIN)
    corpus.import_events("b.json", "sha-b", "telegram", chat(NEW, platform="telegram", ids=True), BERLIN)
    edited = [*NEW[:3], "message 3, edited", *NEW[4:12], "message 12, edited", *NEW[13:]]  # one of a's, one of b's
    corpus.import_events("c.json", "sha-c", "telegram", chat(edited, title="Maya C.", platform="telegram", ids=True),
                         BERLIN)

    _, counts, _ = remove(corpus, "a.json", {"b.json": chat(NEW, platform="telegram", ids=True),
                                             "c.json": chat(edited, platform="telegram", ids=True)})

    assert counts == {"c.json": (10, 0), "b.json": (0, 0)}  # the newest file first: its edit is the latest
    assert texts(corpus) == edited
    assert corpus.threads()[0].title == "Maya C."


def test_messages_a_file_gives_that_the_corpus_never_held_are_counted_not_stored(corpus):
    corpus.import_events("old.txt", "sha-old", "whatsapp", chat(OLD), BERLIN)
    corpus.import_events("new.txt", "sha-new", "whatsapp", chat(NEW), BERLIN)
    shifted = [ParsedMessage(e.thread_key, e.sender, e.timestamp + timedelta(hours=1), e.text)
               if isinstance(e, ParsedMessage) else e for e in chat(NEW)]  # read in another timezone than at import

    _, counts, outcome = remove(corpus, "old.txt", {"new.txt": shifted})

    assert counts == {"new.txt": (0, 15)}
    assert (sum(outcome.lost.values()), texts(corpus)) == (10, NEW[10:])


def test_a_nested_transaction_rolls_back_alone(corpus):
    corpus.import_events("a.txt", "sha-a", "whatsapp", chat(OLD), BERLIN)
    with corpus.transaction() as db:
        db.execute("DELETE FROM messages WHERE text = 'message 0'")
        with pytest.raises(ZeroDivisionError), corpus.transaction():
            db.execute("DELETE FROM messages")
            raise ZeroDivisionError
    assert texts(corpus) == OLD[1:]


def test_a_file_is_found_by_id_or_path_and_an_unknown_one_lists_what_there_is(corpus, tmp_path, monkeypatch):
    corpus.import_events("exports/a.txt", "sha-a", "whatsapp", chat(OLD), BERLIN)
    corpus.import_events("exports/a.txt", "sha-a2", "whatsapp", chat(NEW), BERLIN)  # changed, imported again
    corpus.import_events(str(tmp_path / "b.txt"), "sha-b", "whatsapp", chat(["hi"], key="b"), BERLIN)
    monkeypatch.chdir(tmp_path)

    assert find_source(corpus, "3").path == str(tmp_path / "b.txt")
    assert find_source(corpus, "b.txt").id == 3  # the same file, named relative to the folder it is in
    with pytest.raises(CorpusError, match=r"'exports/a.txt' was imported 2 times \(ids 1, 2\): name one by its id"):
        find_source(corpus, "exports/a.txt")
    with pytest.raises(CorpusError, match=rf"^no imported file '9'; imported: 1: exports/a.txt; 2: exports/a.txt; "
                                          rf"3: {tmp_path}/b.txt \(`predraft sources` lists them\)$"):
        find_source(corpus, "9")
