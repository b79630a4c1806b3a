"""The bundled demo exports: they parse cleanly and hold what the demo needs to show."""

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.corpus import Corpus
from assistant.demo import DEMO_ALIASES, DEMO_EXCLUDED, DEMO_ME, SAMPLES_DIR
from assistant.ingest.runner import ingest_paths
from assistant.privacy.policy import PrivacyPolicy, usable_threads

REPO = Path(__file__).parents[3]
NEW_JOB = datetime(2024, 4, 15, tzinfo=UTC)  # Alex's style changes with the new job
EMOJI = re.compile(r"[\U0001F300-\U0001FAFF]")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    with Corpus(tmp_path_factory.mktemp("demo") / "corpus.sqlite") as c:
        result = ingest_paths(c, [SAMPLES_DIR], timezone="America/Chicago")
        assert result.ok, result.failures
        assert [w for r in result.reports for w in r.warnings] == []
        c.set_me(DEMO_ME, DEMO_ALIASES)
        c.set_consent(DEMO_EXCLUDED, excluded=True)
        yield c


@pytest.fixture(scope="module")
def usable(corpus):
    return list(usable_threads(corpus, PrivacyPolicy(consent_mode="drop-thread", redact_pii=True)))


def test_the_users_three_names_are_one_person(corpus):
    assert [p.name for p in corpus.people() if p.is_me] == [DEMO_ME]
    handles = corpus.db.execute(
        "SELECT platform, handle FROM identities WHERE person_id = ? ORDER BY platform", (corpus.me().id,)
    ).fetchall()
    assert [tuple(h) for h in handles] == [("discord", "alexr"), ("telegram", "Alex R"), ("whatsapp", "Alex Rivera")]


def test_excluding_the_contact_drops_their_dm_and_leaves_at_least_300_user_turns(usable):
    assert sorted((t.platform, t.title) for t, _ in usable) == [
        ("telegram", "Sam Okafor"), ("whatsapp", "Climbing Crew"), ("whatsapp", "Maya Chen"),
    ]
    turns = sum(m.is_me and (i == 0 or not ms[i - 1].is_me) for _, ms in usable for i, m in enumerate(ms))
    assert turns >= 300


def test_the_excluded_contact_is_not_even_named_in_the_other_chats(corpus, usable):
    raw = " ".join(m.text for _, ms in corpus.iter_thread_messages() for m in ms).lower()
    assert "jordan" in raw  # the crew chat talks about them
    assert all("jordan" not in m.text.lower() for _, ms in usable for m in ms)


def test_pii_in_the_samples_is_redacted(corpus, usable):
    raw = " ".join(m.text for _, ms in corpus.iter_thread_messages() for m in ms)
    used = " ".join(m.text for _, ms in usable for m in ms)
    for secret in ["+1 312 555 0147", "+44 7700 900461", "sam.okafor@example.co.uk", "48 Maple Drive"]:
        assert secret in raw and secret not in used
    assert (used.count("<PHONE>"), used.count("<EMAIL>"), used.count("<ADDRESS>")) == (2, 1, 1)


def test_the_users_style_shifts_after_the_new_job(usable):
    mine = [m for _, ms in usable for m in ms if m.is_me and m.kind == "text" and m.text[:1].isalpha()]
    before = [m.text for m in mine if m.timestamp < NEW_JOB]
    after = [m.text for m in mine if m.timestamp >= NEW_JOB]
    assert len(before) > 200 and len(after) > 80

    def share(texts, test):
        return sum(map(test, texts)) / len(texts)

    assert share(before, lambda t: t[0].islower()) > 0.9 and share(after, lambda t: t[0].isupper()) > 0.9
    assert share(before, lambda t: "haha" in t) > 3 * share(after, lambda t: "haha" in t)
    assert share(before, lambda t: bool(EMOJI.search(t))) > 3 * share(after, lambda t: bool(EMOJI.search(t)))


def test_the_committed_samples_are_what_the_generator_writes(tmp_path):
    subprocess.run([sys.executable, REPO / "scripts" / "make_demo_data.py", "--out", tmp_path], check=True,
                   capture_output=True)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(SAMPLES_DIR) for p in SAMPLES_DIR.rglob("*") if p.is_file())
    for name in written:
        assert (tmp_path / name).read_bytes() == (SAMPLES_DIR / name).read_bytes(), name
