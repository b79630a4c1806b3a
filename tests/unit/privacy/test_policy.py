"""Consent and PII redaction on the one read path that feeds training and retrieval."""

from dataclasses import astuple

import pytest

from assistant.privacy.policy import EXCLUDED_SENDER, EXCLUDED_TEXT, PrivacyPolicy, usable_threads
from tests.worlds.privacy import CHATS, JORDAN_NAMES, JORDAN_WORDS, build_corpus


@pytest.fixture
def corpus(tmp_path):
    with build_corpus(tmp_path / "corpus.sqlite") as c:
        yield c


def _strings(thread, messages):
    """Every text-like field a consumer of usable_threads could read."""
    values = [str(v) for v in astuple(thread)]
    values += [str(v) for m in messages for v in astuple(m)]
    return " | ".join(values)


def test_drop_thread_leaves_out_every_thread_the_excluded_contact_wrote_in_or_belongs_to(corpus):
    policy = PrivacyPolicy(consent_mode="drop-thread", redact_pii=False)
    titles = [t.title for t, _ in usable_threads(corpus, policy)]
    # Their 1:1 chats (WhatsApp and Telegram) and the group they are a member of are gone;
    # threads that only mention them stay, with the mentions replaced.
    assert titles == ["Maya Chen", f"{EXCLUDED_SENDER}'s birthday 🎂"]


def test_redact_mode_keeps_threads_but_no_trace_of_the_excluded_contact(corpus):
    policy = PrivacyPolicy(consent_mode="redact", redact_pii=False)
    result = list(usable_threads(corpus, policy))
    assert len(result) == len(CHATS)
    everything = " | ".join(_strings(t, ms) for t, ms in result)
    for needle in JORDAN_WORDS + JORDAN_NAMES:
        assert needle.lower() not in everything.lower(), needle
    by_title = {(t.platform, t.title): (t, ms) for t, ms in result}
    dm, dm_messages = by_title["whatsapp", EXCLUDED_SENDER]
    assert dm.participants == ("Alex Rivera", EXCLUDED_SENDER)
    assert [(m.sender, m.text) for m in dm_messages] == [
        (EXCLUDED_SENDER, EXCLUDED_TEXT), ("Alex Rivera", "ooh tell me"), (EXCLUDED_SENDER, EXCLUDED_TEXT),
    ]
    _, maya_messages = by_title["whatsapp", "Maya Chen"]
    assert [m.text for m in maya_messages][:2] == [
        f"did {EXCLUDED_SENDER} ever pay you back?",
        f"nope. {EXCLUDED_SENDER} owes me 20 and so does {EXCLUDED_SENDER} lol",
    ]
    _, crew_messages = by_title["whatsapp", "Climbing Crew"]
    assert crew_messages[0].text == f"Maya Chen added {EXCLUDED_SENDER}"


def test_pii_redaction_only_when_the_policy_asks_for_it(corpus):
    def maya_texts(policy):
        return [m.text for t, ms in usable_threads(corpus, policy) if t.title == "Maya Chen" for m in ms]

    assert maya_texts(PrivacyPolicy(redact_pii=True))[-1] == "my new number is <PHONE>"
    assert maya_texts(PrivacyPolicy(redact_pii=False))[-1] == "my new number is +49 170 1234567"


def test_redact_names_replaces_other_peoples_names_but_not_the_users(corpus):
    policy = PrivacyPolicy(consent_mode="redact", redact_pii=True, redact_names=True)
    crew = next(ms for t, ms in usable_threads(corpus, policy) if t.title == "Climbing Crew")
    assert crew[0].text == f"<NAME> added {EXCLUDED_SENDER}"  # Maya's name is redacted, Jordan is withheld
    assert [m.sender for m in crew[1:]] == ["Maya Chen", "Alex Rivera"]  # senders stay for the prompt format


def test_including_the_contact_again_brings_their_threads_back(corpus):
    corpus.set_consent("Jordan Lee", excluded=False)
    corpus.set_consent("J. Lee", excluded=False)
    policy = PrivacyPolicy(consent_mode="drop-thread", redact_pii=False)
    texts = [m.text for _, ms in usable_threads(corpus, policy) for m in ms]
    assert "my secret beta for the overhang" in texts and "what do we get Jordan?" in texts
