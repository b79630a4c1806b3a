"""The file formats an example is written in: one definition each.

- messages: OpenAI chat form (system = header, user = transcript so far, assistant = the reply),
  what Axolotl's `chat_template`, Unsloth and LLaMA-Factory read.
- input_output: Axolotl's template-free segments. The text is the inference prompt byte for byte;
  only the reply segment is trained. Axolotl tokenizes each segment with add_special_tokens=False
  (axolotl/prompt_strategies/input_output.py), so BOS and EOS are written into the text here.

Prompt and target come with any control token a message spelled out already broken
(`assistant.prompting.break_control_text`), so the BOS and EOS written here are the only ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from assistant.prompting import break_control_text

if TYPE_CHECKING:
    from training.examples import Example


@dataclass(frozen=True)
class SpecialTokens:
    bos: str  # "" for tokenizers that add none (Qwen)
    eos: str  # what the model must learn to emit after a reply, so generation stops


GEMMA_TOKENS = SpecialTokens(bos="<bos>", eos="<eos>")  # the default model, and the smoke model's tokenizer


def messages_record(e: Example) -> dict:
    return {"messages": [
        {"role": "system", "content": e.header},
        {"role": "user", "content": e.context},
        {"role": "assistant", "content": break_control_text(e.reply)},  # header and context are broken already
    ]}


def io_record(prompt: str, target: str, tokens: SpecialTokens) -> dict:
    return {"segments": [
        {"text": tokens.bos + prompt, "label": False},
        {"text": target + tokens.eos, "label": True},
    ]}


def example_row(e: Example) -> dict:
    """A row of the saved Hugging Face dataset: everything needed to re-render any format."""
    return {
        "prompt": e.prompt, "target": e.target, "reply": e.reply, "when": e.when.isoformat(), "year": e.when.year,
        "platform": e.platform, "thread_id": e.thread_id, "session": e.session, "source": e.source,
        "context_messages": e.context_messages,
    }


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """One JSON object per line, UTF-8, readable by the user alone: the rows are their private messages,
    and `feedback export --out` may write them outside the data dir. orjson: json.dumps was a fifth
    of a 1M-message build."""
    n = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file that was there keeps its mode otherwise
    with os.fdopen(fd, "wb") as fh:
        for row in rows:
            fh.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
            n += 1
    return n


def read_jsonl(path: Path) -> list[dict]:
    with path.open("rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]
