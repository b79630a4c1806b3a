"""`predraft dataset build` on a synthetic corpus of 1,000,000 messages: examples/s and peak memory.

Generates a corpus (200 threads, one- and many-person chats over five years, conversations split
by silences, ~3% media, some phone numbers, emails and links for redaction to find), then builds
the dataset in a fresh subprocess per variant, so each peak RSS is that variant's own:

- predraft: the real builder (consent + PII redaction through `usable_threads`, examples, filters,
  time split) writing train/val in both JSONL forms;
- no-redaction: the same with privacy.redact_pii off, the named baseline: what redaction costs.

Prints JSON: {variant: {messages, examples, seconds, cpu_seconds, examples_per_s, peak_rss_mb}}.

    .venv/bin/python -m benchmarks.dataset                      # 1,000,000 messages
    .venv/bin/python -m benchmarks.dataset --messages 100000
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
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
ME = "Alex Moreau"
FRIENDS = ("Maya Kovač", "Jonas Berg", "Lea Hoffmann", "Noor Haddad", "Sam Okafor", "Priya Nair", "Tomás Ruiz")
PHRASES = ("sure", "see you tomorrow", "haha", "on my way", "what time?", "the train is late again", "ok", "coffee?",
           "can't tonight sorry", "did you see that", "send me the photo", "love it", "where are you", "🧗", "😂",
           "let's do saturday", "running late", "thanks!!", "no worries", "call me when you can")
EXTRAS = ("my number is +49 170 5550{:03d}", "mail me at alex.m{}@example.org", "https://example.org/share?token=ab{}cdEF9x")


def corpus_events(n: int, threads: int = 200):
    """(thread, messages) for `import_events`, generated lazily: n messages over `threads` chats."""
    from assistant.corpus import ParsedMessage, ParsedThread

    rng = random.Random(7)
    per_thread = n // threads
    for t in range(threads):
        group = t % 4 == 0
        members = rng.sample(FRIENDS, 3) if group else [rng.choice(FRIENDS)]
        key = f"chat-{t}"
        yield ParsedThread(key=key, platform=("whatsapp", "telegram", "sms", "signal")[t % 4],
                           title=f"Group {t}" if group else members[0], participants=(ME, *members), is_group=group)
        at = datetime(2020, 1, 1) + timedelta(hours=t)
        for i in range(per_thread):
            # Conversations of ~12 messages, a day or so apart; inside one, minutes apart.
            at += timedelta(hours=rng.uniform(8, 40)) if i % 12 == 0 else timedelta(minutes=rng.uniform(0.2, 9))
            sender = ME if rng.random() < 0.4 else rng.choice(members)
            roll = rng.random()
            if roll < 0.03:
                yield ParsedMessage(thread_key=key, sender=sender, timestamp=at, text="", kind="media", media="photo")
                continue
            text = " ".join(rng.choice(PHRASES) for _ in range(rng.randint(1, 3)))
            if roll > 0.98:
                text += " " + rng.choice(EXTRAS).format(i % 1000)
            yield ParsedMessage(thread_key=key, sender=sender, timestamp=at, text=text, message_id=f"{t}-{i}")


def generate(folder: Path, n: int) -> Path:
    from assistant.corpus.store import Corpus

    path = folder / "corpus.sqlite"
    with Corpus(path) as corpus:
        corpus.import_events("synthetic", "sha-synthetic", "synthetic", corpus_events(n), ZoneInfo("UTC"))
        corpus.set_me(ME)
    return path


def measure(variant: str, data_dir: Path) -> dict:
    """Build and write the dataset in this (fresh) process; report its own time and peak memory."""
    from assistant.config import load_settings
    from assistant.corpus.store import Corpus
    from training.dataset import build_dataset
    from training.records import GEMMA_TOKENS, io_record, messages_record, write_jsonl

    settings = load_settings(data_dir, {"privacy": {"redact_pii": variant != "no-redaction"}})
    start, cpu_start = time.perf_counter(), time.process_time()
    with Corpus(settings.corpus_path) as corpus:
        messages = corpus.db.execute("SELECT count(*) FROM messages").fetchone()[0]
        build = build_dataset(corpus, settings)
    out = data_dir / f"out-{variant}"
    out.mkdir()
    for name, rows in (("train", build.train), ("val", build.val)):
        write_jsonl(out / f"{name}.jsonl", map(messages_record, rows))
        write_jsonl(out / f"{name}.io.jsonl", (io_record(e.prompt, e.target, GEMMA_TOKENS) for e in rows))
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    examples = len(build.train) + len(build.val)
    return {"messages": messages, "examples": examples, "removed": dict(build.removed), "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu_seconds, 1), "examples_per_s": round(examples / seconds),
            "messages_per_s": round(messages / seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


VARIANTS = ("predraft", "no-redaction")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--measure", nargs=2, metavar=("VARIANT", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        generate(Path(folder), args.messages)
        results: dict = {"corpus_generation_s": round(time.perf_counter() - started, 1)}
        for variant in VARIANTS:
            command = [sys.executable, "-m", "benchmarks.dataset", "--measure", variant, folder]
            out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            results[variant] = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
