"""The review screen on threads of live sources: what `predraft live` imports and drafts shows up in the open
review, and `s` hands a draft to the thread's source only after a yes, only where the person allowed it.
Scripted model and list index, a real Maildir in tmp, a Matrix thread that never reaches the network: seconds."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from tui_support import settle

from assistant.config import load_settings
from assistant.corpus.models import ParsedMessage, ParsedThread
from assistant.ingest.live.base import state_file, write_json
from assistant.ingest.live.maildir import MaildirSource
from assistant.tui.app import review_app
from assistant.tui.screens.confirm import ConfirmScreen
from assistant.tui.screens.review import FROM_EXPORT, ReviewScreen
from assistant.tui.widgets.thread_list import ThreadList
from assistant.tui.widgets.transcript import Transcript
from graphs.predraft.api import DraftChain
from graphs.predraft.live import sync
from tests.unit.graphs.graph_doubles import PAST_EXCHANGES, ListIndex, ScriptedBackend, WordsEmbedder
from tests.worlds.tiny import build_corpus

pytestmark = pytest.mark.anyio

MAIL = ("From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {date}\nMessage-ID: <{id}@example.org>\n"
        "{thread}\n{text}\n")
MAYA, ALEX = "Maya Chen <maya@example.org>", "Alex Rivera <alex@example.org>"
MATRIX_ACCOUNT, ROOM = "@alex:localhost@http://127.0.0.1:9", "!dinner:localhost"  # port 9: nothing listens


class UpdatingListIndex(ListIndex):
    """The fixed evidence list; a sync's index update has nothing to embed."""

    def __init__(self) -> None:
        super().__init__(list(PAST_EXCHANGES), WordsEmbedder())

    def update(self, corpus, policy) -> None:
        pass


def mail(n: int, text: str, *, mine: bool = False, subject: str = "dinner friday", answers: int | None = None) -> bytes:
    thread = f"In-Reply-To: <{answers}@example.org>\nReferences: <1@example.org> <{answers}@example.org>\n" \
        if answers else ""
    return MAIL.format(sender=ALEX if mine else MAYA, to=MAYA if mine else ALEX, id=n, thread=thread, text=text,
                       subject=f"Re: {subject}" if answers else subject,
                       date=f"Mon, 04 Mar 2024 18:{n:02d}:00 +0000").encode()


@pytest.fixture
def settings(data_dir: Path):
    return load_settings(data_dir, {"ingest": {"timezone": "UTC"},
                                    "draft": {"confidence_threshold": 0.0, "past_replies": 0, "depth": 2}})


def live_chain(settings) -> DraftChain:
    """`predraft live` in another process."""
    return DraftChain(settings, backend=ScriptedBackend(), index=UpdatingListIndex())


@pytest.fixture
def maildir(settings, tmp_path: Path) -> Path:
    """Maya's mail and Alex's answer as history, then her question: a chain waits in "dinner friday"."""
    root = mailbox.Maildir(tmp_path / "Mail", create=True)
    root.add(mail(1, "are you coming on friday?"))
    root.add_folder("Sent").add(mail(2, "yes! what time?", mine=True, answers=1))
    with live_chain(settings) as chain:
        source = MaildirSource(tmp_path / "Mail")
        sync(chain, source)  # the history
        chain.corpus.set_me("Alex Rivera")
        root.add(mail(3, "tonight at 8, bring the speaker", answers=2))
        [update] = sync(chain, source).updates
        assert update.outcome == "new_chain"
    return tmp_path / "Mail"


def app_on(settings, thread: str, backend: ScriptedBackend | None = None):
    return review_app(settings, open_ref=thread, backend=backend or ScriptedBackend(), index=UpdatingListIndex(),
                      clock=lambda: datetime(2024, 3, 5, tzinfo=UTC), tz=UTC)


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


def transcript_lines(screen: ReviewScreen) -> list[str]:
    return [str(line.render()) for line in screen.query_one(Transcript).children]


def drafts_folder(maildir: Path) -> list[Path]:
    return sorted((maildir / ".Drafts" / "new").iterdir()) if (maildir / ".Drafts").exists() else []


async def test_what_live_imports_and_drafts_shows_in_the_open_review(settings, maildir):
    backend = ScriptedBackend()
    app = app_on(settings, "dinner friday", backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("a")  # depth 2: Maya's answer is predicted and Alex's reply to it pre-drafted
        await settle(pilot)
        predicted, predraft = screen.view.predicted_incoming, [c.text for c in screen.view.candidates]
        assert predicted and predraft
        await pilot.press("s")  # that reply answers a message nobody wrote yet
        assert any("has not arrived yet" in n for n in notes(app)) and not drafts_folder(maildir)

        root, source = mailbox.Maildir(maildir, create=False), MaildirSource(maildir)
        with live_chain(settings) as live:
            root.get_folder("Sent").add(mail(4, "see you there", mine=True, answers=3))
            assert sync(live, source).updates[0].outcome == "your_turn_taken"  # news, but no chain changed
            screen._follow_other_processes()  # what the screen's timer does every few seconds
            assert "see you there" in transcript_lines(screen)[-1]

            root.add(mail(5, predicted, answers=4))  # Maya says what was predicted
            root.add(mail(6, "did you get my book back?", subject="the book"))  # and starts another thread
            calls = len(backend.calls)
            outcomes = {u.title: u.outcome for u in sync(live, source).updates}
            assert outcomes == {"dinner friday": "hit", "the book": "new_chain"}
            screen._follow_other_processes()

        assert predicted.splitlines()[0] in transcript_lines(screen)[-1]
        assert screen.view.hit and [c.text for c in screen.view.candidates] == predraft  # served, not drafted
        assert len(backend.calls) == calls  # the review called no model for it
        book = next(i for i in screen.items if i.title == "the book")
        assert book.pending and "2 ●" in str(screen.query_one(ThreadList).border_title)


async def test_s_writes_the_reply_into_drafts_after_a_yes(settings, maildir):
    app = app_on(settings, "dinner friday")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        chosen = screen.view.candidates[0].text
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and ".Drafts" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and not drafts_folder(maildir) and "Not sent." in notes(app)

        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        [draft_file] = drafts_folder(maildir)
        draft = message_from_bytes(draft_file.read_bytes(), policy=policy.default)
        assert (draft["To"], draft.get_content().strip()) == (MAYA, chosen)
        assert screen.view.step == 1  # recorded as accepted: the chain went on
        assert any("recorded as your answer" in n for n in notes(app))
    with live_chain(settings) as chain:
        [decision] = chain.feedback.decisions()
        assert (decision.action, decision.final_text) == ("accept", chosen)


async def test_s_in_a_thread_from_an_export_says_to_copy_instead(data_dir, settings):
    build_corpus(settings.corpus_path).close()
    app = app_on(settings, "Maya")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and FROM_EXPORT in notes(app)


async def test_s_sends_to_a_matrix_room_only_where_allowed_and_asks_first(settings):
    with live_chain(settings) as chain:  # a room `predraft live matrix` imported, and its stored login
        thread = ParsedThread(key=ROOM, platform="matrix", title="dinner", participants=("Alex", "Maya"))
        words = [("Alex", "dinner friday?"), ("Maya", "yes! what time?"), ("Maya", "are you coming?")]
        chain.corpus.import_events(f"matrix:{MATRIX_ACCOUNT}", "batch-1", "matrix", [thread, *(
            ParsedMessage(ROOM, who, datetime(2024, 3, 4, 18, n, tzinfo=UTC), text, message_id=f"$e{n}")
            for n, (who, text) in enumerate(words))], UTC)
        chain.corpus.set_me("Alex")
    write_json(state_file(settings.data_dir, "matrix", MATRIX_ACCOUNT, "session"),
               {"device_id": "D", "access_token": "t"})
    rooms = state_file(settings.data_dir, "matrix", MATRIX_ACCOUNT, "rooms")
    app = app_on(settings, "dinner")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert any(f"--allow-send {ROOM}" in n for n in notes(app))

        write_json(rooms, {"follow": [ROOM], "send": [ROOM]})  # `--allow-send` in another run
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.question == "Send to dinner as @alex:localhost?"
        await pilot.press("escape")
        await settle(pilot)
        assert "Not sent." in notes(app)

        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")  # sent to a homeserver that is down: refused, the drafts stay
        await settle(pilot)
        assert any("cannot reach the homeserver" in n for n in notes(app))
        assert app.screen.view.step == 0 and app.screen.view.candidates
    with live_chain(settings) as chain:
        assert list(chain.feedback.decisions()) == []  # nothing went out, so nothing is recorded
