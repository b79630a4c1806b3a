"""PII redaction: span-level precision/recall per label and throughput, against a naive regex baseline.

    .venv/bin/python -m benchmarks.redaction [--seconds 1.0]

A predicted span counts as correct when it overlaps a gold span with the same label; a gold span
counts as found when some predicted span of its label overlaps it. The labelled set is
tests/fixtures/privacy/pii_labelled.jsonl (chat lines in en/de/es/fr, many hard negatives); the
held-out set beside it was written after tuning and is reported separately.
Throughput is measured on that set (PII-dense) and on the bundled demo chats (typical messages).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.demo import SAMPLES_DIR
from assistant.privacy.redact import LABELS, Span, find_pii

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "privacy"
LABELLED = FIXTURES / "pii_labelled.jsonl"
HELD_OUT = FIXTURES / "pii_heldout.jsonl"  # written after the detectors were tuned on LABELLED

Finder = Callable[[str, Iterable[str]], list[Span]]

# The baseline most ad-hoc scrubbers start from: an email pattern and "long digit runs".
_NAIVE_EMAIL = re.compile(r"\S+@\S+\.\w+")
_NAIVE_DIGITS = re.compile(r"\+?\d[\d \-().]{5,}\d")


def naive_find(text: str, names: Iterable[str] = ()) -> list[Span]:
    spans = [Span(m.start(), m.end(), "EMAIL") for m in _NAIVE_EMAIL.finditer(text)]
    for m in _NAIVE_DIGITS.finditer(text):
        digits = sum(c.isdigit() for c in m.group())
        spans.append(Span(m.start(), m.end(), "CARD" if digits >= 13 else "PHONE"))
    return spans


def load_labelled(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _overlaps(a: Span, start: int, end: int) -> bool:
    return a.start < end and start < a.end


def evaluate(find: Finder, records: list[dict]) -> dict:
    """Precision and recall per label and overall (micro-averaged), plus the misses for inspection."""
    counts = {label: {"gold": 0, "found": 0, "predicted": 0, "correct": 0} for label in LABELS}
    errors: list[dict] = []
    for record in records:
        text = record["text"]
        predicted = find(text, record["names"])
        gold = [Span(s, e, label) for s, e, label in record["spans"]]
        for g in gold:
            counts[g.label]["gold"] += 1
            if any(p.label == g.label and _overlaps(p, g.start, g.end) for p in predicted):
                counts[g.label]["found"] += 1
            else:
                errors.append({"id": record["id"], "missed": g.label, "text": text[g.start:g.end]})
        for p in predicted:
            counts[p.label]["predicted"] += 1
            if any(g.label == p.label and _overlaps(p, g.start, g.end) for g in gold):
                counts[p.label]["correct"] += 1
            else:
                errors.append({"id": record["id"], "false": p.label, "text": text[p.start:p.end]})
    totals = {key: sum(c[key] for c in counts.values()) for key in ("gold", "found", "predicted", "correct")}
    per_label = {label: _scores(c) for label, c in counts.items() if c["gold"] or c["predicted"]}
    return {"overall": _scores(totals), "per_label": per_label, "errors": errors}


def _scores(c: dict) -> dict:
    return {
        "precision": round(c["correct"] / c["predicted"], 3) if c["predicted"] else None,  # nothing predicted
        "recall": round(c["found"] / c["gold"], 3) if c["gold"] else None,  # nothing to find
        "gold": c["gold"],
        "predicted": c["predicted"],
    }


def demo_chat_texts() -> list[str]:
    """Message texts of the bundled WhatsApp demo chats: what a typical corpus line looks like."""
    line = re.compile(r"^\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\s?[AP]M - [^:]+: (.*)$")
    texts = []
    for path in sorted(SAMPLES_DIR.glob("*.txt")):
        texts += [m.group(1) for raw in path.read_text(encoding="utf-8").splitlines() if (m := line.match(raw))]
    return texts


def throughput(find: Finder, texts: list[str], seconds: float) -> float:
    """Messages per second, over whole passes of `texts` for at least `seconds`."""
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or done == 0:
        for text in texts:
            find(text, ())
        done += len(texts)
    return round(done / elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per throughput measurement")
    parser.add_argument("--errors", action="store_true", help="also list every miss and false positive")
    args = parser.parse_args()
    records, held_out = load_labelled(LABELLED), load_labelled(HELD_OUT)
    labelled_texts = [r["text"] for r in records]
    chat_texts = demo_chat_texts()
    result: dict = {
        "dataset": {
            "lines": len(records),
            "gold_spans": sum(len(r["spans"]) for r in records),
            "lines_without_pii": sum(not r["spans"] for r in records),
            "languages": sorted({r["lang"] for r in records}),
            "held_out_lines": len(held_out),
            "held_out_gold_spans": sum(len(r["spans"]) for r in held_out),
            "chat_lines_for_throughput": len(chat_texts),
        }
    }
    for name, find in (("predraft", find_pii), ("baseline_naive_regex", naive_find)):
        scores = {"labelled": evaluate(find, records), "held_out": evaluate(find, held_out)}
        for part in scores.values():
            if not args.errors:
                part.pop("errors")
        scores["messages_per_s"] = {
            "labelled_set": throughput(find, labelled_texts, args.seconds),
            "demo_chats": throughput(find, chat_texts, args.seconds),
        }
        result[name] = scores
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
