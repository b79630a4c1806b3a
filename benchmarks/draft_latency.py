"""Draft latency of the default model (Gemma 3 270M Q4_K_M, llama.cpp, CPU), cold vs KV-prefix reuse.

Section "backend": the raw llama.cpp backend on a realistic WhatsApp thread (~380 prompt tokens,
the dataset's context budget), with the configured threads and generation options:
- first token and full draft of one candidate, cold (empty KV cache: the named baseline) vs
  prefix reuse (same transcript already evaluated: the next candidate, a regenerate);
- the next step of a response chain (transcript + accepted reply + predicted message), cold vs reuse;
- 3 candidates + scoring them, as one draft of the graph does;
- prompt and generation speed in tokens/s from llama.cpp's own counters.
Medians over --repeats runs. Sections are functions returning a dict; each adds one key to the JSON.

    .venv/bin/python benchmarks/draft_latency.py [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import llama_cpp

from assistant.config import load_settings
from assistant.models import GenerationOptions, load_backend
from assistant.models.llama_cpp import LlamaCppBackend
from assistant.prompting import Line, build_prompt, header, stop_sequences

THREAD = [
    ("Maya", "hey!! are you still up for saturday?"),
    ("Me", "yes!! what time were you thinking"),
    ("Maya", "maybe 7? Jonas is bringing his new speaker"),
    ("Me", "7 works. should I bring anything"),
    ("Maya", "chips and something to drink maybe"),
    ("Me", "ok I'll grab some lemonade and those spicy chips you like"),
    ("Maya", "perfect 😍"),
    ("Maya", "oh and Lena might come too, she just got back from Lisbon"),
    ("Me", "nice, haven't seen her in ages"),
    ("Me", "is she still doing the ceramics thing?"),
    ("Maya", "yes! she brought me a bowl, it's gorgeous"),
    ("Maya", "she has SO many stories, the hostel one is wild"),
    ("Me", "haha I bet. tell her to save it for saturday"),
    ("Maya", "also can you pick up the folding table from your parents?"),
    ("Me", "sure, I'll ask my dad tomorrow, he's home after 5"),
    ("Maya", "you're the best"),
    ("Maya", "we need it for the food, my kitchen table is tiny"),
    ("Me", "no worries. how many people are coming in total?"),
    ("Maya", "like 8? maybe 10 if Tobi brings his flatmates"),
    ("Me", "ok then I'll get two bottles of lemonade"),
    ("Maya", "good call. and ice if you can, my freezer is full of Jonas's pizza"),
    ("Me", "lol why is his pizza in your freezer"),
    ("Maya", "long story. his freezer broke"),
    ("Maya", "anyway, are you coming by bike or should I pick you up? it might rain"),
]
ACCEPTED = " I'll come by bike, rain or not 🚲"
PREDICTED = "Maya: ok! bring a rain jacket then"


def thread_prompt() -> str:
    lines = [Line(speaker, text) for speaker, text in THREAD]
    return build_prompt(header("whatsapp", "Maya", date(2024, 6, 14)), lines)


def timed_draft(backend: LlamaCppBackend, prompt: str, options: GenerationOptions, cold: bool) -> dict:
    if cold:
        backend.llm.reset()  # forget the KV cache: every prompt token is evaluated again
    before = llama_cpp.llama_perf_context(backend.llm.ctx)
    p_ms, p_n, g_ms, g_n = before.t_p_eval_ms, before.n_p_eval, before.t_eval_ms, before.n_eval
    start = time.perf_counter()
    first = None
    text = ""
    for piece in backend.stream(prompt, options):
        first = first if first is not None else time.perf_counter() - start
        text += piece
    total = time.perf_counter() - start
    after = llama_cpp.llama_perf_context(backend.llm.ctx)
    return {
        "first_token_s": first if first is not None else total,
        "total_s": total,
        "prompt_tokens_evaluated": after.n_p_eval - p_n,
        "prompt_eval_ms": after.t_p_eval_ms - p_ms,
        "generated_tokens": after.n_eval - g_n,
        "generate_ms": after.t_eval_ms - g_ms,
        "text": text,
    }


def summary(runs: list[dict]) -> dict:
    def median(key: str) -> float:
        return round(statistics.median(run[key] for run in runs), 3)

    prompt_ms, gen_ms = median("prompt_eval_ms"), median("generate_ms")
    prompt_n, gen_n = median("prompt_tokens_evaluated"), median("generated_tokens")
    return {
        "first_token_s": median("first_token_s"),
        "total_s": median("total_s"),
        "prompt_tokens_evaluated": int(prompt_n),
        "generated_tokens": int(gen_n),
        "prompt_tok_per_s": round(prompt_n / prompt_ms * 1000, 1) if prompt_ms else None,
        "generate_tok_per_s": round(gen_n / gen_ms * 1000, 1) if gen_ms else None,
    }


def backend_section(backend: LlamaCppBackend, options: GenerationOptions, repeats: int) -> dict:
    prompt = thread_prompt()
    next_step = prompt + ACCEPTED + "\n" + PREDICTED + "\nMe:"
    backend.complete(prompt, replace(options, max_tokens=1))  # warm up the threads and allocations
    result: dict = {
        "prompt_tokens": len(backend.tokenize(prompt)),
        "options": vars(options) | {"stop": list(options.stop)},
    }
    for name, target in (("draft", prompt), ("chain_step", next_step)):
        cold, reuse = [], []
        for i in range(repeats):
            seeded = replace(options, seed=options.seed + i)
            cold.append(timed_draft(backend, target, seeded, cold=True))
            if name == "chain_step":
                backend.complete(prompt, replace(options, max_tokens=1))  # the cache holds the previous step
            reuse.append(timed_draft(backend, target, seeded, cold=False))
        result[name] = {
            "cold": summary(cold),
            "prefix_reuse": summary(reuse),
            "first_token_speedup": round(statistics.median(c["first_token_s"] for c in cold)
                                         / statistics.median(r["first_token_s"] for r in reuse), 1),
            "sample_reply": cold[0]["text"],
        }

    totals, score_times = [], []
    for i in range(repeats):
        backend.llm.reset()
        start = time.perf_counter()
        texts = backend.candidates(prompt, replace(options, seed=options.seed + 10 * i), 3)
        totals.append(time.perf_counter() - start)
        start = time.perf_counter()
        for text in texts:
            backend.score(prompt, text)
        score_times.append(time.perf_counter() - start)
    result["three_candidates_cold_s"] = round(statistics.median(totals), 3)
    result["score_three_candidates_s"] = round(statistics.median(score_times), 3)
    return result


def machine(threads: int) -> dict:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "n_threads": threads,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "llama_cpp_python": llama_cpp.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="default: model.n_threads from the config")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        overrides = {"model": {"n_threads": args.threads}} if args.threads else None
        settings = load_settings(Path(data_dir), overrides)
        results: dict = {"machine_before": machine(settings.model.n_threads)}
        start = time.perf_counter()
        with load_backend(settings) as backend:
            results["load_s"] = round(time.perf_counter() - start, 3)
            assert isinstance(backend, LlamaCppBackend), "this benchmark measures model.backend = llama_cpp"
            options = GenerationOptions.from_settings(settings.model, stop=stop_sequences(["Maya"]))
            results["backend"] = backend_section(backend, options, args.repeats)
        results["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
