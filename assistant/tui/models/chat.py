"""A free conversation with the persona: the user writes as the other person, the model answers as "Me".

The prompt is the same transcript format the model was trained on (assistant.prompting), dated by
`--as-of` so the persona can be asked to write as it did that year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from assistant.config import Settings
from assistant.feedback.store import ChatRating
from assistant.models.base import GenerationOptions
from assistant.prompting import ME, Turn, context_prompt, header, parse_reply, stop_sequences


@dataclass
class ChatSession:
    contact: str
    platform: str = "whatsapp"
    as_of: date | None = None
    turns: list[Turn] = field(default_factory=list)

    def say(self, text: str) -> None:
        """The other person's message (typed by the user); one turn per non-empty line."""
        self.turns += [Turn(speaker=self.contact, text=line.strip(), source="incoming")
                       for line in text.splitlines() if line.strip()]

    def answer(self, generated: str) -> list[str]:
        """The persona's messages parsed out of a generation, added to the conversation."""
        messages = parse_reply(generated)
        self.turns += [Turn(speaker=ME, text=m, source="accepted") for m in messages]
        return messages

    def prompt(self, settings: Settings, today: date) -> str:
        return context_prompt(header(self.platform, self.contact, self.as_of or today), self.turns, settings.dataset)

    def options(self, settings: Settings) -> GenerationOptions:
        return GenerationOptions.from_settings(settings.model, stop=stop_sequences([self.contact]))

    def rating(self, rating: int | None, model_id: str, adapter_id: str) -> ChatRating:
        return ChatRating(
            contact=self.contact, turns=[{"speaker": t["speaker"], "text": t["text"]} for t in self.turns],
            rating=rating, model_id=model_id, adapter_id=adapter_id,
            as_of=self.as_of.isoformat() if self.as_of else None,
        )


def exported_lora(settings: Settings) -> Path | None:
    """The LoRA to offer beside the base model: model.lora_path, else the newest run's export."""
    if settings.model.lora_path:
        path = Path(settings.model.lora_path).expanduser()
        return path if path.is_file() else None
    from training.axolotl import TrainError, find_run  # only when no LoRA is configured

    try:
        lora = find_run(settings.runs_dir, None).info().get("export", {}).get("lora")
    except TrainError:
        return None
    return Path(lora) if lora and Path(lora).is_file() else None
