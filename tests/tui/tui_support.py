"""What the TUI tests share besides fixtures: the test config, a fixed clock, the demo world, `settle`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from assistant.config import Settings
from assistant.demo.runner import DEMO_CONFIG, DEMO_TIMEZONE
from assistant.feedback.store import Decision, FeedbackStore
from assistant.models.base import Backend
from assistant.retrieval.index import ExchangeIndex
from assistant.tui.app import PredraftApp, chat_app, review_app

# Short generations keep the suite fast: 2 candidates of at most 8 tokens per step.
TEST_CONFIG = DEMO_CONFIG + """
[model]
max_tokens = 8

[draft]
candidates = 2
depth = 2
"""
CLOCK = datetime(2025, 6, 22, 17, 0, tzinfo=UTC)  # three days after the demo's last message
TZ = ZoneInfo(DEMO_TIMEZONE)


@dataclass
class DemoWorld:
    settings: Settings
    index: ExchangeIndex

    def decisions(self) -> list[Decision]:
        if not self.settings.feedback_path.is_file():
            return []
        store = FeedbackStore(self.settings.feedback_path)
        try:
            return list(store.decisions())
        finally:
            store.close()

    def review(self, backend: Backend | None, **kwargs) -> PredraftApp:
        return review_app(self.settings, backend=backend, index=self.index, clock=lambda: CLOCK, tz=TZ, **kwargs)

    def chat(self, backends: dict[str, Backend], **kwargs) -> PredraftApp:
        return chat_app(self.settings, backends=backends, clock=lambda: CLOCK, tz=TZ, **kwargs)


async def settle(pilot) -> None:
    """Wait until every worker (generation) has finished and its results are on screen."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
