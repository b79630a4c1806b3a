"""Validation splits never cut a conversation, and the time split never lets the future leak into training."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings as hyp_settings, strategies as st

from training.examples import Example
from training.splits import random_split, time_split

T0 = datetime(2022, 1, 1, tzinfo=UTC)


def example(session: str, minutes: float) -> Example:
    return Example(prompt=f"p{session}{minutes}", target=" t\n", messages=("t",), when=T0 + timedelta(minutes=minutes),
                   thread_id=int(session.split(":")[0]), session=session, platform="sms", context_messages=0)


# Sessions as (thread, start minute, turns, minutes between turns): threads may talk at the same time.
sessions_strategy = st.lists(
    st.tuples(st.integers(1, 4), st.integers(0, 20_000), st.integers(1, 6), st.integers(1, 90)), min_size=2, max_size=40
)


def build(sessions) -> list[Example]:
    return [example(f"{thread}:{i}", start + k * step) for i, (thread, start, turns, step) in enumerate(sessions)
            for k in range(turns)]


@hyp_settings(max_examples=200, deadline=None)
@given(sessions_strategy, st.sampled_from([0.1, 0.2, 0.5]))
def test_time_split_keeps_conversations_whole_and_the_past_before_the_future(sessions, fraction):
    examples = build(sessions)
    split = time_split(examples, fraction)
    assert sorted(split.train + split.val, key=id) == sorted(examples, key=id)
    assert not {e.session for e in split.train} & {e.session for e in split.val}
    if split.val:
        assert max(e.when for e in split.train) < min(e.when for e in split.val)
        assert split.cut == min(e.when for e in split.val)


def test_time_split_takes_about_the_last_fraction():
    examples = build([(1, day * 24 * 60, 2, 5) for day in range(50)])  # 50 conversations of 2 turns, a day apart
    split = time_split(examples, 0.1)
    assert len(split.val) == 10 and len(split.train) == 90
    assert {e.session for e in split.val} == {f"1:{i}" for i in range(45, 50)}


def test_time_split_cuts_between_overlapping_conversations_not_through_them():
    # Two chats at once at the end: they go to the same side.
    examples = build([(1, 0, 8, 10), (1, 1000, 8, 10), (2, 1005, 4, 30)])
    split = time_split(examples, 0.3)
    assert {e.session for e in split.val} == {"1:1", "2:2"}


def test_random_split_is_seeded_and_whole_conversations():
    examples = build([(1, day * 1440, 3, 5) for day in range(30)])
    a, b = random_split(examples, 0.2, seed=7), random_split(examples, 0.2, seed=7)
    assert [e.prompt for e in a.val] == [e.prompt for e in b.val] and len(a.val) == 18
    assert not {e.session for e in a.train} & {e.session for e in a.val}
    assert [e.prompt for e in random_split(examples, 0.2, seed=8).val] != [e.prompt for e in a.val]
