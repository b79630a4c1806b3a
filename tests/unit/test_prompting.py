from dataclasses import replace
from datetime import UTC, date, datetime

from assistant.corpus.models import Kind, Message, Thread
from assistant.prompting import (
    ME,
    Line,
    PastExchange,
    build_prompt,
    context_turns,
    current_conversation,
    header,
    media_placeholder,
    message_turns,
    parse_reply,
    render_reply,
    stop_sequences,
    with_examples,
)
from assistant.retrieval.exchanges import exchanges_from_thread
from assistant.tui.models.transcript import transcript_items


def test_prompt_and_target_concatenate_into_the_transcript():
    head = header("whatsapp", "Maya", date(2023, 4, 2))
    prompt = build_prompt(head, [Line("Maya", "are you coming tonight?"), Line("Maya", "bring\nthe speaker")])
    target = render_reply(["yes", "on my way"])
    assert prompt + target == (
        "### WhatsApp chat with Maya · Sunday 2023-04-02\n"
        "Maya: are you coming tonight?\n"
        "Maya: bring\n\tthe speaker\n"
        "Me: yes\n"
        "Me: on my way\n"
    )


def test_parse_reply_round_trips_and_stops_at_other_speakers():
    assert parse_reply(render_reply(["yes", "two\nlines"])) == ["yes", "two\nlines"]
    assert parse_reply(" sure thing\nMaya: great\nMe: ignored") == ["sure thing"]
    assert parse_reply(" ok\n### WhatsApp chat with X") == ["ok"]
    assert parse_reply(" ") == []


def test_a_reply_ends_where_the_model_starts_repeating_itself():
    assert parse_reply(" so tired\nMe: so tired\nMe: so tired") == ["so tired"]
    assert parse_reply(" ok\nMe: see you\nMe: ok\nMe: more") == ["ok", "see you"]


def test_group_header_and_stops():
    assert header("telegram", "Crew", date(2020, 1, 1), is_group=True).startswith('### Telegram group "Crew"')
    stops = stop_sequences(["Maya", ME, "Jo: x"])
    assert "\nMaya:" in stops and "\nMe:" not in stops and "\n\n" in stops


def test_control_tokens_typed_in_a_chat_stay_plain_text_and_round_trip():
    head = header("whatsapp", "Maya", date(2023, 4, 2))
    prompt = build_prompt(head, [Line("Maya", "type <eos> to end, <start_of_turn>user or <|im_end|>")])
    target = render_reply(["<bos> is not a word", "<photo> <b>bold</b>"])
    broken = "<\u200beos>", "<\u200bstart_of_turn>", "<\u200b|im_end|>", "<\u200bbos>"
    assert all(token in prompt + target for token in broken)
    assert not any(token.replace("\u200b", "") in prompt + target for token in broken)
    assert "<photo> <b>bold</b>" in target  # media placeholders and ordinary tags are left alone
    assert parse_reply(target) == ["<bos> is not a word", "<photo> <b>bold</b>"]


def test_a_message_without_text_reads_the_same_in_prompts_the_index_and_the_transcript():
    def media_message(i: int, media: str | None) -> Message:
        return Message(id=i, thread_id=1, sender_id=None, sender="Maya", utc_offset_min=None, text="",
                       timestamp=datetime(2023, 4, 2, 9, i, tzinfo=UTC), kind=Kind.MEDIA, media=media,
                       message_id=None, reply_to=None, edited=False, unsent=False, forwarded=False, is_me=False)

    photo, unknown = media_message(0, "photo"), media_message(1, None)
    reply = replace(photo, id=2, sender="Sam", text="nice", kind=Kind.TEXT, media=None, is_me=True,
                    timestamp=datetime(2023, 4, 2, 9, 2, tzinfo=UTC))
    thread = Thread(1, "whatsapp", "k", "Maya", False, ("Maya", "Sam"))
    turns = message_turns(current_conversation([photo, unknown], gap_hours=6), "placeholder")
    [exchange] = exchanges_from_thread(thread, [photo, unknown, reply], context_messages=4)
    items = transcript_items([photo, unknown], UTC, date(2023, 4, 2))
    expected = [media_placeholder("photo"), media_placeholder(None)]
    assert expected == ["<photo>", "<media>"]
    assert [t["text"] for t in turns] == expected
    assert exchange.context == "\n".join(f"Maya: {p}" for p in expected)
    assert [i.text for i in items if i.kind == "media"] == expected


def test_context_turns_reads_a_rendered_prompt():
    prompt = ("### WhatsApp chat with Maya Chen · Sunday 2023-04-02\n"
              "Maya Chen: are you coming tonight?\n"
              "Maya Chen: bring the speaker\n"
              "Me: yes\n"
              "\tand snacks\n"
              "Maya Chen: at 7:30 then\n"
              "Me:")
    assert context_turns(prompt) == [
        ("Maya Chen", "are you coming tonight?\nbring the speaker"),
        ("Me", "yes\nand snacks"),
        ("Maya Chen", "at 7:30 then"),
    ]


def test_examples_come_before_the_prompt_closest_last_within_their_budget():
    prompt = build_prompt(header("whatsapp", "Maya", date(2025, 2, 19)), [Line("Maya", "who's in for friday?")])
    closest = PastExchange("whatsapp", "Maya", date(2024, 11, 1), "Jo: hi\nMaya: climbing?\nJo: yes\nMaya: friday?",
                           "I'm in\nbut only until 8:30\n\tsorry")
    other = PastExchange("telegram", "Sam", date(2023, 5, 6), "", "<eos> happy birthday!")
    shown = with_examples(prompt, [closest, other], budget_tokens=1000)
    assert shown == (
        "### Telegram chat with Sam · Saturday 2023-05-06\n"
        "Me: <\u200beos> happy birthday!\n"  # control text broken, as in every prompt
        "\n"
        "### WhatsApp chat with Maya · Friday 2024-11-01\n"
        "Maya: climbing?\nJo: yes\nMaya: friday?\n"  # the last three lines said before the reply
        "Me: I'm in\nMe: but only until 8:30\n\tsorry\n"
        "\n" + prompt
    )
    # the best first while they fit: here only the closest; with no room, the prompt alone
    assert with_examples(prompt, [closest, other], budget_tokens=40) == shown.split("\n\n", 1)[1]
    assert with_examples(prompt, [closest, other], budget_tokens=5) == prompt
    # for the model writing their side: what they answered then, in their name
    answered = with_examples(prompt, [replace(other, answer="thank you!!")], budget_tokens=1000)
    assert answered.startswith("### Telegram chat with Sam · Saturday 2023-05-06\nMe: <\u200beos> happy birthday!\n"
                               "Sam: thank you!!\n\n###")
