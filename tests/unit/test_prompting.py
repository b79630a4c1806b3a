from datetime import date

from assistant.prompting import ME, Line, build_prompt, header, parse_reply, render_reply, stop_sequences


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


def test_group_header_and_stops():
    assert header("telegram", "Crew", date(2020, 1, 1), is_group=True).startswith('### Telegram group "Crew"')
    stops = stop_sequences(["Maya", ME, "Jo: x"])
    assert "\nMaya:" in stops and "\nMe:" not in stops and "\n\n" in stops
