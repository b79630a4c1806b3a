"""Ctrl+P commands: every action of the current screen by name, and (in review) each thread to jump to."""

from __future__ import annotations

from functools import partial
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

from assistant.tui.models.threads import ThreadItem


class ThreadBrowser(Protocol):
    """A screen that lists threads and can open one (the review screen)."""

    def thread_items(self) -> list[ThreadItem]: ...

    def open_thread(self, thread_id: int) -> None: ...


class ScreenCommands(Provider):
    """The screen's key bindings as commands, so everything has a name to search for."""

    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        rows = []
        for binding in type(screen).BINDINGS:
            if isinstance(binding, tuple) or not binding.description:
                continue
            key = self.app.get_key_display(binding)
            rows.append((binding.tooltip or binding.description, binding.action, f"key: {key}"))
        return rows

    async def discover(self) -> Hits:
        for name, action, help_text in self._commands():
            yield DiscoveryHit(name, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.screen.run_action, action), text=name,
                          help=help_text)


class ThreadCommands(Provider):
    """"Open thread: Maya Chen" for each thread, pending ones marked."""

    async def search(self, query: str) -> Hits:
        screen = self.screen
        if not hasattr(screen, "thread_items"):
            return
        browser: ThreadBrowser = screen  # type: ignore[assignment]
        matcher = self.matcher(query)
        for item in browser.thread_items():
            name = f"Open thread: {item.title}"
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(browser.open_thread, item.id), text=name,
                          help="drafts wait for review" if item.pending else item.platform_name)
