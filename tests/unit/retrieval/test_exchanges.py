from dataclasses import replace
from datetime import UTC, datetime, timedelta

from assistant.corpus.models import Kind, Message, Thread
from assistant.retrieval.exchanges import exchanges_from_thread

THREAD = Thread(id=7, platform="whatsapp", key="k", title="Maya Lindqvist", is_group=False, participants=("Maya", "Sam"))
START = datetime(2022, 5, 14, 18, 0, tzinfo=UTC)


def _messages(*lines):
    """(sender, text) or (sender, text, kind, media); sender "me" is the user."""
    out = []
    for i, (sender, text, *rest) in enumerate(lines):
        kind, media = (*rest, None)[:2] if rest else (Kind.TEXT, None)
        out.append(Message(
            id=100 + i, thread_id=THREAD.id, sender_id=1 if sender == "me" else 2,
            sender=None if kind == Kind.SYSTEM else ("Sam" if sender == "me" else sender),
            timestamp=START + timedelta(minutes=i), utc_offset_min=None, text=text, kind=kind, media=media,
            message_id=None, reply_to=None, edited=False, unsent=False, forwarded=False, is_me=sender == "me",
        ))
    return out


def test_consecutive_user_messages_merge_into_one_turn_one_line_each():
    msgs = _messages(("Maya", "are you coming tonight?"), ("me", "yes"), ("me", "on my way"), ("Maya", "great"))
    [ex] = exchanges_from_thread(THREAD, msgs, context_messages=4)
    assert ex.reply == "yes\non my way"
    assert ex.context == "Maya: are you coming tonight?"
    assert (ex.id, ex.thread_id, ex.contact, ex.platform) == ("7:101", 7, "Maya", "whatsapp")
    assert (ex.timestamp, ex.year) == (START + timedelta(minutes=1), 2022)


def test_context_holds_at_most_n_messages_from_both_sides():
    msgs = _messages(
        ("Maya", "m1"), ("me", "u1"), ("Maya", "m2"), ("Maya", "m3"), ("me", "u2"), ("Maya", "m4"), ("me", "u3"),
    )
    exchanges = list(exchanges_from_thread(THREAD, msgs, context_messages=3))
    assert [e.reply for e in exchanges] == ["u1", "u2", "u3"]
    assert [e.context for e in exchanges] == [
        "Maya: m1",
        "Me: u1\nMaya: m2\nMaya: m3",
        "Maya: m3\nMe: u2\nMaya: m4",
    ]
    assert [e.id for e in exchanges] == ["7:101", "7:104", "7:106"]


def test_only_the_users_text_becomes_a_reply():
    msgs = _messages(
        ("Maya", "look at this", Kind.MEDIA, "image"),
        ("me", "", Kind.MEDIA, "sticker"),  # a sticker-only turn has no words to learn from
        ("Maya", "haha"),
        ("me", "nice pic"),
        ("me", "", Kind.MEDIA, "image"),
    )
    [ex] = exchanges_from_thread(THREAD, msgs, context_messages=2)
    assert ex.reply == "nice pic"
    assert ex.context == "Me: <sticker>\nMaya: haha"
    assert ex.id == "7:103"


def test_system_lines_and_reactions_neither_split_turns_nor_fill_context():
    msgs = _messages(
        ("Maya", "dinner at 8?"),
        ("me", "sure"),
        (None, "Maya changed the group name", Kind.SYSTEM),
        ("me", "I'll bring wine"),
        ("Maya", "❤️", Kind.REACTION),
    )
    [ex] = exchanges_from_thread(THREAD, msgs, context_messages=4)
    assert (ex.reply, ex.context) == ("sure\nI'll bring wine", "Maya: dinner at 8?")


def test_an_opener_has_no_context_and_the_thread_title_as_contact():
    [ex] = exchanges_from_thread(THREAD, _messages(("me", "happy birthday!!\nsee you saturday")), context_messages=4)
    assert (ex.context, ex.contact) == ("", "Maya Lindqvist")
    assert ex.reply == "happy birthday!!\n\tsee you saturday"
    assert ex.embedded_text == ex.reply


def test_a_thread_without_user_turns_yields_nothing():
    assert list(exchanges_from_thread(THREAD, _messages(("Maya", "hello?"), ("Maya", "anyone?")), 4)) == []


def test_a_long_silence_starts_a_new_conversation_for_turns_and_context():
    msgs = _messages(("Maya", "good night"), ("me", "night!"), ("me", "morning :)"), ("Maya", "coffee?"), ("me", "yes"))
    later = [m if i < 2 else replace(m, timestamp=m.timestamp + timedelta(hours=9)) for i, m in enumerate(msgs)]
    exchanges = list(exchanges_from_thread(THREAD, later, context_messages=4, gap=timedelta(hours=6)))
    assert [(e.context, e.reply) for e in exchanges] == [
        ("Maya: good night", "night!"),
        ("", "morning :)"),
        ("Me: morning :)\nMaya: coffee?", "yes"),
    ]
    merged = list(exchanges_from_thread(THREAD, later, context_messages=4))
    assert [e.reply for e in merged] == ["night!\nmorning :)", "yes"]


def test_the_answer_is_the_other_sides_first_text_after_the_turn_in_the_same_conversation():
    msgs = _messages(
        ("Maya", "m1"), ("me", "u1"), ("Maya", "", Kind.MEDIA, "image"), ("Maya", "m2"), ("me", "u2"),
        ("Maya", "", Kind.MEDIA, "image"), ("me", "u3"),
    )
    exchanges = list(exchanges_from_thread(THREAD, msgs, context_messages=3))
    # after u1 a photo, then text; after u2 only a photo (never the user's own next turn); after u3 nothing
    assert [(e.reply, e.answer) for e in exchanges] == [("u1", "m2"), ("u2", ""), ("u3", "")]
    late = replace(msgs[2], text="m2 next day", kind=Kind.TEXT, media=None, timestamp=START + timedelta(days=2))
    [first] = exchanges_from_thread(THREAD, [*msgs[:2], late], context_messages=3, gap=timedelta(hours=6))
    assert first.answer == ""  # a silence ends the conversation: what came after answers nothing
