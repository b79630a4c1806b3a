"""Follow chosen folders of a Maildir; put accepted replies into its Drafts folder for the mail client.

Mail is read with the mbox parser's handling (own words only, threads by root Message-ID), so a mail
met in an mbox export and again here is stored once. The cursor is the set of mail keys seen per
folder: Maildir keys survive a client moving a mail from new/ to cur/ and setting flags. Drafts is
never followed: what waits there was not sent.
"""

from __future__ import annotations

import mailbox
import time
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any

from assistant.corpus.models import Event, ParsedThread, Thread
from assistant.corpus.store import Corpus
from assistant.ingest.live.base import Batch, LiveError, LiveSource
from assistant.ingest.parsers.mbox import MAIL_POLICY, mail_events, message_ids, normalize_subject

INBOX = "INBOX"  # the Maildir's top level, as IMAP servers name it
DRAFTS = "Drafts"
SENT_FOLDERS = ("Sent", "Sent Items", "Sent Messages")  # followed by default: your replies end a turn
POLL_INTERVAL_S = 2.0  # listing a folder costs a readdir: cheap enough to repeat while waiting


class MaildirSource(LiveSource):
    name = "maildir"

    def __init__(self, path: Path, folders: list[str] | None = None, address: str | None = None):
        self.path = path.expanduser().resolve()
        if not all((self.path / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise LiveError(f"{self.path} is not a Maildir (it needs cur/, new/ and tmp/ folders)")
        self.root = mailbox.Maildir(self.path, factory=None, create=False)
        available = self.root.list_folders()
        wanted = folders or [INBOX] + [f for f in SENT_FOLDERS if f in available]
        for folder in wanted:
            if folder == DRAFTS:
                raise LiveError(f"{DRAFTS} holds replies not sent yet: it is where predraft writes, "
                                "not what it follows")
            if folder != INBOX and folder not in available:
                raise LiveError(f"no folder {folder!r} in {self.path}; it has: {', '.join([INBOX, *available])}")
        self.folders = {f: self._box(f) for f in wanted}
        self.address = address

    @property
    def account(self) -> str:
        return str(self.path)

    def _box(self, folder: str) -> mailbox.Maildir:
        return self.root if folder == INBOX else self.root.get_folder(folder)

    # ---- reading -------------------------------------------------------------------------------

    def poll(self, cursor: Any, wait_s: float = 0.0) -> Batch:
        seen: dict[str, list[str]] = (cursor or {}).get("seen", {})
        deadline = time.monotonic() + wait_s
        while True:
            present = {folder: set(box.keys()) for folder, box in self.folders.items()}
            new = {folder: sorted(keys - set(seen.get(folder, ()))) for folder, keys in present.items()}
            if any(new.values()) or time.monotonic() >= deadline:
                break
            time.sleep(POLL_INTERVAL_S)
        events: list[Event] = []
        declared: dict[str, ParsedThread] = {}
        me = None
        for folder, keys in new.items():
            for key in keys:
                try:
                    raw = self.folders[folder].get_bytes(key)
                except KeyError:  # deleted or moved away between listing and reading
                    continue
                events += mail_events(raw, f"{folder} mail {key}", declared)
                me = me or self._sent_by_me(raw)
        # Keys of mails deleted since are dropped, so the cursor stays the size of the folders.
        return Batch(events, {"seen": {folder: sorted(keys) for folder, keys in present.items()}},
                     backfill=cursor is None, me=me)

    def _sent_by_me(self, raw: bytes) -> str | None:
        """With --address: the sender name of a mail from it, which is the user's (as the parser names senders)."""
        if not self.address:
            return None
        for address in getattr(BytesHeaderParser(policy=MAIL_POLICY).parsebytes(raw).get("From"), "addresses", ()):
            if address.addr_spec.lower() == self.address.lower():
                return address.display_name or address.addr_spec
        return None

    # ---- writing a draft -----------------------------------------------------------------------

    def question(self, thread: Thread) -> str:
        return f"Write this reply to {self.path / ('.' + DRAFTS)} for your mail client to send?"

    def deliver(self, corpus: Corpus, thread: Thread, text: str) -> str:
        """Write the reply to the thread's latest mail from someone else into Drafts, for the client to send."""
        their = [m for m in corpus.messages(thread.id) if not m.is_me and m.message_id]
        if not their:
            raise LiveError(f"{thread.title!r} has no mail with a Message-ID to answer")
        original = self._find(their[-1].message_id)
        reply = self.reply(original, text, self._my_address(corpus))
        drafts = self.root.get_folder(DRAFTS) if DRAFTS in self.root.list_folders() else self.root.add_folder(DRAFTS)
        drafts.add(reply)  # mailbox writes tmp/<key>, then moves it into new/: never a half-written mail
        return f"draft reply to {reply['To']} in {self.path / ('.' + DRAFTS)}"

    @staticmethod
    def reply(original: EmailMessage, text: str, sender: str) -> EmailMessage:
        """A reply threaded under `original`: In-Reply-To its id, References its chain plus its id."""
        own_id = str(original.get("Message-ID", "")).strip()
        chain = message_ids(original.get("References")) or message_ids(original.get("In-Reply-To"))
        reply = EmailMessage()
        reply["From"] = sender
        reply["To"] = str(original.get("Reply-To") or original.get("From"))
        reply["Subject"] = "Re: " + normalize_subject(str(original.get("Subject") or ""))
        reply["Date"] = formatdate(localtime=True)
        reply["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or None)
        if own_id:
            reply["In-Reply-To"] = own_id
            reply["References"] = " ".join(f"<{i}>" for i in [*chain, *message_ids(own_id)])
        reply.set_content(text + "\n")
        return reply

    def _find(self, message_id: str) -> EmailMessage:
        headers = BytesHeaderParser(policy=MAIL_POLICY)
        for box in self.folders.values():
            for key in box.keys():
                with box.get_file(key) as fh:
                    msg = headers.parse(fh)
                if message_id in message_ids(msg.get("Message-ID")):
                    return msg
        raise LiveError(f"the mail <{message_id}> is no longer in {self.path}'s followed folders")

    def _my_address(self, corpus: Corpus) -> str:
        """--address, else the address on a followed mail sent under a name of the person marked as you."""
        me = corpus.me()
        if self.address:
            return formataddr((me.name if me else "", self.address))
        if me is None:
            raise LiveError("no sender is marked as you: run `predraft me set NAME` (or pass --address)")
        mine = {me.name} | {r[0] for r in corpus.db.execute(
            "SELECT handle FROM identities WHERE person_id = ?", (me.id,))}
        headers = BytesHeaderParser(policy=MAIL_POLICY)
        for box in self.folders.values():
            for key in box.keys():
                with box.get_file(key) as fh:
                    for address in getattr(headers.parse(fh).get("From"), "addresses", ()):
                        if address.display_name in mine or address.addr_spec in mine:
                            return formataddr((me.name, address.addr_spec))
        raise LiveError(f"no mail from {me.name} in {self.path}'s followed folders to take your address from: "
                        "pass --address you@example.org")
