"""Chat with the persona: the user writes as the other person, the model answers as "Me", streamed.

The model is loaded in the worker on first use; with an exported LoRA, Ctrl+L switches between the
base model and the LoRA (each loaded once).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Input, Static
from textual.screen import Screen
from textual.worker import get_current_worker

from assistant.errors import PredraftError
from assistant.feedback.store import FeedbackStore
from assistant.models.base import Backend
from assistant.prompting import ME
from assistant.tui.app import UIContext
from assistant.tui.commands import ScreenCommands
from assistant.tui.models.chat import ChatSession, exported_lora
from assistant.tui.models.jobs import JobTracker
from assistant.tui.models.transcript import TranscriptItem
from assistant.tui.screens.help import HelpScreen
from assistant.tui.screens.rate import UNRATED, RateScreen
from assistant.tui.widgets.transcript import Transcript, item_content

log = logging.getLogger(__name__)


class ChatScreen(Screen[None]):
    AUTO_FOCUS = "#chat-input"
    COMMANDS = {ScreenCommands}
    DEFAULT_CSS = """
    ChatScreen {
        & > #chat-status { height: 1; padding: 0 2; color: $text-muted; }
        & > Input { margin: 0 1; }
    }
    """
    BINDINGS = [
        Binding("ctrl+l", "toggle_model", "Base/LoRA"),
        Binding("ctrl+s", "save", "Save and rate"),
        Binding("ctrl+n", "new_chat", "New chat"),
        Binding("escape", "cancel", "Cancel"),
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def __init__(self, ctx: UIContext, session: ChatSession, *, use_lora: bool | None = None,
                 backends: dict[str, Backend] | None = None):
        super().__init__()
        self.ctx = ctx
        self.session = session
        self.given = dict(backends or {})
        self.loaded: dict[str, Backend] = {}
        self.lora = exported_lora(ctx.settings) if "lora" not in self.given else None
        has_lora = "lora" in self.given or self.lora is not None
        self.which = "lora" if has_lora and use_lora is not False else "base"
        self.generating = False
        self._cancel: threading.Event | None = None
        self.jobs = JobTracker(self._close)
        self.used: tuple[str, str] = ("", "")  # model and adapter ids of the last reply, for the rating

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Transcript(id="chat-log")
        yield Static(id="chat-status", markup=False)
        yield Input(placeholder=f"Write as {self.session.contact}, Enter sends", id="chat-input")
        yield Footer()

    def on_mount(self) -> None:
        when = self.session.as_of.isoformat() if self.session.as_of else "today"
        self.query_one(Transcript).border_title = (f"You write as {self.session.contact}; the persona answers as you "
                                                   f"(as of {when})")
        self._status()

    def on_unmount(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
        self.jobs.shutdown()

    def _close(self) -> None:
        for backend in self.loaded.values():
            backend.close()

    def _has_lora(self) -> bool:
        return "lora" in self.given or self.lora is not None

    def _status(self, note: str = "") -> None:
        self.refresh_bindings()  # every status change is a state change: Save and Base/LoRA follow it
        model = "your LoRA" if self.which == "lora" else "the base model"
        toggle = " (Ctrl+L: base model)" if self.which == "lora" else (" (Ctrl+L: your LoRA)" if self._has_lora() else "")
        self.query_one("#chat-status", Static).update(f"{model}{toggle}" + (f" · {note}" if note else ""))

    # ---- sending and streaming ---------------------------------------------------------------

    @on(Input.Submitted, "#chat-input")
    def _send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text or self.generating:
            return
        event.input.clear()
        self.session.say(text)
        log_view = self.query_one(Transcript)
        now = f"{self.ctx.clock().astimezone(self.ctx.tz):%H:%M}"
        for line in text.splitlines():
            if line.strip():
                log_view.append(TranscriptItem("text", line.strip(), sender=self.session.contact, time=now))
        live = log_view.append(TranscriptItem("text", "…", time=now, is_me=True))
        self._cancel = threading.Event()
        self.generating = True
        self._status("writing…")
        self.answer(self.session.prompt(self.ctx.settings, self.ctx.today()), live, now, self._cancel)

    def _backend(self, which: str) -> Backend:
        if which in self.given:
            return self.given[which]
        if which not in self.loaded:
            from assistant.models import load_backend

            self.loaded[which] = load_backend(self.ctx.settings, lora_path=str(self.lora) if which == "lora" else "")
        return self.loaded[which]

    @work(thread=True, exclusive=True, group="chat", exit_on_error=False)
    def answer(self, prompt: str, live: Static, time: str, cancel: threading.Event) -> None:
        worker = get_current_worker()
        self.jobs.started()
        try:
            backend = self._backend(self.which)
            pieces: list[str] = []
            for piece in backend.stream(prompt, self.session.options(self.ctx.settings), cancel):
                if worker.is_cancelled:
                    cancel.set()
                pieces.append(piece)
                item = TranscriptItem("text", "".join(pieces).strip() or "…", time=time, is_me=True)
                self._from_thread(live.update, item_content(item))
            self._from_thread(self._answered, "".join(pieces), live, time, (backend.model_id, backend.adapter_id))
        except PredraftError as exc:
            self._from_thread(self._failed, str(exc), live)
        except Exception as exc:  # the model crashing must not take the UI down
            log.exception("chat generation failed")
            self._from_thread(self._failed, f"unexpected error: {exc!r}", live)
        finally:
            self.jobs.ended()

    def _from_thread(self, callback: Any, *args: Any) -> None:
        if self.jobs.closing:
            return
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app stopped meanwhile
            pass

    def _answered(self, generated: str, live: Static, time: str, used: tuple[str, str]) -> None:
        self.generating = False
        self.used = used
        messages = self.session.answer(generated)
        live.remove()
        log_view = self.query_one(Transcript)
        for message in messages:
            log_view.append(TranscriptItem("text", message, sender=ME, time=time, is_me=True))
        if not messages:
            log_view.append(TranscriptItem("system", "(no answer: write again, or Ctrl+N for a new chat)"))
        self._status("cancelled" if self._cancel is not None and self._cancel.is_set() else "")

    def _failed(self, message: str, live: Static) -> None:
        self.generating = False
        live.remove()
        self._status("error")
        self.notify(message, title="The model failed", severity="error", timeout=10)

    # ---- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_model":
            return None if self.generating or not self._has_lora() else True
        if action in ("save", "new_chat"):
            return None if self.generating or not self.session.turns else True
        return True

    def action_toggle_model(self) -> None:
        self.which = "base" if self.which == "lora" else "lora"
        self._status()

    def action_cancel(self) -> None:
        if self.generating and self._cancel is not None:
            self._cancel.set()

    def action_new_chat(self) -> None:
        self.session.turns.clear()
        self.query_one(Transcript).show(self.query_one(Transcript).border_title or "", [])
        self._status("new chat")

    def action_save(self) -> None:
        def rated(rating: int | None) -> None:
            if rating is None:
                return
            store = FeedbackStore(self.ctx.settings.feedback_path)
            try:
                store.record_chat(self.session.rating(rating or None, *self.used))
            finally:
                store.close()
            said = f"rated {rating}/5" if rating != UNRATED else "unrated"
            self.notify(f"Conversation saved ({said}) in {self.ctx.settings.feedback_path}.", title="Saved")

        self.app.push_screen(RateScreen(), rated)

    def action_help(self) -> None:
        about = (f"You write as {self.session.contact}; the model answers as you (\"Me\"), continuing the same "
                 "transcript format it was trained on. Saved conversations and their ratings go to the "
                 "feedback database; `predraft feedback stats` sums them up.")
        self.app.push_screen(HelpScreen("Chat keys", self.BINDINGS, about))
