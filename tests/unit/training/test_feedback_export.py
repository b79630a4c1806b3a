"""Review decisions as SFT examples and DPO preference pairs."""

import json
from datetime import UTC, datetime, timedelta

from assistant.corpus import Corpus
from assistant.feedback.store import Decision, FeedbackStore
from assistant.privacy import PrivacyPolicy
from tests.worlds.threads import ChatThread, import_threads
from training.feedback_export import cap_feedback, preference_pairs, sft_examples, usable_decisions, write_feedback_export

GAP = timedelta(hours=6)

PROMPT = "### WhatsApp chat with Maya Chen · Friday 2025-03-07\nMaya Chen: dinner at 8?\nMe:"


def decision(action, final, candidates=("sounds good", "can't tonight"), chosen=None):
    return Decision(thread_id=3, prompt=PROMPT, candidates=list(candidates), action=action, chosen_index=chosen,
                    final_text=final, created_at="2025-03-07T18:00:00+00:00")


def test_accepted_and_edited_drafts_become_examples_in_the_prompt_format():
    rows = [decision("accept", "sounds good", chosen=0), decision("edit", "perfect haha\nomw 🚲", chosen=1),
            decision("reject", None), decision("regenerate", None)]
    accepted, edited = sft_examples(rows)
    assert accepted.prompt == PROMPT and accepted.target == " sounds good\n" and accepted.source == "feedback"
    assert edited.target == " perfect haha\nMe: omw 🚲\n" and edited.messages == ("perfect haha", "omw 🚲")


def test_preference_pairs_put_what_was_sent_over_the_draft():
    rows = [decision("edit", "perfect haha", chosen=1), decision("accept", "sounds good", chosen=0),
            decision("reject", None),  # nothing found that was sent instead: no pair
            decision("edit", "sounds good", chosen=0),  # unchanged edit: no pair
            decision("reject", "9 works better")]  # what was sent instead, over the top draft
    pairs = preference_pairs(rows)
    assert [p.as_json() for p in pairs] == [
        {"prompt": PROMPT, "chosen": " perfect haha\n", "rejected": " can't tonight\n"},
        {"prompt": PROMPT, "chosen": " 9 works better\n", "rejected": " sounds good\n"},
    ]


def test_cap_keeps_the_same_subset_whatever_the_order():
    rows = [Decision(thread_id=1, prompt=f"{PROMPT} {i}", candidates=["x"], action="accept", final_text=f"r{i}",
                     created_at=f"2025-03-07T18:00:{i:02d}+00:00") for i in range(12)]
    examples = sft_examples(rows)
    kept = cap_feedback(examples, human=10, ratio=2.5)
    assert len(kept) == 4
    assert [e.prompt for e in cap_feedback(examples[::-1], human=10, ratio=2.5)] == [e.prompt for e in kept]
    assert kept == sorted(kept, key=lambda e: e.when)


def test_export_writes_sft_and_preference_jsonl(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    store.record(decision("edit", "perfect haha", chosen=1))
    store.record(decision("accept", "sounds good", chosen=0))
    store.close()
    corpus = Corpus(tmp_path / "corpus.sqlite")
    result = write_feedback_export(usable_decisions(tmp_path / "feedback.sqlite", corpus, PrivacyPolicy(), GAP), tmp_path / "out")
    assert (result.sft, result.pairs) == (2, 1)
    sft = [json.loads(line) for line in result.sft_path.read_text().splitlines()]
    assert sft[0]["messages"] == [
        {"role": "system", "content": "### WhatsApp chat with Maya Chen · Friday 2025-03-07"},
        {"role": "user", "content": "Maya Chen: dinner at 8?"},
        {"role": "assistant", "content": "perfect haha"},
    ]
    pref = json.loads(result.preference_path.read_text())
    assert pref == {"prompt": PROMPT, "chosen": " perfect haha\n", "rejected": " can't tonight\n"}
    assert usable_decisions(tmp_path / "missing.sqlite", corpus, PrivacyPolicy(), GAP) == []
    corpus.close()


def test_a_reject_pairs_the_top_draft_with_what_the_user_sent_next(tmp_path):
    """Read from the thread: their next turn if it came before the other side wrote again, within the gap."""
    start = datetime(2025, 3, 7, 17, 59, tzinfo=UTC)
    chats = [ChatThread("maya", "whatsapp", "Maya Chen", ("Maya Chen", "Alex"), [
        (start, [("Maya Chen", "dinner at 8?"), ("Alex", "can't at 8"), ("Alex", "9 works better")]),
        (start + timedelta(days=1), [("Maya Chen", "lunch?"), ("Maya Chen", "hello??"), ("Alex", "yes!")]),
        (start + timedelta(days=2), [("Alex", "free tonight?")]),
    ])]
    with Corpus(tmp_path / "corpus.sqlite") as corpus:
        import_threads(corpus, chats, UTC, timedelta(minutes=2))
        corpus.set_me("Alex")
        store = FeedbackStore(tmp_path / "feedback.sqlite")
        for when in (start + timedelta(minutes=1),  # answered by Alex's next two messages
                     start + timedelta(days=1, minutes=1),  # Maya wrote again first: nothing to pair
                     start + timedelta(days=2, hours=-7)):  # Alex wrote 7 hours later: another conversation
            store.record(Decision(thread_id=1, prompt=PROMPT, candidates=["sounds good", "sure"], action="reject",
                                  created_at=when.isoformat()))
        store.close()
        decisions = usable_decisions(tmp_path / "feedback.sqlite", corpus, PrivacyPolicy(), GAP)
    assert [d.final_text for d in decisions] == ["can't at 8\n9 works better", None, None]
    assert [p.as_json() for p in preference_pairs(decisions)] == [
        {"prompt": PROMPT, "chosen": " can't at 8\nMe: 9 works better\n", "rejected": " sounds good\n"}]
