"""The demo world: the bundled demo persona (assistant/demo), prepared as `predraft demo` does, at a fixed clock.

The TUI tests prepare it once per session and give each test its own copy of the data dir.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant.config import Settings
from assistant.demo.runner import DEMO_CONFIG, DEMO_TIMEZONE, demo_settings, prepare
from assistant.feedback.store import Decision, FeedbackStore
from assistant.models.base import Backend
from assistant.retrieval.index import ExchangeIndex
from assistant.tui.app import PredraftApp, chat_app, review_app

# Short generations keep the suite fast: 2 candidates of at most 8 tokens per step. Embeddings in fp32
# torch: OpenVINO computes in bf16 where the CPU has it, and the similarities the snapshots print would
# then differ between machines in the last shown digit.
TEST_CONFIG = DEMO_CONFIG + """
[model]
max_tokens = 8

[retrieval]
embedding_backend = "torch"

[draft]
candidates = 2
depth = 2
"""
CLOCK = datetime(2025, 6, 22, 17, 0, tzinfo=UTC)  # three days after the demo's last message
TZ = ZoneInfo(DEMO_TIMEZONE)


def prepare_demo(folder: Path) -> None:
    """Ingest, me, consent and index into a new `folder`, with TEST_CONFIG as its config."""
    folder.mkdir(parents=True)
    (folder / "predraft.toml").write_text(TEST_CONFIG)
    prepare(demo_settings(folder), on_step=lambda _step: None)


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
