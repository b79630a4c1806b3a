import math

import pytest

from training import metrics
from training.metrics import chrf, exact_match, is_short, normalize, perplexity, saved_keystrokes, style_distance


def test_normalize_and_exact_match_ignore_case_punctuation_and_spacing():
    assert normalize("Yess!!  OMW 🚲") == "yess omw 🚲"
    assert exact_match(["nope", "yess, omw 🚲"], "Yess omw 🚲", k=3)
    assert not exact_match(["nope", "yess, omw 🚲"], "Yess omw 🚲", k=1)
    assert is_short("yess omw") and not is_short("this reply has six words in") and not is_short("")


@pytest.mark.parametrize(("draft", "real", "saved"), [
    ("yess omw 🚲", "yess omw 🚲", 10),
    ("yess on it", "yess omw 🚲", 5),  # "yess " accepted, then the words part
    ("yess", "yess omw", 4),  # the whole draft is a prefix
    ("yess omw 🚲 now", "yess omw", 8),  # the real reply is a prefix of the draft
    ("no", "yess", 0),
])
def test_saved_keystrokes_counts_accepted_words(draft, real, saved):
    assert saved_keystrokes(draft, real) == saved


def test_style_distance_is_zero_for_the_same_texts_and_grows_with_shouting():
    texts = ["yess omw 🚲", "haha no"]
    assert style_distance(texts, texts) == {"length": 0.0, "emoji_rate": 0.0, "uppercase_rate": 0.0,
                                            "punctuation_rate": 0.0, "vocabulary": 0.0}
    loud = style_distance(["YES. ON MY WAY."], ["yess omw"])
    assert loud["uppercase_rate"] == 1.0 and loud["vocabulary"] == 1.0 and loud["punctuation_rate"] > 0.1


def test_chrf_and_perplexity():
    assert chrf(["yess omw"], ["yess omw"]) == pytest.approx(100.0)
    assert chrf(["completely different"], ["yess omw"]) < 20
    assert perplexity(-2 * math.log(4), 2) == pytest.approx(4.0)


def test_paired_bootstrap_tells_a_real_gap_from_luck():
    reals = [f"reply number {i}" for i in range(30)]
    exact = list(reals)
    off = ["something else entirely"] * 30
    gap = metrics.paired_bootstrap(metrics.chrf, exact, off, reals, samples=200)
    assert gap["difference"] > 50 and gap["ci95"][0] > 0 and gap["share_of_resamples_ahead"] == 1.0
    # two systems right on alternate turns: the gap's interval holds 0
    half = [r if i % 2 else "no" for i, r in enumerate(reals)]
    other_half = [r if i % 2 == 0 else "no" for i, r in enumerate(reals)]
    tie = metrics.paired_bootstrap(metrics.chrf, half, other_half, reals, samples=200)
    assert tie["ci95"][0] < 0 < tie["ci95"][1]
    assert metrics.paired_bootstrap(metrics.chrf, half, other_half, reals, samples=200) == tie  # seeded
