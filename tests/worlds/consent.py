"""The consent world: Alex Rivera's chats before and after Jordan Lee withdraws consent.

Jordan writes words found nowhere else (`JORDAN_WORDS`) in a 1:1 chat and in a group he belongs to,
and is mentioned by name in Maya's chat. Maya's messages carry a phone number, an email address and
an IBAN (`PII`); her chat ends with a question like one Jordan once asked, so drafting it retrieves
Jordan's exchanges as evidence while he still counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.config import Settings, load_settings
from assistant.corpus import Corpus
from tests.worlds.threads import ChatThread, Conversation, import_threads

ME = "Alex Rivera"
EXCLUDED = "Jordan Lee"
JORDAN_WORDS = ["quillfeather", "zanzibar", "marmoset"]
PII = ["+49 170 1234567", "maya.chen@example.org", "DE89 3704 0044 0532 0130 00"]

# Short generations and a threshold of 0, so each step offers drafts; a few examples make a dataset.
CONFIG = """\
[model]
max_tokens = 12

[draft]
candidates = 2
depth = 2
confidence_threshold = 0.0

[dataset]
min_examples = 3
"""


def _at(month: int, day: int) -> datetime:
    return datetime(2024, month, day, 19, 0, tzinfo=UTC)


JORDAN: list[Conversation] = [
    (_at(1, 6), [("Jordan Lee", "quillfeather route at the quarry saturday?"), ("Alex Rivera", "yes, 10am?"),
                 ("Jordan Lee", "bring the zanzibar chalk"), ("Alex Rivera", "deal")]),
    (_at(2, 10), [("Jordan Lee", "the marmoset crack is dry again"), ("Alex Rivera", "finally! sunday?")]),
    (_at(3, 2), [("Jordan Lee", "want to go bouldering saturday? zanzibar wall")]),
]
CREW: list[Conversation] = [
    (_at(1, 20), [("Maya Chen", "gym tonight?"), ("Jordan Lee", "only if we do the quillfeather problem"),
                  ("Alex Rivera", "I'm in")]),
]
MAYA: list[Conversation] = [
    (_at(1, 3), [("Maya Chen", "send me the photos pls, maya.chen@example.org"), ("Alex Rivera", "sending now")]),
    (_at(1, 15), [("Maya Chen", "did Jordan Lee ever pay you back?"), ("Alex Rivera", "not yet haha")]),
    (_at(2, 1), [("Maya Chen", "dinner on friday?"), ("Alex Rivera", "yes! I'll bring dessert")]),
    (_at(3, 5), [("Maya Chen", "my new number is +49 170 1234567"),
                 ("Maya Chen", "and the iban for the cabin is DE89 3704 0044 0532 0130 00"),
                 ("Maya Chen", "want to go bouldering saturday?")]),
]
JONAS: list[Conversation] = [
    (_at(1, 8), [("Jonas", "football tonight?"), ("Alex Rivera", "yes, which pitch")]),
    (_at(2, 12), [("Jonas", "can you help me move on sunday"), ("Alex Rivera", "sure, what time")]),
]

THREADS = [
    ChatThread("jordan", "whatsapp", EXCLUDED, (ME, EXCLUDED), JORDAN),
    ChatThread("crew", "whatsapp", "Crag Crew", (ME, "Maya Chen", EXCLUDED), CREW, is_group=True),
    ChatThread("maya", "whatsapp", "Maya Chen", (ME, "Maya Chen"), MAYA),
    ChatThread("jonas", "telegram", "Jonas", (ME, "Jonas"), JONAS),
]


def build_world(data_dir: Path, consent_mode: str = "drop-thread") -> Settings:
    """The corpus in `data_dir` with Alex set as the user and nobody excluded yet; CONFIG and the consent
    mode as the user's config."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, as predraft creates it
    (data_dir / "predraft.toml").write_text(f'{CONFIG}\n[privacy]\nconsent_mode = "{consent_mode}"\n')
    settings = load_settings(data_dir)
    with Corpus(settings.corpus_path) as corpus:
        import_threads(corpus, THREADS, UTC, gap=timedelta(minutes=3))
        corpus.set_me(ME)
    return settings
