"""Review decisions read again under the privacy policy as it is now: what `dataset build` and `feedback export`
take from the feedback store, after a contact was excluded or with PII in what was shown or sent."""

import json
from datetime import timedelta

import pytest

from assistant.config import load_settings
from assistant.feedback.store import Decision, FeedbackStore
from assistant.privacy import PrivacyPolicy, read_rules
from assistant.privacy.policy import EXCLUDED_SENDER, EXCLUDED_TEXT
from tests.worlds.privacy import JORDAN_WORDS, build_corpus
from training.dataset import build_dataset
from training.feedback_export import usable_decisions, write_feedback_export

GAP = timedelta(hours=6)
PHONE, EMAIL, IBAN = "+49 170 1234567", "maya.chen@example.org", "DE89 3704 0044 0532 0130 00"
# As the review stored them, before Jordan Lee was excluded: the prompt the model saw, the drafts, what was sent.
JORDAN_PROMPT = ("### WhatsApp chat with Jordan Lee · Monday 2023-05-01\nJordan Lee: my secret beta for the overhang\n"
                 "\theel hook on the left volume\nMe: ooh tell me\nMe:")
MAYA_PROMPT = (f"### WhatsApp chat with Maya Chen · Wednesday 2023-05-03\nMaya Chen: did JORDAN LEE ever pay you back?\n"
               f"Maya Chen: my new number is {PHONE}\n\tand my mail {EMAIL}\nMe:")


@pytest.fixture
def corpus(tmp_path):
    with build_corpus(tmp_path / "corpus.sqlite") as c:
        yield c


@pytest.fixture
def feedback(tmp_path, corpus):
    threads = {t.title: t.id for t in corpus.threads()}
    path = tmp_path / "feedback.sqlite"
    store = FeedbackStore(path)
    store.record(Decision(thread_id=threads["Jordan Lee"], prompt=JORDAN_PROMPT, candidates=["tell me more"],
                          action="edit", chosen_index=0, final_text="thanks Jordan, trying it saturday"))
    store.record(Decision(thread_id=threads["Maya Chen"], prompt=MAYA_PROMPT, candidates=[f"send it to {IBAN}"],
                          action="edit", chosen_index=0, final_text=f"nope, Jordan never did. mine is {PHONE}"))
    store.close()
    return path


def _everything(decisions) -> str:
    return json.dumps([[d.prompt, d.candidates, d.final_text] for d in decisions], ensure_ascii=False)


def test_drop_thread_leaves_out_their_threads_decisions_and_redacts_the_rest(feedback, corpus):
    decisions = usable_decisions(feedback, corpus, PrivacyPolicy(consent_mode="drop-thread"), GAP)
    assert [d.prompt.split("\n", 1)[0] for d in decisions] == ["### WhatsApp chat with Maya Chen · Wednesday 2023-05-03"]
    (maya,) = decisions
    assert maya.prompt.split("\n")[1:] == [f"Maya Chen: did {EXCLUDED_SENDER} ever pay you back?",
                                           "Maya Chen: my new number is <PHONE>", "\tand my mail <EMAIL>", "Me:"]
    assert maya.candidates == ["send it to <IBAN>"]
    assert maya.final_text == f"nope, {EXCLUDED_SENDER} never did. mine is <PHONE>"


def test_redact_mode_keeps_their_threads_decisions_with_their_lines_withheld(feedback, corpus):
    jordan, _ = usable_decisions(feedback, corpus, PrivacyPolicy(consent_mode="redact"), GAP)
    assert jordan.prompt.split("\n")[1:] == [f"{EXCLUDED_SENDER}: {EXCLUDED_TEXT}", "Me: ooh tell me", "Me:"]
    assert jordan.final_text == f"thanks {EXCLUDED_SENDER}, trying it saturday"  # the user's words stay


def test_without_redact_pii_only_consent_applies(feedback, corpus):
    (maya,) = usable_decisions(feedback, corpus, PrivacyPolicy(redact_pii=False), GAP)
    assert PHONE in maya.prompt and IBAN in maya.candidates[0] and "JORDAN" not in maya.prompt


def test_dataset_build_and_feedback_export_hold_none_of_it(feedback, corpus, data_dir, tmp_path):
    settings = load_settings(data_dir, {"dataset": {"min_examples": 1, "human_to_feedback_ratio": 0.5}})
    decisions = usable_decisions(feedback, corpus, PrivacyPolicy.from_settings(settings), settings.dataset.gap)
    build = build_dataset(corpus, settings, decisions)
    assert [e.source for e in build.feedback] == ["feedback"]
    export = write_feedback_export(decisions, tmp_path / "export")
    assert (export.sft, export.pairs) == (1, 1)
    written = export.sft_path.read_text() + export.preference_path.read_text()
    for text in (_everything(decisions), written, json.dumps([e.prompt + e.target for e in build.train])):
        for marker in [*JORDAN_WORDS, "Jordan", "JORDAN", PHONE, EMAIL, IBAN]:
            assert marker not in text, marker


def test_the_store_rewritten_under_the_policy_keeps_no_old_text(feedback, corpus):
    rules = read_rules(corpus, PrivacyPolicy())
    store = FeedbackStore(feedback)
    try:
        assert store.rewrite(lambda d: d.under(rules)) == 2
        assert store.rewrite(lambda d: d.under(rules)) == 0  # nothing left to change
        kept = list(store.decisions())
    finally:
        store.close()
    assert kept[0].prompt.split("\n")[1] == f"{EXCLUDED_SENDER}: {EXCLUDED_TEXT}"  # kept for stats, withheld
    raw = b"".join(p.read_bytes() for p in feedback.parent.glob("feedback.sqlite*"))
    for marker in [*JORDAN_WORDS, PHONE, EMAIL, IBAN]:
        assert marker.encode() not in raw, marker
