import random

import numpy as np
import pytest

from training.judge import AuthorshipJudge, AuthorshipTexts

# The user writes lowercase, drops apostrophes, says "omw" and "haha"; the others write full sentences.
USER = [
    "yess omw", "haha no way", "omg tell me everything", "ok see u at 7", "lol same", "cant tonight sorry",
    "yess the thai place", "haha ok ok", "omw 10 min", "no way thats huge", "ugh mondays", "sure lets do it",
    "haha yes pls", "omg congrats!!", "cant wait", "ok cool see u there", "lol no", "yess finally",
]
OTHERS = [
    "Are you coming tonight?", "Please bring the speaker.", "I will be there at seven.",
    "Did you see the message from Sam?", "The meeting moved to Thursday.", "Thank you, that was kind.",
    "Could you call me when you land?", "We should book the table soon.", "It was a long day at work.",
    "Remember to water the plants.", "My train is running late again.", "Shall we meet at the station?",
    "The concert starts at eight.", "I finished the report this morning.", "Happy birthday, have a great day.",
    "Let me know what you think.", "The weather looks good for Sunday.", "I have sent you the address.",
]
HELD_OUT_USER = ["haha omg yess", "ok omw lol", "cant haha", "yess see u"]
HELD_OUT_OTHERS = ["Will you join us for dinner?", "The parcel arrived this afternoon.", "Please call me back."]


def judge(seed: int = 0) -> AuthorshipJudge:
    return AuthorshipJudge.fit(USER + OTHERS, [True] * len(USER) + [False] * len(OTHERS), seed)


def test_authorship_texts_take_each_other_turn_once_and_leave_out_the_users_context_lines():
    head = "### WhatsApp chat with Maya Chen · Sunday 2023-04-02\n"
    first = (head + "Maya Chen: are you coming?\nMe:", "yess omw")
    second = (head + "Maya Chen: are you coming?\nMe: yess omw\nMaya Chen: bring chips\nMe:", "ok")
    texts = AuthorshipTexts.from_examples([first, second])
    assert texts.user == ["ok", "yess omw"]
    assert texts.others == ["are you coming?", "bring chips"]


def test_the_judge_tells_the_user_from_the_others_on_held_out_texts():
    j = judge()
    reference = j.reference(AuthorshipTexts(HELD_OUT_USER, HELD_OUT_OTHERS))
    assert reference.ceiling == 1.0 and reference.floor == 0.0
    assert reference.accuracy == reference.balanced_accuracy == 1.0
    assert (reference.user_texts, reference.other_texts) == (4, 3)
    assert j.attribution(HELD_OUT_USER + HELD_OUT_OTHERS) == pytest.approx(4 / 7)


def test_a_blank_draft_passes_as_nobodys():
    assert judge().probabilities(["", "  ", "yess omw"]).tolist()[:2] == [0.0, 0.0]
    assert judge().attribution([]) == 0.0


def test_fitting_is_deterministic_whatever_the_input_order():
    pairs = list(zip(USER + OTHERS, [True] * len(USER) + [False] * len(OTHERS)))
    random.Random(7).shuffle(pairs)
    shuffled = AuthorshipJudge.fit([t for t, _ in pairs], [label for _, label in pairs])
    probe = HELD_OUT_USER + HELD_OUT_OTHERS
    assert np.array_equal(shuffled.probabilities(probe), judge().probabilities(probe))


def test_the_judge_needs_both_classes():
    with pytest.raises(ValueError, match="by the user and by others"):
        AuthorshipJudge.fit(USER, [True] * len(USER))


def test_a_training_text_is_judged_by_a_model_that_never_read_it():
    # One formal line the user really wrote: a judge that read it would recognise it word for word,
    # as it would any reply that retrieval hands back; the model that never read it goes by style.
    odd = "The quarterly figures are attached for your review."
    j = AuthorshipJudge.fit(USER + [odd] + OTHERS, [True] * (len(USER) + 1) + [False] * len(OTHERS))
    assert j.probabilities([odd])[0] < 0.5
    assert j.probabilities(["the quarterly figures  are attached for your REVIEW."])[0] < 0.5  # same text to it
    folds = {j.judged_by(t) for t in USER + OTHERS}
    assert folds == set(range(len(j.models))) and len(j.models) == 5


def test_unseen_texts_spread_over_the_models_by_hash_the_same_way_on_every_run():
    j = judge()
    probe = [f"text number {i}" for i in range(40)]
    assert len({j.judged_by(t) for t in probe}) == len(j.models)
    assert [j.judged_by(t) for t in probe] == [judge().judged_by(t) for t in probe]
