from datetime import UTC, datetime, timedelta

from assistant.config import load_settings
from assistant.corpus.models import Kind, Message, Thread
from assistant.prompting import ME, Turn, current_conversation, message_turns, other_speaker, prompt_lines
from graphs.predraft.prompts import draft_options, predict_options, retrieval_query

T0 = datetime(2023, 5, 1, 18, 0, tzinfo=UTC)


def _message(i: int, sender: str, text: str, minutes: float, kind: Kind = Kind.TEXT, media: str | None = None,
             unsent: bool = False) -> Message:
    return Message(id=i, thread_id=1, sender_id=1, sender=sender, timestamp=T0 + timedelta(minutes=minutes),
                   utc_offset_min=None, text=text, kind=kind, media=media, message_id=None, reply_to=None,
                   edited=False, unsent=unsent, forwarded=False, is_me=sender == "Alex")


def test_conversation_starts_after_the_last_long_silence_and_keeps_only_words():
    messages = [
        _message(1, "Maya", "old topic", 0),
        _message(2, "Alex", "sure", 1),
        _message(3, "Maya", "new day!", 60 * 24),  # a day later: a new conversation
        _message(4, "Maya", "", 60 * 24 + 1, Kind.MEDIA, "image"),
        _message(5, "Maya", "Maya joined", 60 * 24 + 2, Kind.SYSTEM),
        _message(6, "Alex", "❤️", 60 * 24 + 3, Kind.REACTION),
        _message(7, "Maya", "oops", 60 * 24 + 4, unsent=True),
        _message(8, "Alex", "lovely photo", 60 * 24 + 5),
    ]
    turns = message_turns(current_conversation(messages, gap_hours=6), "placeholder")
    assert [(t["speaker"], t["text"]) for t in turns] == [
        ("Maya", "new day!"), ("Maya", "<image>"), (ME, "lovely photo")]
    assert {t["source"] for t in turns} == {"corpus"}
    dropped = message_turns(current_conversation(messages, gap_hours=6), "drop")
    assert [t["text"] for t in dropped] == ["new day!", "lovely photo"]


def test_prompt_lines_respect_the_message_count_and_the_token_budget():
    turns = [Turn(speaker="Maya", text=f"message {i} " + "x" * 30, source="corpus") for i in range(10)]
    assert len(prompt_lines(turns, max_messages=4, context_tokens=1000)) == 4
    lines = prompt_lines(turns, max_messages=24, context_tokens=30)  # ~120 characters: three 46-char lines
    assert [line.text.split(" x")[0] for line in lines] == ["message 8", "message 9"]
    assert len(prompt_lines(turns[:1], max_messages=24, context_tokens=1)) == 1  # the last message always fits


def test_retrieval_query_uses_the_index_line_format():
    turns = [Turn(speaker="Maya", text="a", source="corpus"), Turn(speaker=ME, text="b\nc", source="accepted")]
    assert retrieval_query(turns, 4) == "Maya: a\nMe: b\n\tc"
    assert retrieval_query(turns, 1) == "Me: b\n\tc"


def test_other_speaker_falls_back_to_participants_then_title():
    thread = Thread(id=1, platform="whatsapp", key="k", title="Maya R.", is_group=False, participants=("Alex", "Maya"))
    assert other_speaker(thread, [Turn(speaker="Jo", text="hi", source="corpus")], "Alex") == "Jo"
    assert other_speaker(thread, [Turn(speaker=ME, text="hi", source="corpus")], "Alex") == "Maya"
    lonely = Thread(id=2, platform="sms", key="k2", title="+1 555", is_group=False, participants=("Alex",))
    assert other_speaker(lonely, [], "Alex") == "+1 555"


def test_generation_options_for_drafts_and_predictions(data_dir):
    settings = load_settings(data_dir)
    first, again = draft_options(settings, {"Maya"}, 0), draft_options(settings, {"Maya"}, 2)
    assert (first.seed, again.seed) == (settings.model.seed, settings.model.seed + 2 * settings.draft.candidates)
    assert "\nMaya:" in first.stop and first.temperature == settings.model.temperature
    predict = predict_options(settings, {"Maya", "Jo", ME}, "Maya")
    assert "\nMe:" in predict.stop and "\nJo:" in predict.stop and "\nMaya:" not in predict.stop
    assert predict.temperature == settings.draft.predict_temperature == 0.0
