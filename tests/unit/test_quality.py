import pytest

from assistant.quality import (
    ECHO_SIMILARITY,
    UserProfile,
    addressable_names,
    addresses_user,
    check,
    degeneracy,
    failure_rates,
    is_echo,
    length_problem,
    similarity,
)

MAYA_THREAD = [
    "are you still coming saturday?",
    "I'll bring you a mushroom risotto.",
    "omg yes. bring the good parmesan",
]


def test_the_demo_chain_echoes_count_as_echoes():
    # The chain drafted the sentence, predicted the other side would say it, then drafted it again.
    assert is_echo("I'll bring you a mushroom risotto.", MAYA_THREAD)
    assert is_echo("I'll bring you a mushroom risotto!", ["I'll bring you a mushroom risotto."])
    # One word changed is still the same sentence handed back.
    assert similarity("Yes please, my right foot is done.", "yes please, my left foot is done.") >= ECHO_SIMILARITY
    assert is_echo("Yes please, my right foot is done.", ["yes please, my left foot is done."])


def test_a_message_of_a_multi_message_draft_can_echo():
    assert is_echo("haha ok\nI'll bring you a mushroom risotto.", MAYA_THREAD)


def test_a_chain_repeating_its_own_short_texts_echoes():
    # What the chain drafted or predicted before: "I will." predicted, then drafted, then predicted again.
    assert is_echo("I will.", ["Will you come?"], chain=["I will!"])
    assert is_echo("just you", MAYA_THREAD, chain=["haha ok", "just you"])
    assert not is_echo("just you", MAYA_THREAD, chain=["haha ok"])
    assert not is_echo("", MAYA_THREAD, chain=["haha ok"])


def test_answers_that_share_words_are_not_echoes():
    assert not is_echo("I'll bring the cheese, you do the wine", ["I'll bring the wine"])
    assert not is_echo("sure, what time should I be there?", MAYA_THREAD)
    # Short replies repeat naturally in chat.
    assert not is_echo("haha yes", ["haha yes"])
    assert not is_echo("see you at 8", ["see you at 7"])


@pytest.mark.parametrize(("draft", "verdict"), [
    ("", "empty"),
    ("  \n ", "empty"),
    ("on my way on my way on my way", "loop"),
    ("ok ok ok ok ok ok ok", "loop"),
    ("hahahahahahahahahahahahaha", "loop"),
    ("I'll be there in ten minutes\nI'll be there in ten minutes!", "loop"),
    ("I'll bring you a mushroom ris", "cut"),
    ("no no no", None),
    ("hahaha yes", None),
    ("I'll bring you a mushroom risotto", None),
    ("can't wait!! 🍄", None),
])
def test_degenerate_drafts(draft, verdict):
    vocabulary = frozenset({"i", "ll", "bring", "you", "a", "mushroom", "risotto"})
    assert degeneracy(draft, vocabulary) == verdict


def test_a_fragment_is_only_a_cut_word_when_it_starts_a_known_word():
    assert degeneracy("see you at the caf", frozenset({"cafe"})) == "cut"
    assert degeneracy("see you at the xyz", frozenset({"cafe"})) is None


def test_addressable_names_include_the_first_name_and_aliases():
    assert addressable_names("Alex Rivera", ("Alex R", "alexr")) == ("Alex Rivera", "Alex R", "alexr", "Alex")


@pytest.mark.parametrize(("draft", "addressed"), [
    ("Alex, are you coming?", True),
    ("hey alex how was the climb", True),
    ("see you soon, Alex!", True),
    ("thanks Alex", True),
    ("ok Alex, deal", True),
    ("lol\nAlex! you forgot your chalk bag", True),
    ("I told Alex already", False),
    ("well Alex said so", False),
    ("alexandra, hi", False),
    ("sounds good, Maya!", False),
])
def test_wrong_speaker_is_a_draft_that_addresses_the_user(draft, addressed):
    assert addresses_user(draft, addressable_names("Alex Rivera", ("Alex R", "alexr"))) is addressed


def test_length_is_judged_against_the_users_median_reply():
    assert length_problem("ok", 40.0) == "short"
    assert length_problem("x" * 200, 40.0) == "long"
    assert length_problem("sure, see you there at seven", 40.0) is None
    assert length_problem("", 40.0) is None  # empty is degenerate, not short


def test_profile_and_check_combine_the_rules():
    profile = UserProfile.from_replies(["yess omw", "haha no way, tell me everything", "ok see you at 7 then"],
                                       addressable_names("Alex Rivera"))
    assert profile.median_chars == len("ok see you at 7 then")
    assert "omw" in profile.vocabulary
    echo = check("I'll bring you a mushroom risotto.", MAYA_THREAD, profile)
    assert echo.echo and echo.any and echo.degenerate is None and not echo.wrong_speaker
    cut = check("omg the parmes", MAYA_THREAD, profile)  # "parmesan" came up in the conversation
    assert cut.degenerate == "cut"
    fine = check("yess, tell me when", MAYA_THREAD, profile)
    assert not fine.any


def test_failure_rates_share_per_rule():
    profile = UserProfile.from_replies(["yess omw", "ok see you at 7 then"], ("Alex",))
    found = [check(d, MAYA_THREAD, profile) for d in ["", "Alex, yes", "yess, tell me when", "ok"]]
    rates = failure_rates(found)
    assert rates["empty"] == rates["degenerate"] == 0.25
    assert rates["wrong_speaker"] == 0.25
    assert rates["too_short"] == 0.25  # "ok" against a median of 14 characters
    assert rates["any"] == 0.75
    assert failure_rates([]) == {}
