"""The retrieval world, for the index tests: Sam (the user) with Maya, Jonas, a climbing group, and Priya.

Jonas's words are easy to spot ("zeppelin", "marzipan", "pierogi"): tests exclude him and look for
them everywhere. Maya asks "are you coming to dinner tonight?" five times and gets an "ok" each
time, for the near-duplicate filter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.corpus import Corpus
from tests.worlds.threads import ChatThread, Conversation, import_threads

ME = "Sam"
JONAS_WORDS = ("Jonas", "zeppelin", "marzipan", "Lübeck", "pierogi", "Kraków")


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 19, 0, tzinfo=UTC)


MAYA: list[Conversation] = [
    (_at(2021, 3, 5), [("Maya", "are you coming to the climbing gym tonight?"), (ME, "yes! bringing my new shoes"),
                       ("Maya", "see you at 7")]),
    (_at(2021, 6, 12), [("Maya", "happy birthday!!! 🎂"), (ME, "thank youuu ❤️"), (ME, "dinner at my parents tonight")]),
    (_at(2021, 9, 20), [("Maya", "can you feed my cat this weekend?"), (ME, "of course, leave the key under the mat"),
                        ("Maya", "you're the best"), (ME, "just leave enough food for her")]),
    (_at(2022, 1, 8), [("Maya", "are you coming to dinner tonight?"), (ME, "ok")]),
    (_at(2022, 2, 8), [("Maya", "are you coming to dinner tonight?"), (ME, "ok!")]),
    (_at(2022, 3, 8), [("Maya", "you coming to dinner tonight?"), (ME, "OK")]),
    (_at(2022, 4, 8), [("Maya", "are you joining dinner tonight?"), (ME, "ok.")]),
    (_at(2022, 5, 8), [("Maya", "dinner tonight, are you coming?"), (ME, "ok")]),
    (_at(2022, 8, 15), [("Maya", "ugh I missed the train"), (ME, "no worries, we'll wait for you with dinner")]),
    (_at(2023, 2, 14), [("Maya", "are you free for lunch tomorrow?"), (ME, "yes! 12:30 at the usual place?"),
                        ("Maya", "deal")]),
    (_at(2023, 10, 9), [("Maya", "how did the interview go"), (ME, "pretty well I think!"),
                        (ME, "they'll call me on friday")]),
]
JONAS: list[Conversation] = [
    (_at(2021, 4, 10), [("Jonas", "the zeppelin museum opens saturday, coming?"),
                        (ME, "can't this week, my knee is still sore")]),
    (_at(2022, 5, 21), [("Jonas", "I brought marzipan from Lübeck for you"), (ME, "you legend, thank you")]),
    (_at(2023, 3, 18), [("Jonas", "are you coming to dinner tonight? I'm cooking pierogi like in Kraków"),
                        (ME, "running late, start without me")]),
]
CREW: list[Conversation] = [
    (_at(2022, 6, 4), [("Maya", "bouldering saturday at 10?"), ("Jonas", "only if we get marzipan croissants after"),
                       (ME, "yes and yes")]),
    (_at(2023, 5, 27), [("Maya", "the new route at the gym is open"), (ME, "I'm in, saturday?"), ("Maya", "saturday 10")]),
]
PRIYA: list[Conversation] = [
    (_at(2022, 9, 1), [("Priya", "my new number is +49 151 23456789, email priya.nair@example.org"),
                       (ME, "saved! I'll text you the address")]),
]
THREADS = [
    ChatThread("maya", "whatsapp", "Maya", ("Maya", ME), MAYA),
    ChatThread("jonas", "telegram", "Jonas", ("Jonas", ME), JONAS),
    ChatThread("crew", "whatsapp", "Climbing crew", ("Maya", "Jonas", ME), CREW, is_group=True),
    ChatThread("priya", "sms", "Priya", ("Priya", ME), PRIYA),
]
USER_TURNS = {"Maya": 12, "Jonas": 3, "Climbing crew": 2, "Priya": 1}  # exchanges per thread, counted by hand


def fill_corpus(path: Path, set_me: bool = True) -> None:
    with Corpus(path) as corpus:
        import_threads(corpus, THREADS, UTC, gap=timedelta(minutes=2))
        if set_me:
            corpus.set_me(ME)
