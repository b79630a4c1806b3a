"""WhatsApp parsing and ingest speed and memory: predraft against chat-miner, whatstk and plain line reading.

Generates one Android-style export (English, 12-hour, month first) of N messages with a realistic mix
(multi-line texts, media placeholders, deletions, edits, locations, polls, system lines), then runs each
tool in a fresh subprocess, so that every peak RSS is that tool's own:

- predraft, chat-miner, whatstk: the parse alone, from the file to messages (or a data frame);
- predraft-ingest: what `predraft ingest` does, through the runner into a new corpus (hashing, parsing,
  storing in SQLite, the per-file report), with a fresh data dir;
- sqlite-copy: SQLite alone writing the same messages into an empty corpus (one INSERT ... SELECT from
  the corpus predraft-ingest made, untimed): no Python per message, the floor for any storing;
- lines: reading and decoding every line, the floor for any parser written in Python.

Prints JSON: {tool: {messages, seconds, messages_per_s, cpu_seconds, messages_per_cpu_s, peak_rss_mb}}.
Times leave out imports; CPU seconds count every thread and, on a shared machine, vary less than wall time.

    .venv/bin/python benchmarks/ingest.py                  # 1,000,000 messages (peers take minutes)
    .venv/bin/python benchmarks/ingest.py --messages 300000 --tools predraft predraft-ingest whatstk

chat-miner and whatstk come with the `bench` extra (pip install -c constraints.txt '.[bench]').
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
from collections.abc import Callable
from datetime import datetime, timedelta
from operator import countOf
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ("Maya Lopez", "Alex Brandt", "Sam Okafor", "Priya Nair", "Jonas Weber", "Lea Moreau")
WORDS = (
    "ok sure tonight tomorrow run trail coffee later see you at the park bring water shoes rain sun "
    "great idea maybe not sure lol haha yes no thanks thank you soon almost there traffic again "
    "who is coming saturday sunday morning early late sorry running 5 10 min meet station bridge "
    "🏃 👍 😂 ❤️ route map hill loop easy pace long slow fast km miles photo pics nice well done"
).split()


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def _body(rng: random.Random, sender: str) -> str:
    """One message's text as Android writes it; the mix follows a busy group chat."""
    roll = rng.random()
    if roll < 0.84:
        return f"{sender}: {_words(rng, 1, 18)}"
    if roll < 0.89:
        lines = [_words(rng, 2, 12) for _ in range(rng.randint(2, 4))]
        return f"{sender}: " + "\n".join(lines)
    if roll < 0.95:
        return f"{sender}: <Media omitted>"
    if roll < 0.96:
        return f"{sender}: This message was deleted"
    if roll < 0.975:
        return f"{sender}: {_words(rng, 2, 10)} <This message was edited>"
    if roll < 0.98:
        return f"{sender}: location: https://maps.google.com/?q=52.{rng.randint(1000, 9999)},13.{rng.randint(100, 999)}"
    if roll < 0.981:
        options = "\n".join(f"OPTION: {_words(rng, 1, 3)} ({rng.randint(0, 5)} votes)" for _ in range(3))
        return f"{sender}: POLL:\n{_words(rng, 3, 6)}?\n{options}"
    if roll < 0.99:
        return f"{sender}: IMG-{rng.randint(20190101, 20231231)}-WA{rng.randint(0, 9999):04d}.jpg (file attached)"
    other = rng.choice(PEOPLE)
    return rng.choice((f"{sender} added {other}", f"{other} left", f"{other} joined using this group's invite link"))


def _stamp(moment: datetime) -> str:
    hour, half = moment.hour % 12 or 12, "PM" if moment.hour >= 12 else "AM"
    return f"{moment.month}/{moment.day}/{moment.year % 100:02d}, {hour}:{moment.minute:02d} {half}"


def generate(path: Path, messages: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    moment = datetime(2019, 1, 3, 8, 15)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f"{_stamp(moment)} - Messages and calls are end-to-end encrypted. No one outside of this chat, "
                 "not even WhatsApp, can read or listen to them. Tap to learn more.\n")
        for _ in range(messages - 1):
            moment += timedelta(minutes=rng.choice((0, 0, 0, 1, 1, 2, 5, 30)) + (600 if rng.random() < 0.01 else 0))
            fh.write(f"{_stamp(moment)} - {_body(rng, rng.choice(PEOPLE))}\n")


# ---- the tools, each run in its own process -----------------------------------------------------


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Stopwatch:
    """Wall and CPU seconds (all threads; on a busy machine steadier than wall time) of its `with` block."""

    def __enter__(self) -> Stopwatch:
        self.seconds, self.cpu_seconds = time.perf_counter(), _cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds, self.cpu_seconds = time.perf_counter() - self.seconds, _cpu_seconds() - self.cpu_seconds


def _predraft(path: Path) -> tuple[int, Stopwatch]:
    sys.path.insert(0, str(ROOT))
    from assistant.corpus.models import ParsedMessage
    from assistant.ingest.parsers.whatsapp import WhatsAppParser

    parser = WhatsAppParser()
    with Stopwatch() as clock:
        count = countOf(map(type, parser.parse(path)), ParsedMessage)  # counted at C speed, like len(df) below
    return count, clock


def _ingest_into(data_dir: Path, path: Path) -> tuple[int, Stopwatch]:
    sys.path.insert(0, str(ROOT))
    from assistant.corpus.store import Corpus
    from assistant.ingest.registry import all_parsers
    from assistant.ingest.runner import ingest_paths

    all_parsers()  # imports every parser module: imports are not timed
    with Corpus(data_dir / "corpus.sqlite") as corpus, Stopwatch() as clock:
        result = ingest_paths(corpus, [path], timezone="UTC")
    if not result.ok:
        raise SystemExit(f"ingest failed: {result.failures}")
    return sum(r.messages_added for r in result.reports), clock


def _predraft_ingest(path: Path) -> tuple[int, Stopwatch]:
    with tempfile.TemporaryDirectory() as data_dir:
        return _ingest_into(Path(data_dir), path)


def _sqlite_copy(path: Path) -> tuple[int, Stopwatch]:
    """The messages predraft-ingest stored, copied into an empty corpus with the importer's settings."""
    from assistant.corpus.store import Corpus

    with tempfile.TemporaryDirectory() as data_dir:
        ingested = Path(data_dir) / "ingested"
        ingested.mkdir()
        _ingest_into(ingested, path)
        with Corpus(Path(data_dir) / "copy.sqlite") as corpus:
            corpus.db.execute("ATTACH ? AS ingested", (str(ingested / "corpus.sqlite"),))
            for table in ("sources", "people", "identities", "threads"):
                corpus.db.execute(f"INSERT INTO {table} SELECT * FROM ingested.{table}")
            with Stopwatch() as clock, corpus.transaction() as db, corpus.bulk_load():
                count = db.execute("INSERT INTO messages SELECT * FROM ingested.messages").rowcount
    return count, clock


def _chat_miner(path: Path) -> tuple[int, Stopwatch]:
    from chatminer.chatparsers import WhatsAppParser

    with Stopwatch() as clock:
        parser = WhatsAppParser(str(path))
        parser.parse_file()
        count = parser.parsed_messages.get_df().height
    return count, clock


def _whatstk(path: Path) -> tuple[int, Stopwatch]:
    from whatstk import WhatsAppChat

    with Stopwatch() as clock:
        count = len(WhatsAppChat.from_source(filepath=str(path), max_size=None).df)
    return count, clock


def _lines(path: Path) -> tuple[int, Stopwatch]:
    """The floor: read and decode every line, counting those that start like a header."""
    with Stopwatch() as clock, path.open(encoding="utf-8") as fh:
        count = sum(1 for line in fh if line[:1].isdigit())
    return count, clock


TOOLS: dict[str, Callable[[Path], tuple[int, Stopwatch]]] = {
    "predraft": _predraft, "predraft-ingest": _predraft_ingest, "sqlite-copy": _sqlite_copy,
    "chat-miner": _chat_miner, "whatstk": _whatstk, "lines": _lines,
}


def _measure(tool: str, path: Path) -> dict:
    count, clock = TOOLS[tool](path)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"messages": count, "seconds": round(clock.seconds, 3), "messages_per_s": round(count / clock.seconds),
            "cpu_seconds": round(clock.cpu_seconds, 3), "messages_per_cpu_s": round(count / clock.cpu_seconds),
            "peak_rss_mb": round(peak_mb, 1)}


def run_in_subprocess(tool: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", tool, str(path)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--messages", type=int, default=1_000_000, help="messages in the generated export")
    args.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    args.add_argument("--measure", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    opts = args.parse_args()
    if opts.measure:
        print(json.dumps(_measure(opts.measure[0], Path(opts.measure[1]))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "WhatsApp Chat with Trail Runners.txt"
        generate(path, opts.messages)
        results = {"export": {"messages": opts.messages, "size_mb": round(path.stat().st_size / 2**20, 1)}}
        results |= {tool: run_in_subprocess(tool, path) for tool in opts.tools}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
