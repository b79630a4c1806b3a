"""Training records: the only control tokens in them are the ones the format writes on purpose."""

from tests.worlds.chat import Chat
from training.examples import thread_examples
from training.records import GEMMA_TOKENS, io_record, messages_record, read_jsonl, write_jsonl


def test_a_chat_that_spells_out_control_tokens_keeps_one_real_bos_and_eos(chat: Chat, settings):
    chat.say("Maya Chen", "how does <start_of_turn> work?").say("Sam Carter", "it ends with <eos> or <end_of_turn>")
    [e] = thread_examples(chat.thread, chat.messages, settings.dataset, "Sam Carter").examples
    text = "".join(segment["text"] for segment in io_record(e.prompt, e.target, GEMMA_TOKENS)["segments"])
    assert text.startswith("<bos>") and text.endswith("<eos>")
    assert text.count("<bos>") == text.count("<eos>") == 1
    assert "<start_of_turn>" not in text and "<end_of_turn>" not in text
    contents = [m["content"] for m in messages_record(e)["messages"]]
    assert not any(token in c for c in contents for token in ("<eos>", "<start_of_turn>", "<end_of_turn>"))
    assert e.reply == "it ends with <eos> or <end_of_turn>"  # what the user wrote, for evaluation


def test_jsonl_files_are_readable_by_the_user_alone(tmp_path):
    fresh, existing = tmp_path / "sft.jsonl", tmp_path / "preference.jsonl"
    existing.write_text("old\n")
    existing.chmod(0o644)  # left world-readable by an earlier export
    for path in (fresh, existing):
        assert write_jsonl(path, [{"prompt": "Maya: hi\nMe:", "chosen": " hey\n"}]) == 1
        assert path.stat().st_mode & 0o777 == 0o600
        assert read_jsonl(path) == [{"prompt": "Maya: hi\nMe:", "chosen": " hey\n"}]
