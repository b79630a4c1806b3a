"""Chat with the persona: the user writes as the other person, the model answers as "Me", streamed.

The model is loaded in the worker on first use; with an exported LoRA, Ctrl+L switches between the
base model and the LoRA (each loaded once).
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.widgets import Footer, Header, Input, Static

from assistant.feedback.store import FeedbackStore
from assistant.models import Backend, load_backend
from assistant.prompting import ME
from assistant.tui.commands import ScreenCommands
from assistant.tui.context import UIContext
from assistant.tui.models.chat import ChatSession, exported_lora
from assistant.tui.models.transcript import TranscriptItem
from assistant.tui.screens.help import HelpScreen
from assistant.tui.screens.model_screen import ModelScreen
from assistant.tui.screens.rate import UNRATED, RateScreen
from assistant.tui.widgets.transcript import Transcript, item_content

Model = Literal["base", "lora"]


class ChatScreen(ModelScreen):
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
    # The key bindings follow these and `generating` (check_action).
    which: var[Model] = var("base", bindings=True)
    talked: var[bool] = var(False, bindings=True)  # the conversation has turns to save or clear

    def __init__(self, ctx: UIContext, session: ChatSession, *, use_lora: bool | None = None,
                 backends: dict[str, Backend] | None = None):
        super().__init__()
        self.ctx = ctx
        self.session = session
        self.given = dict(backends or {})
        self.loaded: dict[str, Backend] = {}
        self.lora = exported_lora(ctx.settings) if "lora" not in self.given else None
        self.set_reactive(ChatScreen.which, "lora" if self._has_lora() and use_lora is not False else "base")
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

    def close_resources(self) -> None:
        for backend in self.loaded.values():
            backend.close()

    def _has_lora(self) -> bool:
        return "lora" in self.given or self.lora is not None

    def _status(self, note: str = "") -> None:
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
        self.talked = True
        prompt, which = self.session.prompt(self.ctx.settings, self.ctx.today()), self.which
        self.run_job(lambda cancel: self._answer(which, prompt, live, now, cancel),
                     partial(self._answered, live, now), partial(self._failed, live))
        self._status("writing…")

    def _backend(self, which: Model) -> Backend:
        if which in self.given:
            return self.given[which]
        if which not in self.loaded:
            self.loaded[which] = load_backend(self.ctx.settings, lora_path=str(self.lora) if which == "lora" else "")
        return self.loaded[which]

    def _answer(self, which: Model, prompt: str, live: Static, time: str,
                cancel: threading.Event) -> tuple[str, tuple[str, str]]:
        """The model's answer (in the worker thread), streamed into `live`; with the model and adapter ids."""
        backend = self._backend(which)
        pieces: list[str] = []
        for piece in backend.stream(prompt, self.session.options(self.ctx.settings), cancel):
            pieces.append(piece)
            item = TranscriptItem("text", "".join(pieces).strip() or "…", time=time, is_me=True)
            self.call_from_worker(live.update, item_content(item))
        return "".join(pieces), (backend.model_id, backend.adapter_id)

    def _answered(self, live: Static, time: str, answer: tuple[str, tuple[str, str]], cancelled: bool) -> None:
        generated, self.used = answer
        messages = self.session.answer(generated)
        live.remove()
        log_view = self.query_one(Transcript)
        for message in messages:
            log_view.append(TranscriptItem("text", message, sender=ME, time=time, is_me=True))
        if not messages:
            log_view.append(TranscriptItem("system", "(no answer: write again, or Ctrl+N for a new chat)"))
        self._status("cancelled" if cancelled else "")

    def _failed(self, live: Static, message: str) -> None:
        live.remove()
        self._status("error")
        self.notify(message, title="The model failed", severity="error", timeout=10)

    # ---- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_model":
            return None if self.generating or not self._has_lora() else True
        if action in ("save", "new_chat"):
            return None if self.generating or not self.talked else True
        return True

    def action_toggle_model(self) -> None:
        self.which = "base" if self.which == "lora" else "lora"
        self._status()

    def action_cancel(self) -> None:
        self.cancel_job()

    def action_new_chat(self) -> None:
        self.session.turns.clear()
        self.talked = False
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
