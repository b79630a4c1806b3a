"""One thread of the training world's user, built in memory message by message, for tests that need no corpus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.corpus.models import Kind, Message, Thread
from tests.worlds.training import ME

T0 = datetime(2023, 6, 1, 9, 0, tzinfo=UTC)


class Chat:
    """Builds a thread's messages in order: `chat.say("Maya", "hi", after=1)` (minutes after the last one)."""

    def __init__(self, title: str = "Maya Chen", platform: str = "whatsapp", is_group: bool = False):
        self.thread = Thread(1, platform, "k", title, is_group, (ME, title))
        self.messages: list[Message] = []
        self.at = T0

    def say(self, sender: str, text: str = "", *, after: float = 1, kind: Kind = Kind.TEXT,
            media: str | None = None, unsent: bool = False) -> Chat:
        self.at += timedelta(minutes=after)
        self.messages.append(Message(
            id=len(self.messages) + 1, thread_id=1, sender_id=None, sender=sender, timestamp=self.at,
            utc_offset_min=120, text=text, kind=kind, media=media, message_id=None, reply_to=None,
            edited=False, unsent=unsent, forwarded=False, is_me=sender == ME,
        ))
        return self
