"""The search cache: the index's vectors as one float32 matrix sorted by time, kept per index generation,
and the exact search over it.

Several processes use one index (`watch` writes it while `review` searches it), so whether a cache
is current is told by a generation token in `<index>/generation`. Every change of the index writes a
new token before Chroma changes (so a crash midway leaves a generation no cache belongs to) and
another once the change is done, when the cache of the new state is stored under
`<index>/search-cache/<generation>/`. A process whose cache belongs to an older generation drops it.

A cache folder is written whole under a name of its own, then renamed into place: two processes
saving at once never write into one folder, and a reader never finds half a cache.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from assistant.files import write_atomic

CACHE_DIR = "search-cache"
GENERATION_FILE = "generation"
FIRST_GENERATION = "0"  # of an index written before generations were kept: its cache is built once from Chroma
SIM_DECIMALS = 5  # similarities that agree to this many decimals are a tie, broken by a stable key


def epoch_ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def read_generation(index_dir: Path) -> str:
    try:
        return (index_dir / GENERATION_FILE).read_text()
    except FileNotFoundError:
        return FIRST_GENERATION


def start_generation(index_dir: Path) -> str:
    """Chroma is about to change: a new generation that no cache belongs to, which readers see at once."""
    return _write_generation(index_dir)


def publish(index_dir: Path, cache: SearchCache, collection_id: str) -> str:
    """The change is done: store `cache` (the new state) under a new generation, announce that generation,
    and delete the caches of past ones. Only the writer calls it, holding the index lock; a process still
    reading an old cache keeps its memory-mapped files until it lets go of them."""
    generation = uuid.uuid4().hex
    cache.save(index_dir, generation, collection_id)
    _write_generation(index_dir, generation)
    for folder in (index_dir / CACHE_DIR).iterdir():
        if folder.name != generation:  # past generations, and folders of saves that died midway
            shutil.rmtree(folder, ignore_errors=True)
    return generation


def _write_generation(index_dir: Path, generation: str | None = None) -> str:
    generation = generation or uuid.uuid4().hex
    write_atomic(index_dir / GENERATION_FILE, generation)
    return generation


@dataclass
class SearchCache:
    """Rows sorted by time: vectors (n, dim), ts_ms, thread_ids, ids, hashes."""

    vectors: np.ndarray
    ts_ms: np.ndarray
    thread_ids: np.ndarray
    ids: np.ndarray
    hashes: np.ndarray
    _rows: dict[str, int] | None = field(default=None, repr=False)  # id -> row, built on first need

    _ARRAYS = ("vectors", "ts_ms", "thread_ids", "ids", "hashes")

    @classmethod
    def from_records(cls, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict]) -> SearchCache:
        return cls(
            vectors=np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1) if ids else np.zeros((0, 0), np.float32),
            ts_ms=np.array([m["ts_ms"] for m in metadatas], dtype=np.int64),
            thread_ids=np.array([m["thread_id"] for m in metadatas], dtype=np.int64),
            ids=np.array(ids, dtype=np.str_),
            hashes=np.array([m["hash"] for m in metadatas], dtype=np.str_),
        )

    @classmethod
    def sorted_union(cls, parts: Sequence[SearchCache]) -> SearchCache:
        """All rows of `parts` in one cache, sorted by time (copies: safe to outlive memory-mapped parts)."""
        parts = [p for p in parts if len(p.ids)] or parts[:1]  # an empty part may lack the vector width
        columns = {name: np.concatenate([getattr(p, name) for p in parts]) for name in cls._ARRAYS}
        order = np.argsort(columns["ts_ms"], kind="stable")
        return cls(**{name: np.ascontiguousarray(column[order]) for name, column in columns.items()})

    def rows_of(self, ids: list[str]) -> np.ndarray:
        """Rows of these ids; an id this cache does not know (written by another process since) is skipped."""
        if self._rows is None:
            self._rows = {i: row for row, i in enumerate(self.ids.tolist())}
        return np.array([r for r in map(self._rows.get, ids) if r is not None], dtype=np.int64)

    def without(self, ids: set[str]) -> SearchCache:
        keep = np.array([i not in ids for i in self.ids.tolist()], dtype=bool)
        return SearchCache(*(np.array(getattr(self, name)[keep]) for name in self._ARRAYS))

    def save(self, index_dir: Path, generation: str, collection_id: str) -> None:
        """Store the cache as `generation`'s; if another process stored it first, theirs stays (the same rows)."""
        root = index_dir / CACHE_DIR
        root.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(dir=root, prefix=f".{generation}-"))
        try:
            for name in self._ARRAYS:
                np.save(temp / f"{name}.npy", getattr(self, name))
            (temp / "meta.json").write_text(json.dumps({"collection_id": collection_id, "count": len(self.ids)}))
            os.rename(temp, root / generation)  # fails if that folder exists: renaming never merges two
        except OSError:
            shutil.rmtree(temp, ignore_errors=True)
            if not (root / generation).is_dir():
                raise

    @classmethod
    def load(cls, index_dir: Path, generation: str, collection_id: str, count: int) -> SearchCache | None:
        """`generation`'s cache if it belongs to this collection at this size; None means rebuild it."""
        folder = index_dir / CACHE_DIR / generation
        try:
            meta = json.loads((folder / "meta.json").read_text())
            if meta != {"collection_id": collection_id, "count": count}:
                return None
            # Memory-mapped: opening is instant and the OS shares the pages between processes.
            return cls(*(np.load(folder / f"{name}.npy", mmap_mode="r") for name in cls._ARRAYS))
        except (OSError, ValueError):
            return None


class Unseen:
    """Rows drafting must not see: the current thread's exchanges at or after a time (its future), and
    every exchange of the hidden threads (those of contacts excluded since the index was built)."""

    def __init__(self, cache: SearchCache, exclude_thread: tuple[int, datetime] | None,
                 hidden_threads: Collection[int] = ()):
        self.cache, self.exclude = cache, exclude_thread
        self.hidden = np.fromiter(hidden_threads, dtype=np.int64)

    def of(self, rows: np.ndarray | slice) -> np.ndarray:
        found = np.isin(self.cache.thread_ids[rows], self.hidden)
        if self.exclude is not None:
            thread_id, since = self.exclude
            found |= (self.cache.thread_ids[rows] == thread_id) & (self.cache.ts_ms[rows] >= epoch_ms(since))
        return found


def scan(cache: SearchCache, q: np.ndarray, n: int, end: int, unseen: Unseen) -> tuple[np.ndarray, np.ndarray]:
    """Exact: every row before the cut against the query, one matrix-vector product over a view."""
    sims = cache.vectors[:end] @ q
    sims[unseen.of(slice(0, end))] = -np.inf
    n = min(n, end)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    # Every row tied with the n-th best goes on to the ordering, so which of them wins never
    # depends on how the partition happened to split them.
    keys = _tie_key(sims)
    nth_best = np.partition(keys, end - n)[end - n]
    rows = np.flatnonzero((keys >= nth_best) & np.isfinite(sims))
    return best_first(cache, rows, sims[rows], n)


def _tie_key(sims: np.ndarray) -> np.ndarray:
    # Float sums differ in the last bits between BLAS kernels (CPUs); equal to SIM_DECIMALS is a tie.
    return np.round(sims, SIM_DECIMALS)


def best_first(cache: SearchCache, rows: np.ndarray, sims: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The n most similar rows, best first; a tie goes to the newer exchange, then the smaller id, so the
    evidence is the same on any machine and whatever order the rows came in."""
    order = np.lexsort((cache.ids[rows], -cache.ts_ms[rows], -_tie_key(sims)))[:n]
    return rows[order], sims[order]
