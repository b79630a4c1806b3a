"""From a message reaching the homeserver to its pre-drafted reply ready for review, on `predraft live matrix`.

A real Synapse on loopback (the harness of tests/integration/live/synapse.py) with two users: Bob writes,
the user (alex) follows the room through graphs/predraft/live.py with the default model, the demo corpus
indexed behind it. Each repetition: Bob writes a starter, the reply drafted for it is accepted through
`live.accept` (sent to the room), so the chain waits with a predicted message and its pre-drafted answer;
then, with the follow loop already waiting in its long poll (as a running `predraft live matrix` is),
Bob sends:
- hit: exactly the predicted text; the pre-draft is served;
- miss: another message; the reply is drafted again.
Time (`total`): Bob's `send` returning -> the thread's chain holds its reply (the answering step returned,
its checkpoint written: a review reading the chain shows it). Split into delivery (until the sync response
is back in the process: homeserver and network) and predraft's own work (import, answering); the index
update that follows a hit, and `sync_done` (the whole sync returned), are reported beside it. Measured on its own: a plain /sync long poll (httpx) for the
same send, the homeserver's delivery without nio or predraft.

Baseline in the same run: the same chain fed from a WhatsApp export (a line appended, then
`watch.refresh`), same hit/miss; and how long watchfiles takes to notice such an append (`predraft
watch`'s wait, as the long poll is `live`'s).

Prints JSON. Usage: .venv/bin/python benchmarks/live.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import watchfiles

from assistant.config import load_settings
from assistant.demo import SAMPLES_DIR
from assistant.models import load_backend
from assistant.offline import enforce_offline
from benchmarks.live_paths import MISSES, SETTLE_S, ExportPath, LivePath, TimedSource, build_world, instrument
from graphs.predraft.api import DraftChain
from graphs.predraft.live import sync
from tests.integration.live.synapse import SYNAPSE_PYTHON, Synapse, User

GOAL_HIT_P90_MS = 100


# ---- pure parts -----------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default): p90 of 10 runs lies between the 9th and 10th."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(seconds: list[float]) -> dict[str, float] | None:
    if not seconds:
        return None
    ms = [s * 1000 for s in seconds]
    return {"median_ms": round(statistics.median(ms), 1), "p90_ms": round(percentile(ms, 90), 1),
            "min_ms": round(min(ms), 1), "max_ms": round(max(ms), 1), "runs": len(ms)}


def path_report(runs: dict[str, list[dict[str, float]]]) -> dict:
    """{"hit": [{"total": s, "delivery": s, ...}, ...], "miss": [...]} -> a summary per outcome and part."""
    return {outcome: {part: summary([r[part] for r in timings if part in r])
                      for part in dict.fromkeys(p for r in timings for p in r)}
            for outcome, timings in runs.items()}


def report(machine: dict, model: str, settings: dict, live: dict, export: dict, long_poll: list[float],
           notify: list[float], counts: dict[str, dict[str, int]]) -> dict:
    live_hit = live.get("hit", {}).get("total")
    goal = f"live_hit_p90_under_{GOAL_HIT_P90_MS}_ms"
    return {"machine": machine, "model": model, "settings": settings,
            "live_matrix": live, "export_refresh": export,
            "sync_long_poll": summary(long_poll), "export_notify_watchfiles": summary(notify),
            "counts": counts,
            "goals": {goal: bool(live_hit and live_hit["p90_ms"] < GOAL_HIT_P90_MS)}}


# ---- the runs -------------------------------------------------------------------------------------

def run_path(path: LivePath | ExportPath, repeats: int) -> tuple[dict, dict[str, int]]:
    runs: dict[str, list[dict[str, float]]] = {"hit": [], "miss": []}
    counts = {"no_prediction": 0, "no_candidates": 0}
    for n in range(repeats):
        for outcome in ("hit", "miss"):
            prepared = time.perf_counter()
            predicted = path.prepare(2 * n + (outcome == "miss"))
            if not predicted:
                counts["no_prediction"] += 1  # the model predicted nothing: no pre-draft to serve
                continue
            started = time.perf_counter()
            runs[outcome].append(path.measure(predicted if outcome == "hit" else MISSES[n % len(MISSES)]))
            view = path.chain.view(path.chain.latest_chain(path.thread_id))
            assert view.hit is (outcome == "hit"), (outcome, view.hit)
            # A redraft whose every candidate was filtered out: the review says "no good suggestion".
            counts["no_candidates"] += not view.candidates
            print(f"{type(path).__name__} {outcome} {n}: prepared in {started - prepared:.1f} s, "
                  + ", ".join(f"{k} {1000 * v:.0f} ms" for k, v in runs[outcome][-1].items()), file=sys.stderr)
    return path_report(runs), counts


def long_poll_latency(alex: User, bob: User, room: str, repeats: int) -> list[float]:
    """Bob's send returning -> a plain /sync long poll of alex's returning with it (httpx, no nio, no predraft)."""
    since = alex.http.get("/sync", params={"timeout": 0}).json()["next_batch"]
    latencies = []
    for n in range(repeats):
        answer: queue.Queue = queue.Queue()
        poll = threading.Thread(target=lambda: answer.put(_sync_until(alex, since, f"ping {n}")))
        poll.start()
        time.sleep(SETTLE_S)
        bob.send(room, f"ping {n}")
        sent = time.perf_counter()
        since, returned = answer.get(timeout=60)
        poll.join()
        latencies.append(returned - sent)
    return latencies


def _sync_until(user: User, since: str, text: str) -> tuple[str, float]:
    """Long polls until one carries `text` (a poll may also return for something else): next token, when."""
    while True:
        response = user.http.get("/sync", params={"since": since, "timeout": 30_000})
        since = response.json()["next_batch"]
        if text in response.text:
            return since, time.perf_counter()


def notify_latency(folder: Path, repeats: int) -> list[float]:
    """An append to a watched export -> watchfiles yielding it, with `watch_exports`' default settings."""
    scratch, stop, seen = folder / "WhatsApp Chat with Nobody.txt", threading.Event(), queue.Queue()
    scratch.write_text("")
    watcher = threading.Thread(target=lambda: [seen.put(time.perf_counter()) for _ in watchfiles.watch(
        folder, stop_event=stop, raise_interrupt=False)])
    watcher.start()
    time.sleep(1.0)
    latencies = []
    for n in range(repeats):
        while not seen.empty():  # a late second batch for the previous append
            seen.get()
        with scratch.open("a") as fh:
            fh.write(f"6/20/25, 9:{n:02d} AM - Nobody: hi\n")
        written = time.perf_counter()
        latencies.append(seen.get(timeout=10) - written)
        time.sleep(0.2)
    stop.set()
    watcher.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    if not SYNAPSE_PYTHON.exists():
        raise SystemExit(f"no Synapse at {SYNAPSE_PYTHON}: run `make setup-synapse`")
    enforce_offline()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        exports, data_dir = tmp_path / "exports", tmp_path / "data"
        shutil.copytree(SAMPLES_DIR, exports)
        # Built in another process, as `predraft ingest`/`index` would: the embedding job's thread pools
        # do not linger in the process being measured.
        builder = multiprocessing.get_context("spawn").Process(target=build_world, args=(data_dir, exports))
        builder.start()
        builder.join()
        if builder.exitcode != 0:
            raise SystemExit("building the demo corpus and index failed (see above)")
        (tmp_path / "synapse").mkdir()
        server = Synapse(tmp_path / "synapse")
        server.start()
        try:
            alex, bob = server.register("alex", "alex-password"), server.register("bob", "bob-password")
            room = bob.create_room(invite=alex)
            alex.join(room)
            bob.send(room, "hey, long time! are you still climbing?")
            alex.send(room, "yes, most wednesdays")
            settings = load_settings(data_dir)
            with load_backend(settings) as backend, DraftChain(settings, backend=backend) as chain:
                source = TimedSource(data_dir, server.url, alex.user_id, password=lambda: alex.password,
                                     confirm=lambda _thread, _text: True)
                source.log_in()
                source.follow([room])
                source.allow_send(room)
                instrument(chain)
                sync(chain, source)  # the first sync: the room's history, imported and indexed
                chain.start("Maya Chen", depth=1)  # warm: embedder, index cache, model
                live, live_counts = run_path(LivePath(chain, source, bob, room), args.repeats)
                export, export_counts = run_path(ExportPath(chain, exports / "WhatsApp Chat with Maya Chen.txt",
                                                             "Maya Chen"), args.repeats)
                source.close()
            long_poll = long_poll_latency(alex, bob, room, args.repeats)
        finally:
            server.stop()
        (tmp_path / "notify").mkdir()
        notify = notify_latency(tmp_path / "notify", args.repeats)
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
               "python": platform.python_version(), "load_avg_before": [round(x, 1) for x in load_before],
               "load_avg_after": [round(x, 1) for x in os.getloadavg()]}
    knobs = {"candidates": settings.draft.candidates, "depth": settings.draft.depth,
             "max_tokens": settings.model.max_tokens, "n_threads": settings.model.n_threads}
    counts = {"live_matrix": live_counts, "export_refresh": export_counts}
    print(json.dumps(report(machine, backend.model_id, knobs, live, export, long_poll, notify, counts), indent=2))


if __name__ == "__main__":
    main()
