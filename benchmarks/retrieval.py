"""Retrieval: indexing 100,000 exchanges, and filtered query latency (embedding: benchmarks/embedding.py).

Each figure is compared with a named baseline measured in the same run:

* queries: Chroma's own `collection.query`, unfiltered and with a `where` filter equal to
  predraft's (as-of cut plus the current thread's future left out), against `ExchangeIndex`
  (numpy over a time-sorted cache; MMR and the metadata fetch included). Recall@k of Chroma's
  filtered query against the exact answer.

The scale test builds a real corpus of N exchanges (SQLite) and runs `ExchangeIndex.update` on it
for real, except that its vectors come from a stand-in embedder: real MiniLM vectors of 512
synthetic contexts plus noise (clustered like real embeddings), so that 100,000 exchanges need not
be embedded. The JSON says so under "notes". CPU time is printed beside wall time: it is the
steadier figure on a shared machine.

    .venv/bin/python -m benchmarks.retrieval                  # 100,000 exchanges
    .venv/bin/python -m benchmarks.retrieval --n 10000 --queries 100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import chromadb
import numpy as np

from assistant.config import load_settings
from assistant.corpus import Corpus, ParsedMessage, ParsedThread
from assistant.offline import enforce_offline
from assistant.privacy import PrivacyPolicy
from assistant.retrieval.embed import Embedder, load_embedder
from assistant.retrieval.index import ExchangeIndex

ME = "Alex Moreau"
PEOPLE = ("Maya Kovač", "Jonas Berg", "Lea Hoffmann", "Noor Haddad", "Sam Okafor", "Priya Nair")
WORDS = ("sure", "tomorrow", "the crag", "rope", "coffee", "train", "see you", "haha", "ok", "weather", "late",
         "dinner", "tonight", "are you coming", "on my way", "sorry", "can't make it", "love that", "what time",
         "the park", "movie", "sounds good", "how was your day", "work was busy", "did you see", "call me",
         "when you land", "happy birthday", "miss you", "bring the speaker", "café", "🧗", "😂", "❤️")
COMMON_REPLIES = ("ok", "haha", "yes", "lol", "👍", "sure", "thanks!", "ok!", "haha yes", "on my way", "❤️", "no")
START = datetime(2019, 1, 1, tzinfo=UTC)


def chat_message(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(max(1, min(30, int(rng.expovariate(1 / 5))))))


def contexts(rng: random.Random, n: int) -> list[str]:
    return ["\n".join(f"{rng.choice(PEOPLE + ('Me',))}: {chat_message(rng)}" for _ in range(rng.randint(1, 4)))
            for _ in range(n)]


def timed(fn: Callable[[], object]) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def rate(n: int, wall: float, cpu: float) -> dict:
    return {"per_s": round(n / wall), "per_cpu_s": round(n / cpu), "seconds": round(wall, 2)}


# ---- a corpus of N exchanges -----------------------------------------------------------------


def corpus_events(n: int, rng: random.Random) -> Iterator:
    """N user turns in threads of 50 conversations; each conversation: 1-3 messages to the user, one reply."""
    per_thread = 50
    span = (datetime(2024, 12, 31, tzinfo=UTC) - START).total_seconds()
    for t in range((n + per_thread - 1) // per_thread):
        other = rng.choice(PEOPLE)
        key = f"thread-{t}"
        yield ParsedThread(key=key, platform=rng.choice(("whatsapp", "telegram", "sms")), title=f"{other} {t}",
                           participants=(f"{other} {t}", ME))
        times = sorted(START + timedelta(seconds=rng.uniform(0, span)) for _ in range(min(per_thread, n - t * per_thread)))
        for when in times:
            for i in range(rng.randint(1, 3)):
                yield ParsedMessage(thread_key=key, sender=f"{other} {t}", timestamp=when + timedelta(seconds=20 * i),
                                    text=chat_message(rng))
            yield ParsedMessage(thread_key=key, sender=ME, timestamp=when + timedelta(minutes=2),
                                text=rng.choice(COMMON_REPLIES) if rng.random() < 0.3 else chat_message(rng))


class ClusteredVectors:
    """Stand-in embedder for the scale test: a real MiniLM vector of one of 512 contexts, plus noise.

    Deterministic per text, so a rerun of `update` sees the same vectors.
    """

    def __init__(self, real: Embedder):
        self.dim, self.model_id = real.dim, "synthetic-clustered"
        self.centres = real.embed(contexts(random.Random(3), 512))

    def embed(self, texts: list[str]) -> np.ndarray:
        seeds = [zlib.crc32(t.encode()) for t in texts]
        noise = np.stack([np.random.default_rng(s).standard_normal(self.dim, dtype=np.float32) for s in seeds])
        v = self.centres[[s % len(self.centres) for s in seeds]] + 0.03 * noise
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def percentiles(samples_s: list[float]) -> dict:
    ms = np.array(samples_s) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def bench_index(n: int, queries: int, data_dir: Path) -> dict:
    rng = random.Random(2)
    settings = load_settings(data_dir)
    with Corpus(settings.corpus_path) as corpus:
        _, build_s, _ = timed(lambda: corpus.import_events("synthetic", "sha", "whatsapp", corpus_events(n, rng), UTC))
        corpus.set_me(ME)
        vectors = ClusteredVectors(load_embedder())
        index = ExchangeIndex(settings, embedder=vectors)
        policy = PrivacyPolicy.from_settings(settings)
        report, add_wall, add_cpu = timed(lambda: index.update(corpus, policy))
        _, noop_s, _ = timed(lambda: ExchangeIndex(settings, embedder=vectors).update(corpus, policy))
        thread_ids = [t.id for t in corpus.threads()]

    collection = chromadb.PersistentClient(
        path=str(settings.index_dir), settings=chromadb.Settings(anonymized_telemetry=False)
    ).get_collection(settings.retrieval.collection)
    k = settings.retrieval.top_k
    span = (datetime(2024, 12, 31, tzinfo=UTC) - START).total_seconds()
    cases = []
    for _ in range(queries):
        before = START + timedelta(seconds=rng.uniform(0.2, 1.0) * span)
        since = START + timedelta(seconds=rng.uniform(0, 1.0) * span)
        cases.append((vectors.embed([chat_message(rng)])[0], before, (rng.choice(thread_ids), since)))

    def chroma_where(before: datetime, exclude: tuple[int, datetime]) -> dict:
        thread_id, since = exclude
        cut, since_ms = int(before.timestamp() * 1000), int(since.timestamp() * 1000)
        return {"$and": [{"ts_ms": {"$lt": cut}},
                         {"$or": [{"thread_id": {"$ne": thread_id}}, {"ts_ms": {"$lt": since_ms}}]}]}

    fresh = ExchangeIndex(settings, embedder=vectors)
    _, open_s, _ = timed(lambda: fresh.search_vector(cases[0][0]))  # opens the memory-mapped cache
    runs: dict[str, list[float]] = {name: [] for name in ("ours_unfiltered", "ours_filtered", "chroma_unfiltered",
                                                          "chroma_where_filtered")}
    recall: dict[str, list[float]] = {"chroma_where_filtered_recall_at_k": [], "ours_filtered_candidate_recall": []}
    truth = ExactAnswers(collection)
    fetch_k = settings.retrieval.fetch_k
    for q, before, exclude in cases:
        for name, call in (
            ("ours_unfiltered", lambda: fresh.search_vector(q)),
            ("ours_filtered", lambda: fresh.search_vector(q, before=before, exclude_thread=exclude)),
            ("chroma_unfiltered", lambda: collection.query(query_embeddings=[q], n_results=k, include=["metadatas"])),
            ("chroma_where_filtered", lambda: collection.query(query_embeddings=[q], n_results=k,
                                                               where=chroma_where(before, exclude),
                                                               include=["metadatas"])),
        ):
            result, seconds, _ = timed(call)
            runs[name].append(seconds)
            if name == "chroma_where_filtered":
                exact = truth.top(q, before, exclude, k)
                recall[name + "_recall_at_k"].append(len(set(result["ids"][0]) & exact) / len(exact) if exact else 1.0)
        exact = truth.top(q, before, exclude, fetch_k)
        ours = {i for i, _ in fresh.nearest(q, fetch_k, before=before, exclude_thread=exclude)}
        recall["ours_filtered_candidate_recall"].append(len(ours & exact) / len(exact) if exact else 1.0)

    text_queries = contexts(random.Random(4), min(queries, 100))
    real = ExchangeIndex(settings)  # the real embedder: a query's own embedding is part of its latency
    real.search(text_queries[0])
    end_to_end = [timed(lambda: real.search(t, before=cases[0][1], exclude_thread=cases[0][2]))[1] for t in text_queries]
    return {
        "exchanges": report.total, "corpus_build_s": round(build_s, 1),
        "add": {**rate(report.added, add_wall, add_cpu), "what": "ExchangeIndex.update: read + redact corpus, Chroma upsert, "
                "cache write (vectors from the stand-in embedder)"},
        "noop_update_s": round(noop_s, 2), "open_cache_and_first_query_s": round(open_s, 3),
        "query": {name: percentiles(samples) for name, samples in runs.items()},
        "query_end_to_end_with_embedding_filtered": percentiles(end_to_end),
        **{name: round(float(np.mean(values)), 4) for name, values in recall.items()},
        "k": k, "fetch_k": fetch_k, "exact_search_rows": settings.retrieval.exact_search_rows, "queries": queries,
    }


class ExactAnswers:
    """Brute force over every record Chroma holds: the ground truth for a filtered top-k."""

    def __init__(self, collection: chromadb.Collection, page: int = 5000):
        ids, vectors, metadatas = [], [], []
        for offset in range(0, collection.count(), page):  # one `get` of everything exceeds SQLite's variables
            got = collection.get(include=["embeddings", "metadatas"], limit=page, offset=offset)
            ids += got["ids"]
            vectors.append(np.asarray(got["embeddings"], dtype=np.float32))
            metadatas += got["metadatas"]
        self.ids = np.array(ids)
        self.vectors = np.concatenate(vectors)
        self.ts_ms = np.array([m["ts_ms"] for m in metadatas])
        self.thread_ids = np.array([m["thread_id"] for m in metadatas])

    def top(self, q: np.ndarray, before: datetime, exclude: tuple[int, datetime], k: int) -> set[str]:
        allowed = (self.ts_ms < before.timestamp() * 1000) & ~(
            (self.thread_ids == exclude[0]) & (self.ts_ms >= exclude[1].timestamp() * 1000))
        scores = np.where(allowed, self.vectors @ q, -np.inf)
        best = np.argsort(-scores)[:k]
        return set(self.ids[best[np.isfinite(scores[best])]].tolist())


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="exchanges in the scale test")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    enforce_offline()
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(),
               "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        result = {"machine": machine, "index": bench_index(args.n, args.queries, Path(tmp) / "data")}
    machine["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["notes"] = [
        "scale test vectors: real MiniLM vectors of 512 synthetic contexts plus noise, not 100k real embeddings",
        "ours_filtered and chroma_where_filtered apply the same filter: as-of cut + current thread's future",
        "ours_* include MMR over fetch_k candidates and the Chroma metadata fetch of the candidates",
        "ours_filtered_candidate_recall: the fetch_k candidates before MMR against the exact filtered top fetch_k",
    ]
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
