"""Telegram account export: predraft's streaming parser against loading the whole file with json.load.

Generates a Telegram Desktop account export (`result.json`, several chats, text with entities, media,
service messages, replies) of N messages, then reads it in a fresh subprocess per tool so each peak RSS
is that tool's own. Prints JSON: {tool: {messages, file_mb, seconds, cpu_seconds, messages_per_cpu_s,
peak_rss_mb}}; CPU time is the steadier figure on a shared machine. `json.load` is the baseline: what a
parser that does not stream holds in memory (it only loads, it converts nothing).

    .venv/bin/python -m benchmarks.telegram_stream                     # 400,000 messages
    .venv/bin/python -m benchmarks.telegram_stream --messages 50000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ("Maya Kovač", "Alex Moreau", "Jonas Berg", "Lea Hoffmann", "Noor Haddad")
WORDS = ("sure", "tomorrow", "the crag", "rope", "coffee", "train", "see you", "haha", "ok", "weather", "late",
         "beta", "send me the photo", "on my way", "café", "🧗", "😂")


def message(rng: random.Random, i: int, epoch: int) -> dict:
    stamp = epoch + i * 37
    base = {"id": i, "type": "message", "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp + 3600)),
            "date_unixtime": str(stamp), "from": rng.choice(PEOPLE), "from_id": f"user{rng.randrange(10**9)}"}
    roll = rng.random()
    if roll < 0.03:
        return {**base, "type": "service", "actor": base.pop("from"), "action": "pin_message", "message_id": i - 1,
                "text": "", "text_entities": []}
    if roll < 0.10:
        base |= {"photo": f"photos/photo_{i}.jpg", "width": 1280, "height": 960}
    if roll > 0.85:
        base["reply_to_message_id"] = max(1, i - rng.randrange(1, 20))
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 14)))
    if rng.random() < 0.2:
        text: str | list = [words + " ", {"type": "link", "text": "https://example.org/t/" + str(i)}]
        entities = [{"type": "plain", "text": words + " "}, text[1]]
    else:
        text, entities = words, [{"type": "plain", "text": words}]
    return {**base, "text": text, "text_entities": entities}


def generate(path: Path, n: int) -> None:
    """Writes the export chat by chat, so generating it does not need it all in memory either."""
    rng = random.Random(7)
    chats = 8
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{\n "about": "Here is the data you requested.",\n "personal_information": {"first_name": "Alex"},\n')
        fh.write(' "chats": {\n  "about": "This page lists all chats from this export.",\n  "list": [\n')
        for c in range(chats):
            header = {"name": f"Chat {c}", "type": "private_group" if c % 2 else "personal_chat", "id": 1000 + c}
            fh.write("   " + json.dumps(header, ensure_ascii=False)[:-1] + ', "messages": [\n')
            count = n // chats
            for i in range(count):
                fh.write("    " + json.dumps(message(rng, i + 1, 1_600_000_000 + c * 10**7), ensure_ascii=False))
                fh.write(",\n" if i < count - 1 else "\n")
            fh.write("   ]}" + (",\n" if c < chats - 1 else "\n"))
        fh.write("  ]\n }\n}\n")


def run_predraft(path: Path) -> int:
    from assistant.corpus.models import ParsedMessage
    from assistant.ingest.parsers.telegram import TelegramParser

    return sum(isinstance(e, ParsedMessage) for e in TelegramParser().parse(path))


def run_json_load(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    return sum(len(chat["messages"]) for chat in data["chats"]["list"])


TOOLS = {"predraft": run_predraft, "json.load": run_json_load}


def measure(tool: str, path: Path) -> dict:
    """Runs one tool in this (fresh) process and reports its own time and peak memory."""
    start, cpu_start = time.perf_counter(), time.process_time()
    count = TOOLS[tool](path)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return {"messages": count, "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
            "messages_per_cpu_s": round(count / cpu_seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=400_000)
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    parser.add_argument("--measure", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.json"
        generate(path, args.messages)
        results = {}
        for tool in args.tools:
            command = [sys.executable, "-m", "benchmarks.telegram_stream", "--measure", tool, str(path)]
            out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            results[tool] = {"file_mb": round(path.stat().st_size / 2**20, 1), **json.loads(out.stdout)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
