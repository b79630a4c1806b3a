"""Everything that decides what the model reads, in one place for training and inference alike.

- `transcript`: the format: header line, `Name: text` lines, the reply target and its parsing.
- `conversation`: which messages count, conversations split at silences, `Turn`, the header's contact and date.
- `budget`: how much of a conversation a prompt holds.
- `examples`: your past exchanges the model reads before the conversation when drafting.
"""

from __future__ import annotations

from assistant.prompting.budget import CHARS_PER_TOKEN, context_prompt, context_start, line_ends, prompt_lines
from assistant.prompting.conversation import (
    MediaRule,
    Source,
    Turn,
    contact_label,
    current_conversation,
    conversations,
    local_date,
    message_text,
    message_turns,
    other_speaker,
    speaker,
    spoken,
)
from assistant.prompting.examples import PastExchange, with_examples
from assistant.prompting.transcript import (
    HEADER_PREFIX,
    ME,
    NEUTRAL_CONTACT,
    Line,
    break_control_text,
    build_prompt,
    header,
    header_day,
    context_turns,
    media_placeholder,
    parse_reply,
    platform_label,
    prompt_from_rendered,
    render_message,
    render_reply,
    render_transcript,
    stop_sequences,
)

__all__ = [
    "CHARS_PER_TOKEN",
    "HEADER_PREFIX",
    "ME",
    "NEUTRAL_CONTACT",
    "PastExchange",
    "Line",
    "MediaRule",
    "Source",
    "Turn",
    "break_control_text",
    "build_prompt",
    "contact_label",
    "context_prompt",
    "context_start",
    "current_conversation",
    "conversations",
    "header",
    "header_day",
    "line_ends",
    "local_date",
    "media_placeholder",
    "message_text",
    "message_turns",
    "other_speaker",
    "context_turns",
    "parse_reply",
    "platform_label",
    "prompt_from_rendered",
    "prompt_lines",
    "render_message",
    "render_reply",
    "render_transcript",
    "speaker",
    "spoken",
    "stop_sequences",
    "with_examples",
]
