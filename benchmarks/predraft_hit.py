"""How fast a pre-drafted reply is ready when the predicted message really arrives, and what the graph costs.

On the bundled demo corpus (indexed in a temporary data dir), with the default model:

1. Hit vs miss: a chain is started on a thread and its first draft accepted, so it predicts the other
   side's next message and pre-drafts the answer. Then a real message arrives (`DraftChain.incoming`):
   - hit: the message is the predicted one; time until the pre-draft is served (goal < 50 ms);
   - miss (baseline): another message; time until the reply is drafted again for it.
2. Streaming: tokens/s of the k candidates of a step drafted through the graph (tokens reach `on_token`
   through LangGraph's custom stream) vs the raw backend sampling the same prompt with the same options
   and seeds on a worker thread, first token to last (goal: graph overhead <= 10%); and, without a model,
   what LangGraph's custom stream costs per token.

Prints JSON. Usage: .venv/bin/python benchmarks/predraft_hit.py [--repeats 3] [--thread "Maya Chen"]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypedDict

from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime

from assistant.config import load_settings
from assistant.corpus.store import Corpus
from assistant.demo import DEMO_ALIASES, DEMO_EXCLUDED, DEMO_ME, SAMPLES_DIR
from assistant.ingest.runner import ingest_paths
from assistant.models import load_backend
from assistant.offline import enforce_offline
from assistant.privacy import PrivacyPolicy
from assistant.prompting import ME
from assistant.retrieval.index import ExchangeIndex
from graphs.predraft.api import DraftChain
from graphs.predraft.prompts import draft_options, speakers

UNRELATED = "btw did you ever fix the leak under your kitchen sink? the plumber number is on the fridge"


def build_demo_world(data_dir: Path, candidates: int) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "predraft.toml").write_text(
        f'[ingest]\ntimezone = "UTC"\n\n[draft]\ncandidates = {candidates}\nconfidence_threshold = 0.0\n'
    )
    settings = load_settings(data_dir)
    with Corpus(settings.corpus_path) as corpus:
        result = ingest_paths(corpus, [SAMPLES_DIR], timezone="UTC")
        assert result.ok, result.failures
        corpus.set_me(DEMO_ME, [a for a in DEMO_ALIASES if any(p.name == a for p in corpus.people())])
        corpus.set_consent(DEMO_EXCLUDED, excluded=True)
        ExchangeIndex(settings).update(corpus, PrivacyPolicy.from_settings(settings))


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _summary(values_ms: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(values_ms), 1), "min_ms": min(values_ms), "max_ms": max(values_ms),
            "runs": len(values_ms)}


def hit_vs_miss(chain: DraftChain, thread: str, repeats: int) -> dict:
    hits, misses = [], []
    for _ in range(repeats):
        for outcome in ("hit", "miss"):
            view = chain.resume(chain.start(thread).chain_id, "accept", chosen_index=0, reviewed=False)
            if not view.predicted_incoming:
                continue  # the model predicted nothing: no pre-draft to serve
            # The predicted words in capitals: the same to the (uncased) embedder, but a new text to embed.
            real = view.predicted_incoming.upper() if outcome == "hit" else UNRELATED
            started = time.perf_counter()
            served = chain.incoming(view.chain_id, real)
            elapsed = _ms(time.perf_counter() - started)
            assert served.hit is (outcome == "hit") and served.candidates
            (hits if outcome == "hit" else misses).append(elapsed)
    return {"hit": _summary(hits), "miss_redraft": _summary(misses),
            "speedup": round(statistics.median(misses) / statistics.median(hits), 1)}


def _rate(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0])


def streaming_overhead(chain: DraftChain, thread: str, repeats: int) -> dict:
    """All k candidates of one step, first token to last: through the graph and from the raw backend,
    in alternating order so that neither always runs second (warm caches, a busy machine)."""
    rates: dict[str, list[float]] = {"graph": [], "raw": []}
    tokens: list[list[int]] = []
    backend = chain.resources.backend
    n = chain.settings.draft.candidates
    view = chain.start(thread, depth=1)
    values = chain.graph.get_state({"configurable": {"thread_id": view.chain_id}}).values
    options = draft_options(chain.settings, speakers(values) - {ME}, 0)

    def through_graph() -> list[float]:
        stamps: list[float] = []
        chain.start(thread, depth=1, on_token=lambda _i, _p: stamps.append(time.perf_counter()))
        return stamps

    def raw() -> list[float]:
        # On a worker thread, as the graph's nodes run: on this machine llama.cpp (OpenMP) called from
        # the main thread of a process that had run the graph was several times slower.
        stamps: list[float] = []
        with ThreadPoolExecutor(1) as pool:
            pool.submit(backend.candidates, view.prompt, options, n,
                        lambda _i, _p: stamps.append(time.perf_counter())).result()
        return stamps

    for r in range(repeats):
        order = [("graph", through_graph), ("raw", raw)]
        counts = {}
        for name, run in order if r % 2 == 0 else order[::-1]:
            stamps = run()
            rates[name].append(_rate(stamps))
            counts[name] = len(stamps)
        tokens.append([counts["graph"], counts["raw"]])
    graph_rate, raw_rate = statistics.median(rates["graph"]), statistics.median(rates["raw"])
    return {"graph_tokens_per_s": round(graph_rate, 1), "raw_tokens_per_s": round(raw_rate, 1),
            "overhead_pct": round(100 * (raw_rate - graph_rate) / raw_rate, 1), "tokens_graph_raw": tokens}


def stream_cost_per_token(pieces: int = 20_000) -> dict:
    """What LangGraph's custom stream adds per token, without a model: a node writing `pieces` pieces
    that the caller receives, vs a plain loop handing them to the same callback."""

    class Empty(TypedDict, total=False):
        done: bool

    def writer_node(_state: Empty, runtime: Runtime) -> dict:
        for i in range(pieces):
            runtime.stream_writer({"candidate": 0, "piece": i})
        return {"done": True}

    graph = StateGraph(Empty)
    graph.add_node("write", writer_node)
    graph.add_edge(START, "write")
    compiled = graph.compile()
    received: list[object] = []
    started = time.perf_counter()
    for chunk in compiled.stream({}, stream_mode="custom"):
        received.append(chunk["piece"])
    through_graph = time.perf_counter() - started
    received.clear()
    started = time.perf_counter()
    for i in range(pieces):
        received.append({"candidate": 0, "piece": i}["piece"])
    plain = time.perf_counter() - started
    return {"us_per_token": round(1e6 * (through_graph - plain) / pieces, 1), "pieces": pieces}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--thread", default="Maya Chen")
    args = parser.parse_args()
    enforce_offline()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        # Built in another process, as `predraft ingest`/`index` would: the embedding job's thread pools
        # do not linger in the process being measured.
        builder = multiprocessing.get_context("spawn").Process(target=build_demo_world, args=(data_dir, 3))
        builder.start()
        builder.join()
        if builder.exitcode != 0:
            raise SystemExit("building the demo corpus and index failed (see above)")
        settings = load_settings(data_dir)
        with load_backend(settings) as backend, DraftChain(settings, backend=backend) as chain:
            chain.start(args.thread, depth=1)  # warm: embedder, index cache, model
            latency = hit_vs_miss(chain, args.thread, args.repeats)
            stream = streaming_overhead(chain, args.thread, 2 * args.repeats)
    stream["graph_cost_per_token"] = stream_cost_per_token()
    print(json.dumps({
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "load_avg_before": [round(x, 1) for x in load_before],
                    "load_avg_after": [round(x, 1) for x in os.getloadavg()]},
        "model": backend.model_id,
        "settings": {"candidates": settings.draft.candidates, "max_tokens": settings.model.max_tokens,
                     "n_threads": settings.model.n_threads},
        "incoming": latency,
        "streaming": stream,
        "goals": {"hit_under_50_ms": latency["hit"]["median_ms"] < 50,
                  "graph_overhead_at_most_10_pct": stream["overhead_pct"] <= 10},
    }, indent=2))


if __name__ == "__main__":
    main()
