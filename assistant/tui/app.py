"""The app factories: `review_app` and `chat_app` build what `predraft review` / `predraft chat` run and
what the Pilot and snapshot tests drive, so both see the same app.

The clock and the display timezone are parameters (see `context.py`): tests pin them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, tzinfo
from typing import TYPE_CHECKING

from textual.app import App
from textual.screen import Screen

from assistant.config import Settings
from assistant.tui.context import Clock, ui_context
from assistant.tui.models.chat import ChatSession
from assistant.tui.screens.chat import ChatScreen
from assistant.tui.screens.review import ReviewOptions, ReviewScreen
from graphs.predraft.api import DraftChain

if TYPE_CHECKING:
    from assistant.models.base import Backend
    from assistant.retrieval.index import ExchangeIndex


class PredraftApp(App[None]):
    CSS_PATH = "predraft.tcss"
    TITLE = "predraft"
    # Below 110 columns the thread list folds away (the search and `n` still reach every thread).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self, make_screen: Callable[[], Screen], sub_title: str):
        super().__init__()
        self._make_screen = make_screen
        self.sub_title = sub_title

    def get_default_screen(self) -> Screen:
        return self._make_screen()


def review_app(
    settings: Settings,
    *,
    open_ref: str | None = None,
    fresh: bool = False,
    depth: int | None = None,
    as_of: date | None = None,
    backend: Backend | None = None,
    index: ExchangeIndex | None = None,
    clock: Clock | None = None,
    tz: tzinfo | None = None,
) -> PredraftApp:
    """The review app. `open_ref`: a thread (id or title) or a chain id to open first; `fresh`: draft it anew."""
    ctx = ui_context(settings, clock, tz)
    chain = DraftChain(settings, backend=backend, index=index)
    try:
        thread_id, chain_id = _resolve(chain, open_ref)  # a wrong name fails here, before the UI starts
    except BaseException:
        chain.close()
        raise
    options = ReviewOptions(thread_id=thread_id, chain_id=chain_id, fresh=fresh, depth=depth or settings.draft.depth,
                            as_of=as_of)

    def make_screen() -> Screen:
        return ReviewScreen(ctx, chain, options)

    sub_title = "review" + (f" · as of {as_of}" if as_of else "")
    return PredraftApp(make_screen, sub_title)


def _resolve(chain: DraftChain, ref: str | None) -> tuple[int | None, str | None]:
    """A chain id, or a thread id/title, to (thread id, chain id)."""
    if ref is None:
        return None, None
    if chain.ledger.has_chain(ref):
        return chain.view(ref).thread_id, ref
    return chain.corpus.thread(ref).id, None


def chat_app(
    settings: Settings,
    *,
    contact: str = "Friend",
    platform: str = "whatsapp",
    as_of: date | None = None,
    use_lora: bool | None = None,
    backends: dict[str, Backend] | None = None,
    clock: Clock | None = None,
    tz: tzinfo | None = None,
) -> PredraftApp:
    """The chat app. `backends` ({"base": ..., "lora": ...}) replaces loading the models (tests)."""
    ctx = ui_context(settings, clock, tz)
    session = ChatSession(contact=contact, platform=platform, as_of=as_of)

    def make_screen() -> Screen:
        return ChatScreen(ctx, session, use_lora=use_lora, backends=backends)

    return PredraftApp(make_screen, "chat" + (f" · as of {as_of}" if as_of else ""))
