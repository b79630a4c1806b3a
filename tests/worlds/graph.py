"""The graph world: a corpus, its Chroma index and a config for the graph's integration tests.

Alex (the user) talks with Maya on WhatsApp and Jonas on Telegram from 2021 to 2024, and with
Priya, who did not consent: her thread must never reach the index or the evidence. The Maya thread
ends with a question about climbing that Alex once answered Priya too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.config import Settings, load_settings
from assistant.corpus import Corpus
from assistant.privacy import PrivacyPolicy
from assistant.retrieval.index import ExchangeIndex
from tests.worlds.threads import ChatThread, Conversation, import_threads

# Short generations keep the suite fast; threshold 0 so every step offers its drafts.
TEST_CONFIG = """\
[model]
max_tokens = 12

[draft]
candidates = 2
depth = 2
confidence_threshold = 0.0
"""


def _at(year: int, month: int, day: int, hour: int = 19) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UTC)


MAYA: list[Conversation] = [
    (_at(2021, 3, 5), [("Maya", "are you coming to the pub quiz tonight?"), ("Alex", "yes! save me a seat"),
                       ("Maya", "we're at the back table"), ("Alex", "omw, 10 min")]),
    (_at(2021, 6, 12), [("Maya", "happy birthday!!! 🎂"), ("Alex", "thank youuu ❤️"),
                        ("Maya", "any plans?"), ("Alex", "dinner with my parents, then probably the lake")]),
    (_at(2021, 9, 20), [("Maya", "can you lend me your tent for the weekend"), ("Alex", "sure, it's in the basement"),
                        ("Maya", "you're a lifesaver"), ("Alex", "just bring it back dry pls")]),
    (_at(2022, 1, 8), [("Maya", "did you watch the new season yet"), ("Alex", "only the first two episodes"),
                       ("Maya", "no spoilers then"), ("Alex", "thanks, I'll finish it this weekend")]),
    (_at(2022, 4, 2), [("Maya", "are you coming tonight?"), ("Alex", "yes, bringing the speaker"),
                       ("Maya", "perfect"), ("Alex", "see you at 8")]),
    (_at(2022, 8, 15), [("Maya", "ugh I missed the train"), ("Alex", "oh no, the next one is in 20 min"),
                        ("Maya", "I'll be late for dinner"), ("Alex", "no worries, we'll wait for you")]),
    (_at(2022, 11, 3), [("Maya", "what do you want for the secret santa"), ("Alex", "honestly socks are fine"),
                        ("Maya", "boring"), ("Alex", "fine, a good book then")]),
    (_at(2023, 2, 14), [("Maya", "are you free for lunch tomorrow?"), ("Alex", "yes! 12:30 at the usual place?"),
                        ("Maya", "deal")]),
    (_at(2023, 7, 1), [("Maya", "beach this weekend?"), ("Alex", "saturday works, sunday I'm at my grandma's"),
                       ("Maya", "saturday it is"), ("Alex", "I'll bring the umbrella")]),
    (_at(2023, 10, 9), [("Maya", "how did the interview go"), ("Alex", "pretty well I think!"),
                        ("Maya", "fingers crossed"), ("Alex", "they'll call me on friday")]),
    (_at(2024, 1, 20), [("Maya", "movie night at mine?"), ("Alex", "yes!! I'll bring popcorn"),
                        ("Maya", "and the blanket you forgot last time"), ("Alex", "haha ok")]),
    (_at(2024, 3, 8), [("Maya", "hey! long week?"), ("Alex", "so long. finally friday"),
                       ("Maya", "want to go climbing on saturday?")]),
]

JONAS: list[Conversation] = [
    (_at(2021, 4, 10), [("Jonas", "climbing saturday?"), ("Alex", "can't this week, my knee is still sore"),
                        ("Jonas", "get well soon"), ("Alex", "thanks, next week for sure")]),
    (_at(2021, 11, 2), [("Jonas", "did you get the tickets"), ("Alex", "yes, two for friday"),
                        ("Jonas", "legend")]),
    (_at(2022, 5, 21), [("Jonas", "can you help me move on sunday"), ("Alex", "sure, what time"),
                        ("Jonas", "9? there's coffee"), ("Alex", "ok I'll be there at 9")]),
    (_at(2022, 9, 30), [("Jonas", "football tonight?"), ("Alex", "yes, which pitch"),
                        ("Jonas", "the one by the school"), ("Alex", "see you there")]),
    (_at(2023, 3, 18), [("Jonas", "are you coming tonight?"), ("Alex", "running late, start without me"),
                        ("Jonas", "ok")]),
    (_at(2023, 8, 5), [("Jonas", "wanna go to the lake tomorrow"), ("Alex", "yes! I'll bring snacks"),
                       ("Jonas", "I'll bring the boat")]),
    (_at(2024, 2, 11), [("Jonas", "happy new job!"), ("Alex", "thank you!! first week was intense"),
                        ("Jonas", "drinks on friday to celebrate?"), ("Alex", "absolutely")]),
]

PRIYA: list[Conversation] = [
    (_at(2022, 6, 4), [("Priya", "want to go climbing this saturday?"),
                       ("Alex", "yes!! bouldering at 10, I'll bring the chalk"),
                       ("Priya", "great, see you at the gym"), ("Alex", "can't wait")]),
    (_at(2023, 5, 27), [("Priya", "climbing on saturday?"), ("Alex", "yes yes yes, same time as always"),
                        ("Priya", "see you")]),
]


THREADS = [
    ChatThread("maya", "whatsapp", "Maya", ("Maya", "Alex"), MAYA),
    ChatThread("jonas", "telegram", "Jonas", ("Jonas", "Alex"), JONAS),
    ChatThread("priya", "whatsapp", "Priya", ("Priya", "Alex"), PRIYA),
]


def build_world(data_dir: Path) -> Settings:
    """Corpus, consent and index in `data_dir`, with TEST_CONFIG as the user's config there."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, as predraft creates it
    (data_dir / "predraft.toml").write_text(TEST_CONFIG)
    settings = load_settings(data_dir)
    with Corpus(settings.corpus_path) as corpus:
        import_threads(corpus, THREADS, UTC, gap=timedelta(minutes=3))
        corpus.set_me("Alex")
        corpus.set_consent("Priya", excluded=True)
        ExchangeIndex(settings).update(corpus, PrivacyPolicy.from_settings(settings))
    return settings
