"""Pre-drafting past the reply only while predictions pay: the prior, the cut-off, the note."""

from graphs.predraft.pacing import hit_rate_line, pace


def test_a_new_user_gets_the_depth_asked_for():
    assert pace(2, {}, 0.1).depth == 2
    assert pace(2, {"hits": 0, "misses": 3}, 0.1).depth == 2  # a few misses do not outweigh the prior


def test_a_long_run_of_misses_drafts_the_reply_alone_and_says_why():
    paced = pace(3, {"hits": 1, "misses": 29}, 0.1)
    assert (paced.depth, round(paced.expected, 3)) == (1, 0.075)
    assert paced.note(0.1) == ("pre-drafting your reply only: predictions hit 1 of 30 (3%), "
                               "expected 8% < draft.predraft_min_hit_rate 10%")


def test_hits_keep_pre_drafting_and_zero_always_does():
    assert pace(2, {"hits": 12, "misses": 19}, 0.1).depth == 2
    assert pace(2, {"hits": 0, "misses": 500}, 0.0).depth == 2
    assert pace(2, {"hits": 12, "misses": 19}, 0.1).note(0.1) is None


def test_hit_rate_line():
    assert hit_rate_line(0, 0) == "none checked yet"
    assert hit_rate_line(12, 31) == "12 of 31 (39%)"
