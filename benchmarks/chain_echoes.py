"""How often a drafted chain repeats itself: echoes in depth-3 chains over the demo threads.

An echo is a draft or a predicted message that nearly copies a message already in the thread or an
earlier step of the chain (`assistant.quality.is_echo`, the rule the graph itself applies). On the
bundled persona, indexed in a temporary data dir, with the default model, each demo thread gets a
chain of `--depth` steps whose top draft is taken as sent (as `predraft demo --headless` does).

Counted: the chain's texts of 12+ characters (each step's top draft and each predicted message).
Baseline in the same run: the same chains with the graph's echo rule switched off (every sample kept,
as the graph drafted before the rule existed). Goal: < 2% of chain texts.

Prints JSON. Usage: .venv/bin/python benchmarks/chain_echoes.py [--depth 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from assistant.demo.runner import demo_settings, drafted_chain, prepare
from assistant.models import load_backend
from assistant.offline import enforce_offline
from assistant.quality import is_echo
from graphs.predraft import nodes

DEMO_THREADS = ("Maya Chen", "Sam Okafor", "Climbing Crew")
COUNTED_CHARS = 12  # shorter texts ("ok", "see you") repeat in any real chat


def chain_texts(views: list) -> tuple[list[str], list[str]]:
    """(the thread's messages before the chain, the chain's own texts in order: prediction, then draft)."""
    thread = [t["text"] for t in views[0].context] if views else []
    chain: list[str] = []
    for view in views:
        if view.predicted_incoming:
            chain.append(view.predicted_incoming)
        if view.candidates:
            chain.append(view.candidates[0].text)
    return thread, chain


def echo_count(thread: list[str], chain: list[str]) -> tuple[int, int, list[str]]:
    counted = echoes = 0
    examples: list[str] = []
    for i, text in enumerate(chain):
        if len(text) < COUNTED_CHARS:
            continue
        counted += 1
        if is_echo(text, thread, chain[:i]):
            echoes += 1
            examples.append(text)
    return counted, echoes, examples


def run_system(folder: Path, depth: int, backend, echo_rule: bool) -> dict:
    settings = demo_settings(folder)
    nodes.is_echo = is_echo if echo_rule else (lambda *_args: False)
    started = time.perf_counter()
    counted = echoes = 0
    chains = {}
    for thread in DEMO_THREADS:
        views = list(drafted_chain(settings, depth=depth, thread=thread, backend=backend))
        base, texts = chain_texts(views)
        n, e, examples = echo_count(base, texts)
        counted, echoes = counted + n, echoes + e
        chains[thread] = {"texts": texts, "echoes": examples}
    return {
        "echo_rule": echo_rule,
        "resample_rounds": settings.draft.resample_rounds,
        "chain_texts": counted,
        "echoes": echoes,
        "echo_rate": echoes / counted if counted else 0.0,
        "seconds": round(time.perf_counter() - started, 1),
        "chains": chains,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, default=3)
    args = parser.parse_args()
    enforce_offline()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        settings = demo_settings(folder)
        prepare(settings, on_step=lambda _step: None)
        backend = load_backend(settings)
        try:
            predraft = run_system(folder, args.depth, backend, echo_rule=True)
            baseline = run_system(folder, args.depth, backend, echo_rule=False)
        finally:
            backend.close()
    print(json.dumps({
        "benchmark": "chain_echoes",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "load_avg_1m": os.getloadavg()[0]},
        "depth": args.depth,
        "threads": list(DEMO_THREADS),
        "predraft": predraft,
        "baseline_echo_rule_off": baseline,
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
