from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.corpus.models import Kind, Message, Thread

sys.path.insert(0, str(Path(__file__).parents[2] / "fixtures" / "training"))

from training_chats import build_corpus  # noqa: E402

T0 = datetime(2023, 6, 1, 9, 0, tzinfo=UTC)


class Chat:
    """Builds a thread's messages in order: `chat.say("Maya", "hi", after=1)` (minutes after the last one)."""

    def __init__(self, title: str = "Maya Chen", platform: str = "whatsapp", is_group: bool = False):
        self.thread = Thread(1, platform, "k", title, is_group, ("Sam Carter", title))
        self.messages: list[Message] = []
        self.at = T0

    def say(self, sender: str, text: str = "", *, after: float = 1, kind: Kind = Kind.TEXT,
            media: str | None = None, unsent: bool = False) -> Chat:
        self.at += timedelta(minutes=after)
        self.messages.append(Message(
            id=len(self.messages) + 1, thread_id=1, sender_id=None, sender=sender, timestamp=self.at,
            utc_offset_min=120, text=text, kind=kind, media=media, message_id=None, reply_to=None,
            edited=False, unsent=unsent, forwarded=False, is_me=sender == "Sam Carter",
        ))
        return self


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings(data_dir)


@pytest.fixture
def chat() -> Chat:
    return Chat()


@pytest.fixture
def corpus(settings: Settings) -> Iterator:
    c = build_corpus(settings.corpus_path)
    yield c
    c.close()
