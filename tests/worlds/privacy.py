"""The privacy world: Alex Rivera's chats, where Jordan Lee (who did not consent) appears everywhere.

Jordan writes in a 1:1 WhatsApp chat, belongs to a group, is mentioned in Maya's chat and in a
Telegram group named after him, and writes again on Telegram as "J. Lee". Alex is "Alex R" there.
Maya's last message holds a phone number.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant.corpus import Corpus
from tests.worlds.threads import ChatThread, import_threads

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2023, 5, 1, 18, 0)  # naive, so read in Berlin time


def _day(n: int) -> datetime:
    return START + timedelta(days=n)


CHATS = [  # one conversation per thread, a day apart
    ChatThread("WhatsApp Chat with Jordan Lee", "whatsapp", "Jordan Lee", ("Alex Rivera", "Jordan Lee"), [
        (_day(0), [("Jordan Lee", "my secret beta for the overhang"), ("Alex Rivera", "ooh tell me"),
                   ("Jordan Lee", "heel hook on the left volume")])]),
    ChatThread("WhatsApp Chat with Climbing Crew", "whatsapp", "Climbing Crew",
               ("Alex Rivera", "Maya Chen", "Jordan Lee"), [
        (_day(1), [(None, "Maya Chen added Jordan Lee"), ("Maya Chen", "saturday at 10?"), ("Alex Rivera", "in!")])],
               is_group=True),
    ChatThread("WhatsApp Chat with Maya Chen", "whatsapp", "Maya Chen", ("Alex Rivera", "Maya Chen"), [
        (_day(2), [("Maya Chen", "did JORDAN LEE ever pay you back?"),
                   ("Alex Rivera", "nope. Jordan owes me 20 and so does J. Lee lol"),
                   ("Maya Chen", "my new number is +49 170 1234567")])]),
    ChatThread("1001", "telegram", "Jordan Lee's birthday 🎂", ("Alex R", "Sam Okafor"), [
        (_day(3), [("Sam Okafor", "what do we get Jordan?"), ("Alex R", "climbing shoes, size 42")])], is_group=True),
    ChatThread("1002", "telegram", "J. Lee", ("Alex R", "J. Lee"), [
        (_day(4), [("J. Lee", "this is Jordan on telegram, my email is jordan.lee@example.com"), ("Alex R", "saved")])]),
]
JORDAN_WORDS = ["secret beta", "heel hook", "this is Jordan on telegram", "jordan.lee@example.com"]
JORDAN_NAMES = ["jordan", "j. lee"]


def build_corpus(path: Path) -> Corpus:
    """The corpus on disk, Alex set as the user under both names and Jordan excluded under both of his."""
    corpus = Corpus(path)
    import_threads(corpus, CHATS, BERLIN, gap=timedelta(minutes=1))
    corpus.set_me("Alex Rivera", ["Alex R"])
    corpus.set_consent("Jordan Lee", excluded=True)
    corpus.set_consent("J. Lee", excluded=True)  # the same person under another name on another platform
    return corpus
