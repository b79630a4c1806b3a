"""The threads column: a search box over a list; a badge marks threads whose drafts wait for review."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from assistant.tui.models.threads import ThreadItem, matches, relative_age

PENDING_BADGE = "●"


def thread_prompt(item: ThreadItem, now: datetime) -> Content:
    badge = (f"{PENDING_BADGE} ", "bold $text-accent") if item.pending else ("  ", "")
    title = (item.title, "bold" if item.pending else ("dim" if item.excluded else ""))
    detail = f"{item.platform_name} · {relative_age(item.last_at, now)}" + (" · excluded" if item.excluded else "")
    return Content.assemble(badge, title, "\n  ", (detail, "$text-muted"))


class ThreadList(Vertical):
    DEFAULT_CSS = """
    ThreadList {
        width: 30;
        border: round $panel;
        border-title-color: $text-muted;
        &:focus-within { border: round $primary; }
        & > Input, & > Input:focus { border: none; height: 1; padding: 0 1; margin-bottom: 1; background: $boost; }
        & > OptionList { height: 1fr; border: none; padding: 0; background: transparent; }
    }
    """

    @dataclass
    class Selected(Message):
        thread_id: int

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None):
        super().__init__(id=id)
        self.clock = clock
        self.items: list[ThreadItem] = []
        self.current: int | None = None
        self.border_title = "Threads"

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ search threads", id="thread-search")
        yield OptionList(id="thread-options")

    def set_threads(self, items: list[ThreadItem]) -> None:
        self.items = items
        self._refresh_options()

    def mark_current(self, thread_id: int) -> None:
        self.current = thread_id
        options = self.query_one(OptionList)
        try:
            options.highlighted = options.get_option_index(str(thread_id))
        except OptionDoesNotExist:  # filtered out by the search: nothing to highlight
            options.highlighted = None

    def focus_search(self) -> None:
        self.query_one(Input).focus()

    def _refresh_options(self) -> None:
        query = self.query_one(Input).value
        now = self.clock()
        options = self.query_one(OptionList)
        shown = [i for i in self.items if matches(i, query)]
        options.set_options(Option(thread_prompt(i, now), id=str(i.id)) for i in shown)
        pending = sum(i.pending for i in self.items)
        self.border_title = f"Threads · {pending} {PENDING_BADGE}" if pending else "Threads"
        if self.current is not None:
            self.mark_current(self.current)

    @on(Input.Changed)
    def _search(self) -> None:
        self._refresh_options()

    @on(Input.Submitted)
    def _open_first_match(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            self.post_message(self.Selected(int(options.get_option_at_index(0).id)))
            options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Selected(int(event.option.id)))
