"""Edits in progress, saved on every change so a crash or Ctrl+C loses nothing.

One JSON file per chain step in <data dir>/review-edits. Each save writes a temp file in the same
folder and renames it over the old one (`os.replace` is atomic), so a kill mid-write leaves the
previous version, never half a file. The file goes away when the edit is sent or thrown away.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.files import write_atomic

FOLDER = "review-edits"


@dataclass(frozen=True)
class SavedEdit:
    chain_id: str
    step: int
    thread_id: int
    text: str
    chosen_index: int | None  # the candidate the edit started from
    saved_at: str


class EditAutosave:
    def __init__(self, data_dir: Path):
        self.folder = data_dir / FOLDER

    def path(self, chain_id: str, step: int) -> Path:
        return self.folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', chain_id)}--{step}.json"

    def save(self, chain_id: str, step: int, thread_id: int, text: str, chosen_index: int | None) -> Path:
        edit = SavedEdit(chain_id, step, thread_id, text, chosen_index, datetime.now(UTC).isoformat(timespec="milliseconds"))
        return write_atomic(self.path(chain_id, step), json.dumps(asdict(edit), ensure_ascii=False))

    def load(self, chain_id: str, step: int) -> SavedEdit | None:
        return self._read(self.path(chain_id, step))

    def pending(self) -> list[SavedEdit]:
        """Every saved edit, the most recent first (unreadable files are skipped, not fatal)."""
        if not self.folder.is_dir():
            return []
        edits = [e for p in self.folder.glob("*.json") if (e := self._read(p)) is not None]
        return sorted(edits, key=lambda e: e.saved_at, reverse=True)

    def discard(self, chain_id: str, step: int) -> None:
        self.path(chain_id, step).unlink(missing_ok=True)

    @staticmethod
    def _read(path: Path) -> SavedEdit | None:
        try:
            return SavedEdit(**json.loads(path.read_text(encoding="utf-8")))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return None
