"""One example per user turn, in the inference prompt format, with the context cut where inference cuts it."""

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from assistant.corpus.models import Kind
from assistant.prompting import ME, NEUTRAL_CONTACT, Turn, build_prompt, header, prompt_lines, render_reply
from tests.worlds.chat import Chat
from training.examples import SessionTranscript, drop_duplicates, rejection, thread_examples

HEAD = "### WhatsApp chat with Maya Chen · Thursday 2023-06-01"


def examples(chat: Chat, settings, **dataset):
    cfg = settings.dataset.model_copy(update=dataset)
    return thread_examples(chat.thread, chat.messages, cfg, "Sam Carter", redact_names=False)


def test_consecutive_user_messages_merge_into_one_turn_with_one_line_each(chat, settings):
    chat.say("Maya Chen", "are you coming tonight?").say("Maya Chen", "bring the speaker")
    chat.say("Sam Carter", "yess").say("Sam Carter", "photo", kind=Kind.MEDIA, media="photo").say("Sam Carter", "omw 🚲")
    outcome = examples(chat, settings)
    [e] = outcome.examples
    assert e.prompt == HEAD + "\nMaya Chen: are you coming tonight?\nMaya Chen: bring the speaker\nMe:"
    assert e.target == " yess\nMe: omw 🚲\n" == render_reply(["yess", "omw 🚲"])
    assert e.messages == ("yess", "omw 🚲")  # the photo is context for later turns, never a target
    assert e.context_messages == 2


def test_prompt_is_the_inference_format_and_group_chats_keep_speaker_names(settings):
    chat = Chat("Climbing crew", platform="telegram", is_group=True)
    chat.say("Priya Nair", "saturday at 10?").say("Jonas Weber", "in").say("Sam Carter", "me too")
    chat.say("Priya Nair", "", kind=Kind.MEDIA, media="photo").say("Sam Carter", "nice wall")
    first, second = examples(chat, settings).examples
    head = header("telegram", "Climbing crew", first.when.date(), is_group=True)
    assert first.prompt == build_prompt(head, []).removesuffix("\nMe:") + "\nPriya Nair: saturday at 10?\nJonas Weber: in\nMe:"
    assert second.prompt.endswith("Jonas Weber: in\nMe: me too\nPriya Nair: <photo>\nMe:")


def test_context_never_crosses_a_conversation_break(chat, settings):
    chat.say("Maya Chen", "last week's film was great").say("Sam Carter", "right??")
    chat.say("Maya Chen", "coffee tomorrow?", after=7 * 60).say("Sam Carter", "yess")
    first, second = examples(chat, settings, conversation_gap_hours=6).examples
    assert second.prompt == HEAD + "\nMaya Chen: coffee tomorrow?\nMe:"
    assert first.session != second.session
    # with a longer gap setting the two are one conversation
    merged = examples(chat, settings, conversation_gap_hours=8).examples
    assert merged[1].prompt.count("\n") == 4 and merged[0].session == merged[1].session


def test_context_is_cut_to_the_token_budget_and_message_count(chat, settings):
    for i in range(30):
        chat.say("Maya Chen", f"message number {i:02d} " + "x" * 30)  # 59-char lines + newline: 60 chars each
    chat.say("Sam Carter", "that's a lot")
    [e] = examples(chat, settings, context_tokens=45, max_context_messages=24).examples  # 45 tokens ≈ 180 chars
    assert e.context_messages == 3
    assert "message number 27" in e.prompt and "message number 26" not in e.prompt
    [e] = examples(chat, settings, context_tokens=10_000, max_context_messages=5).examples
    assert e.context_messages == 5 and "message number 25" in e.prompt and "number 24" not in e.prompt


def test_each_filter_counts_what_it_removed(chat, settings):
    chat.say("Maya Chen", "pic?").say("Sam Carter", "", kind=Kind.MEDIA, media="photo")  # media-only
    chat.say("Maya Chen", "link?").say("Sam Carter", "https://example.com/a?b=1")  # link-only
    chat.say("Maya Chen", "ok?").say("Sam Carter", "k")  # too short (min 2)
    chat.say("Maya Chen", "essay?").say("Sam Carter", "y" * 50)  # too long (max 40)
    chat.say("Maya Chen", "same?").say("Sam Carter", "   ")  # empty
    chat.say("Maya Chen", "again?").say("Sam Carter", "yes indeed", unsent=True)  # unsent: not a turn at all
    chat.say("Maya Chen", "real one?").say("Sam Carter", "sure thing")
    outcome = examples(chat, settings, min_reply_chars=2, max_reply_chars=40)
    assert [e.messages for e in outcome.examples] == [("sure thing",)]
    assert dict(outcome.removed) == {"media-only": 1, "link-only": 1, "too-short": 1, "too-long": 1, "empty": 1}


def test_link_only_replies_in_any_case_and_placeholders(settings):
    assert rejection([], ["WWW.example.com/a", "<url>", "[URL] HTTPS://x.io"], settings.dataset) == "link-only"
    assert rejection([], ["https://x.io", "look"], settings.dataset) is None


PIECES = ["a", "é", " ", "\n", "\t", ":", "<eos>", "<", "🚲"]


@given(
    st.lists(st.tuples(st.sampled_from([ME, "Maya Chen", "Jo:nas", " Priya\n"]),
                       st.lists(st.sampled_from(PIECES), max_size=20).map("".join)), max_size=30),
    st.integers(1, 30),
    st.integers(0, 60),
)
def test_session_prompts_are_the_graphs_prompts(said, max_messages, context_tokens):
    """Each prompt is what the draft graph's prompt_lines + build_prompt make of the turns so far."""
    turns = [Turn(speaker=speaker, text=text, source="corpus") for speaker, text in said]
    limits = SimpleNamespace(max_context_messages=max_messages, context_tokens=context_tokens)
    transcript = SessionTranscript(turns, limits)
    for before in range(len(turns) + 1):
        lines = prompt_lines(turns[:before], max_messages, context_tokens)
        start = transcript.context_start(before)
        assert transcript.prompt(HEAD, start, before) == build_prompt(HEAD, lines)
        assert before - start == len(lines)


def test_duplicates_across_threads_are_dropped(chat, settings):
    chat.say("Maya Chen", "dinner?").say("Sam Carter", "yess")
    first = thread_examples(chat.thread, chat.messages, settings.dataset, "Sam Carter").examples
    other_platform = Chat(platform="signal")
    other_platform.say("Maya Chen", "dinner?").say("Sam Carter", "yess")
    again = thread_examples(other_platform.thread, other_platform.messages, settings.dataset, "Sam Carter").examples
    kept, dropped = drop_duplicates(first + again)
    assert kept == first and dropped == 1


def test_redact_names_puts_a_neutral_contact_in_the_header(chat, settings):
    chat.say("Maya Chen", "hi").say("Sam Carter", "hey")
    [e] = thread_examples(chat.thread, chat.messages, settings.dataset, "Sam Carter", redact_names=True).examples
    assert e.header == f"### WhatsApp chat with {NEUTRAL_CONTACT} · Thursday 2023-06-01"


def test_drop_media_mode_leaves_photos_out_of_context(chat, settings):
    chat.say("Maya Chen", "", kind=Kind.MEDIA, media="photo").say("Maya Chen", "look").say("Sam Carter", "wow")
    [e] = examples(chat, settings, media="drop").examples
    assert e.prompt == HEAD + "\nMaya Chen: look\nMe:"
