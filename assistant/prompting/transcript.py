"""The one transcript format, used for training examples and at inference alike.

The default model is a base model with no chat template, so a thread is rendered as a plain
transcript that the model continues:

    ### WhatsApp chat with Maya · Sunday 2023-04-02
    Maya: are you coming tonight?
    Maya: bring the speaker
    Me: yes
    Me: on my way

The user is always "Me". Each message is one line; a line break inside a message becomes a new
line indented with a tab. The header carries the date, so the model learns *when* a reply was
written and `--as-of` can ask for the writer of another year.

A control token spelled out in a message ("<eos>", "<start_of_turn>", "<|im_end|>") gets a zero-width
space after its "<" in prompts and targets: llama.cpp tokenizes predraft's text with special=False,
but a training tokenizer reads such text as the token itself, and "<eos>" typed in a chat would
teach the model to stop there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

ME = "Me"
HEADER_PREFIX = "### "
NEUTRAL_CONTACT = "a contact"  # the header's name for the other person of a 1-on-1 chat under privacy.redact_names
_SPEAKER_LINE = re.compile(r"^([^\t\n:][^\n:]{0,60}):(?: |$)")
# Gemma's control tokens, and the <|...|> form of Qwen's and Llama 3's (the training profiles' models).
_CONTROL_TOKEN_REST = r"(?:bos|eos|pad|unk|mask|start_of_turn|end_of_turn|unused\d+|\|[a-z0-9_]+\|)>"
_ZERO_WIDTH_SPACE = "\u200b"
_HEADER_DAY = re.compile(r" (\d{4}-\d{2}-\d{2})$")
_CONTROL_TEXT = re.compile(f"<(?={_CONTROL_TOKEN_REST})")
_BROKEN_CONTROL_TEXT = re.compile(f"<{_ZERO_WIDTH_SPACE}(?={_CONTROL_TOKEN_REST})")


@dataclass(frozen=True, slots=True)
class Line:
    speaker: str  # a display name, or ME
    text: str


def header(platform: str, contact: str, when: date, is_group: bool = False) -> str:
    """`### WhatsApp chat with Maya · Sunday 2023-04-02` (groups: `### WhatsApp group "Crew" · ...`)."""
    who = f'group "{contact}"' if is_group else f"chat with {contact}"
    return f"{HEADER_PREFIX}{platform_label(platform)} {who} · {when:%A %Y-%m-%d}"


def header_day(prompt: str) -> date | None:
    """The day a rendered prompt's header names (the local day of the reply), if it names one."""
    found = _HEADER_DAY.search(prompt.split("\n", 1)[0])
    return date.fromisoformat(found.group(1)) if found else None


def platform_label(platform: str) -> str:
    labels = {"whatsapp": "WhatsApp", "imessage": "iMessage", "sms": "SMS", "email": "Email"}
    return labels.get(platform, platform.capitalize())


def media_placeholder(media: str | None) -> str:
    """`<photo>`, `<voice>`, `<media>`: a message with no text, in prompts, the index and the transcript view."""
    return f"<{media or 'media'}>"


def render_message(speaker: str, text: str) -> str:
    speaker = speaker.replace(":", "").replace("\n", " ").strip() or "Someone"
    body = "\n\t".join(part.strip() for part in text.strip().splitlines()) or "…"
    return f"{speaker}: {body}"


def render_transcript(head: str, lines: Iterable[Line]) -> str:
    return "\n".join([head, *(render_message(line.speaker, line.text) for line in lines)]) + "\n"


def build_prompt(head: str, context: Sequence[Line], speaker: str = ME) -> str:
    """The transcript so far, ending with `speaker:` for the model to continue."""
    return prompt_from_rendered(head, [render_message(line.speaker, line.text) for line in context], speaker)


def prompt_from_rendered(head: str, rendered: Sequence[str], speaker: str = ME) -> str:
    """`build_prompt` for lines already rendered by `render_message` (the dataset renders each once)."""
    return break_control_text("\n".join([head, *rendered, f"{speaker}:"]))


def render_reply(messages: Sequence[str], speaker: str = ME) -> str:
    """The training target after `build_prompt`: ' yes\\nMe: on my way\\n'."""
    first, *rest = [render_message(speaker, m) for m in messages]
    return break_control_text(first[len(speaker) + 1 :] + "".join("\n" + line for line in rest) + "\n")


def break_control_text(text: str) -> str:
    """`text` with a zero-width space after the "<" of each spelled-out control token: it reads the same,
    and every tokenizer sees plain words."""
    return _CONTROL_TEXT.sub("<" + _ZERO_WIDTH_SPACE, text)


def context_turns(prompt: str) -> list[tuple[str, str]]:
    """The (speaker, text) turns of a rendered prompt (header, `Name: text` lines, final `Me:`):
    consecutive messages of one speaker joined by newlines, as a reply's messages are."""
    turns: list[tuple[str, list[str]]] = []
    for raw in prompt.split("\n")[1:]:
        if raw.startswith("\t") and turns:
            turns[-1][1][-1] += "\n" + raw[1:]
            continue
        match = _SPEAKER_LINE.match(raw)
        text = raw[match.end():].strip() if match else ""
        if not text:
            continue
        if turns and turns[-1][0] == match.group(1):
            turns[-1][1].append(text)
        else:
            turns.append((match.group(1), [text]))
    return [(speaker, "\n".join(texts)) for speaker, texts in turns]


def parse_reply(generated: str, speaker: str = ME) -> list[str]:
    """Split a generated continuation into the speaker's messages; stop at anyone else's line."""
    messages: list[str] = []
    # The model writes control text the way its prompts showed it: broken (see break_control_text).
    generated = _BROKEN_CONTROL_TEXT.sub("<", generated)
    for i, raw in enumerate(generated.split("\n")):
        if raw.startswith("\t") and messages:
            messages[-1] += "\n" + raw[1:]
            continue
        if i > 0:
            match = _SPEAKER_LINE.match(raw)
            if raw.startswith(HEADER_PREFIX) or not match or match.group(1) != speaker:
                break
            raw = raw[match.end() :]
        message = raw.strip()
        if message in messages:  # a small model's loop ("ok\nMe: ok\nMe: ok"): the reply ends there
            break
        if message:
            messages.append(message)
    return messages


def stop_sequences(other_speakers: Iterable[str]) -> list[str]:
    """Literal stops for the model: another speaker's line, a new header, or a blank line."""
    stops = {f"\n{render_message(s, 'x')[:-3]}:" for s in other_speakers if s != ME}
    return sorted(stops | {"\n\n", f"\n{HEADER_PREFIX.strip()}"})
