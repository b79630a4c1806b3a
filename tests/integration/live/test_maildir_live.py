"""`predraft live maildir` on real Maildir folders: new mail is pre-drafted, an accepted reply lands in Drafts."""

from __future__ import annotations

import mailbox
import os
import re
import stat
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from assistant.ingest.live.base import Cursor, LiveError
from assistant.ingest.live.maildir import MaildirSource
from graphs.predraft.live import accept, sync
from tests.integration.cli.cli_support import PREDRAFT

HISTORY = [  # (folder, raw mail): Maya writes, Alex answers from Sent
    ("INBOX", "From: Maya Chen <maya@example.org>\nTo: Alex Rivera <alex@example.org>\nSubject: dinner friday\n"
              "Date: Mon, 04 Mar 2024 18:00:00 +0000\nMessage-ID: <m1@example.org>\n\nare you coming on friday?\n"),
    ("Sent", "From: Alex Rivera <alex@example.org>\nTo: Maya Chen <maya@example.org>\nSubject: Re: dinner friday\n"
             "Date: Mon, 04 Mar 2024 18:30:00 +0000\nMessage-ID: <a1@example.org>\nIn-Reply-To: <m1@example.org>\n"
             "References: <m1@example.org>\n\nyes! what time?\n"),
]
NEW_MAIL = ("From: Maya Chen <maya@example.org>\nTo: Alex Rivera <alex@example.org>\nSubject: Re: dinner friday\n"
            "Date: Tue, 05 Mar 2024 09:00:00 +0000\nMessage-ID: <m2@example.org>\nIn-Reply-To: <a1@example.org>\n"
            "References: <m1@example.org> <a1@example.org>\n\ntonight at 8, bring the speaker\n")


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = mailbox.Maildir(tmp_path / "Mail", create=True)
    sent = root.add_folder("Sent")
    for folder, raw in HISTORY:
        (root if folder == "INBOX" else sent).add(raw.encode())
    return tmp_path / "Mail"


@pytest.fixture
def caught_up(live_chain, maildir: Path):
    """The first sync imports the history; Alex is marked as the user."""
    source = MaildirSource(maildir)
    first = sync(live_chain, source)
    assert first.backfill and first.report.messages_added == 2 and first.updates == []
    live_chain.corpus.set_me("Alex Rivera")
    return source


def deliver_new_mail(maildir: Path, raw: str = NEW_MAIL) -> None:
    mailbox.Maildir(maildir, create=False).add(raw.encode())


def drafts(maildir: Path) -> list[Path]:
    return sorted((maildir / ".Drafts" / "new").iterdir()) if (maildir / ".Drafts").exists() else []


def test_a_new_mail_is_predrafted_and_the_accepted_reply_lands_in_drafts(live_chain, caught_up, maildir):
    deliver_new_mail(maildir)
    result = sync(live_chain, caught_up)
    assert not result.backfill and result.report.messages_added == 1
    [update] = result.updates
    assert (update.title, update.new_messages, update.outcome) == ("dinner friday", 1, "new_chain")
    assert update.view.prompt.endswith("tonight at 8, bring the speaker\nMe:")

    where = accept(live_chain, caught_up, update.view, 0)  # the user's act, scripted

    [draft_file] = drafts(maildir)
    assert "Drafts" in where and "maya@example.org" in where
    draft = message_from_bytes(draft_file.read_bytes(), policy=policy.default)
    assert draft["From"] == "Alex Rivera <alex@example.org>"
    assert draft["To"] == "Maya Chen <maya@example.org>"
    assert draft["Subject"] == "Re: dinner friday"
    assert draft["In-Reply-To"] == "<m2@example.org>"
    assert draft["References"] == "<m1@example.org> <a1@example.org> <m2@example.org>"
    assert draft.get_content().strip() == update.view.candidates[0].text
    assert live_chain.view(update.view.chain_id).history[-1]["event"] == "accept"
    assert not (maildir / ".Drafts" / "tmp").exists() or not any((maildir / ".Drafts" / "tmp").iterdir())


def test_a_second_run_adds_nothing(live_chain, caught_up, maildir):
    deliver_new_mail(maildir)
    [update] = sync(live_chain, caught_up).updates
    accept(live_chain, caught_up, update.view, 0)
    again = sync(live_chain, MaildirSource(maildir))  # a new process: only the stored cursor remembers
    assert (again.report, again.updates) == (None, [])
    assert len(drafts(maildir)) == 1
    assert live_chain.latest_chain(update.thread_id) == update.view.chain_id


def test_a_mail_whose_drafting_failed_is_drafted_by_the_next_sync(live_chain, caught_up, maildir, monkeypatch):
    deliver_new_mail(maildir)
    original = live_chain.start

    def model_gone(*args, **kwargs):
        raise RuntimeError("the model server went away")

    monkeypatch.setattr(live_chain, "start", model_gone)
    with pytest.raises(RuntimeError, match="went away"):
        sync(live_chain, caught_up)
    monkeypatch.setattr(live_chain, "start", original)

    again = sync(live_chain, MaildirSource(maildir))  # the mail is not delivered again: its answer is still owed
    assert again.report is None
    [update] = again.updates
    assert (update.title, update.new_messages, update.outcome) == ("dinner friday", 1, "new_chain")
    assert update.view.prompt.endswith("tonight at 8, bring the speaker\nMe:")
    assert sync(live_chain, MaildirSource(maildir)).updates == []  # owed once, answered once


def test_the_cursor_is_private_and_resumes_after_the_client_moves_mail_to_cur(live_chain, caught_up, maildir):
    deliver_new_mail(maildir)
    sync(live_chain, caught_up)
    inbox = mailbox.Maildir(maildir, create=False)
    for key in list(inbox.keys()):  # the mail client reads it: new/ -> cur/ with flags
        message = inbox[key]
        message.set_subdir("cur")
        message.add_flag("S")
        inbox[key] = message
    path = Cursor(live_chain.settings.data_dir, caught_up).path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sync(live_chain, caught_up).report is None


def test_a_malformed_mail_gives_one_clear_line_and_the_rest_is_imported(live_chain, caught_up, maildir):
    deliver_new_mail(maildir, "Subject: no sender, no date\n\nhello\n")
    deliver_new_mail(maildir)
    result = sync(live_chain, caught_up)
    assert result.report.messages_added == 1
    [warning] = result.report.warnings
    assert warning.location.startswith("INBOX mail ")
    assert warning.message == "skipped: it has no readable From or Date header"
    assert [u.outcome for u in result.updates] == ["new_chain"]
    assert sync(live_chain, caught_up).report is None  # warned once: the mail's key is in the cursor


def test_folders_are_checked_before_anything_is_read(maildir, tmp_path):
    with pytest.raises(LiveError, match="no folder 'Archive'.*it has: INBOX, Sent"):
        MaildirSource(maildir, ["INBOX", "Archive"])
    with pytest.raises(LiveError, match="Drafts holds replies not sent yet"):
        MaildirSource(maildir, ["Drafts"])
    with pytest.raises(LiveError, match="is not a Maildir"):
        MaildirSource(tmp_path)


def test_the_command_names_a_malformed_mail_in_one_line(maildir):
    deliver_new_mail(maildir, "Subject: no sender, no date\n\nhello\n")
    run = subprocess.run([str(PREDRAFT), "live", "maildir", str(maildir), "--once"], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=300, env={**os.environ, "COLUMNS": "300"})
    assert run.returncode == 0, run.stderr
    [warning] = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert re.fullmatch(r"warning: INBOX mail \S+: skipped: it has no readable From or Date header", warning)
    assert "no sender is marked as you. Run `predraft me set NAME`" in run.stderr


def test_with_an_address_its_sender_is_marked_as_you(live_chain, maildir):
    first = sync(live_chain, MaildirSource(maildir, address="ALEX@example.org"))
    assert first.notes == [] and live_chain.corpus.me().name == "Alex Rivera"
