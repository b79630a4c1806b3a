"""The exchange index: Chroma is the store of record, a numpy cache answers the filters.

Chroma keeps every exchange (vector and metadata) on disk. Its metadata filters are slow, and
every query here is filtered (the as-of cut, the current thread's future), so a cache beside it
holds the vectors as one float32 matrix sorted by time, with the timestamps and thread ids. The
as-of cut is then a prefix of the matrix. Up to `exact_search_rows` rows before the cut, a query
is one exact matrix-vector product over that prefix; beyond, Chroma's HNSW graph proposes ids
(its fast part), and the cache filters them and scores them exactly. docs/retrieval.md has the
measurements.

The cache is deleted before Chroma is changed and written after, so a crash leaves no stale
cache; a missing one is rebuilt from Chroma on open.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import chromadb
import numpy as np

from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.erase import vacuum
from assistant.errors import PredraftError
from assistant.privacy import Exclusions, PrivacyPolicy, usable_threads
from assistant.retrieval.embed import Embedder, load_embedder
from assistant.retrieval.exchanges import Evidence, Exchange, exchanges_from_thread
from assistant.retrieval.search import mmr_select

CACHE_DIR = "search-cache"
GRAPH_OVERFETCH = 2.0  # HNSW candidates fetched per candidate wanted, beyond what the as-of cut predicts
SIM_DECIMALS = 5  # similarities that agree to this many decimals are a tie, broken by a stable key
EMBED_CHUNK = 2048  # exchanges embedded and written per step: the unit of progress and of resumption


class IndexError_(PredraftError):
    """The index cannot do what was asked (missing prerequisites, corrupt files), worded for the user."""


class EmptyIndexError(IndexError_):
    """A search on an index with nothing in it."""


@dataclass
class IndexReport:
    added: int  # exchanges embedded in this run: new, or changed since (an edit, a new redaction)
    total: int
    skipped_unchanged: int
    removed: int = 0  # exchanges gone from the usable corpus (a contact excluded, say)


def _ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def _content_hash(e: Exchange) -> str:
    # Every stored field: a redaction that changes only the title still rewrites the record.
    raw = "\x1f".join([e.thread_title, e.contact, e.platform, str(_ms(e.timestamp)), e.context, e.reply, e.answer])
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def _metadata(e: Exchange) -> dict[str, str | int]:
    return {"thread_id": e.thread_id, "thread_title": e.thread_title, "contact": e.contact, "platform": e.platform,
            "ts_ms": _ms(e.timestamp), "year": e.year, "context": e.context, "reply": e.reply,
            "answer": e.answer, "hash": _content_hash(e)}


_TEXT_FIELDS = ("thread_title", "contact", "context", "reply", "answer")


def _exchange(id_: str, meta: dict) -> Exchange:
    ts = datetime.fromtimestamp(meta["ts_ms"] / 1000, UTC)
    return Exchange(id=id_, thread_id=meta["thread_id"], thread_title=meta["thread_title"], contact=meta["contact"],
                    platform=meta["platform"], timestamp=ts, year=meta["year"], context=meta["context"],
                    reply=meta["reply"], answer=meta.get("answer", ""))  # indexes before answers were kept


def _scrubbed(meta: dict, excluded: Exclusions) -> dict:
    """The record with excluded contacts' names replaced in its text; an empty hash marks it changed."""
    texts = {key: excluded.scrub(meta[key]) for key in _TEXT_FIELDS if key in meta}
    if all(texts[key] == meta[key] for key in texts):
        return meta
    return {**meta, **texts, "hash": ""}


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def _chunks(todo: list[Exchange], progress: Callable[[int, int], None] | None) -> Iterator[list[Exchange]]:
    """Exchanges to embed, shortest first so that batches need little padding, reporting progress."""
    todo = sorted(todo, key=lambda e: len(e.embedded_text))
    if progress and todo:
        progress(0, len(todo))  # the total before the first chunk, which takes a while to embed
    for start in range(0, len(todo), EMBED_CHUNK):
        yield todo[start : start + EMBED_CHUNK]
        if progress:
            progress(min(start + EMBED_CHUNK, len(todo)), len(todo))


@dataclass
class _SearchCache:
    """Rows sorted by time: vectors (n, dim), ts_ms, thread_ids, ids, hashes."""

    vectors: np.ndarray
    ts_ms: np.ndarray
    thread_ids: np.ndarray
    ids: np.ndarray
    hashes: np.ndarray
    _rows: dict[str, int] | None = field(default=None, repr=False)  # id -> row, built on first need

    _ARRAYS = ("vectors", "ts_ms", "thread_ids", "ids", "hashes")

    @classmethod
    def from_records(cls, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict]) -> _SearchCache:
        return cls(
            vectors=np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1) if ids else np.zeros((0, 0), np.float32),
            ts_ms=np.array([m["ts_ms"] for m in metadatas], dtype=np.int64),
            thread_ids=np.array([m["thread_id"] for m in metadatas], dtype=np.int64),
            ids=np.array(ids, dtype=np.str_),
            hashes=np.array([m["hash"] for m in metadatas], dtype=np.str_),
        )

    @classmethod
    def sorted_union(cls, parts: Sequence[_SearchCache]) -> _SearchCache:
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

    def without(self, ids: set[str]) -> _SearchCache:
        keep = np.array([i not in ids for i in self.ids.tolist()], dtype=bool)
        return _SearchCache(*(np.array(getattr(self, name)[keep]) for name in self._ARRAYS))

    def save(self, folder: Path, collection_id: str) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name in self._ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(self, name))
        (tmp / "meta.json").write_text(json.dumps({"collection_id": collection_id, "count": len(self.ids)}))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path, collection_id: str, count: int) -> _SearchCache | None:
        """The cache if it belongs to this collection at this size; None means rebuild it."""
        try:
            meta = json.loads((folder / "meta.json").read_text())
            if meta != {"collection_id": collection_id, "count": count}:
                return None
            # Memory-mapped: opening is instant and the OS shares the pages between processes.
            return cls(*(np.load(folder / f"{name}.npy", mmap_mode="r") for name in cls._ARRAYS))
        except (OSError, ValueError):
            return None


class _Unseen:
    """Rows drafting must not see: the current thread's exchanges at or after a time (its future), and
    every exchange of the hidden threads (those of contacts excluded since the index was built)."""

    def __init__(self, cache: _SearchCache, exclude_thread: tuple[int, datetime] | None,
                 hidden_threads: Collection[int] = ()):
        self.cache, self.exclude = cache, exclude_thread
        self.hidden = np.fromiter(hidden_threads, dtype=np.int64)

    def of(self, rows: np.ndarray | slice) -> np.ndarray:
        found = np.isin(self.cache.thread_ids[rows], self.hidden)
        if self.exclude is not None:
            thread_id, since = self.exclude
            found |= (self.cache.thread_ids[rows] == thread_id) & (self.cache.ts_ms[rows] >= _ms(since))
        return found


def _scan(cache: _SearchCache, q: np.ndarray, n: int, end: int, unseen: _Unseen) -> tuple[np.ndarray, np.ndarray]:
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
    return _best_first(cache, rows, sims[rows], n)


def _tie_key(sims: np.ndarray) -> np.ndarray:
    # Float sums differ in the last bits between BLAS kernels (CPUs); equal to SIM_DECIMALS is a tie.
    return np.round(sims, SIM_DECIMALS)


def _best_first(cache: _SearchCache, rows: np.ndarray, sims: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The n most similar rows, best first; a tie goes to the newer exchange, then the smaller id, so the
    evidence is the same on any machine and whatever order the rows came in."""
    order = np.lexsort((cache.ids[rows], -cache.ts_ms[rows], -_tie_key(sims)))[:n]
    return rows[order], sims[order]


class ExchangeIndex:
    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.config = settings.retrieval
        # The dataset's notion of a conversation: evidence never pairs a reply with last week's messages.
        self._gap = timedelta(hours=settings.dataset.conversation_gap_hours)
        self._embedder = embedder
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        self._folder = settings.index_dir
        self._cache_dir = settings.index_dir / CACHE_DIR
        self._client = chromadb.PersistentClient(
            path=str(settings.index_dir), settings=chromadb.Settings(anonymized_telemetry=False)
        )
        self._collection = self._open_collection()
        self._cache: _SearchCache | None = None

    # ---- store -------------------------------------------------------------------------------

    def _open_collection(self, name: str | None = None) -> chromadb.Collection:
        # Vectors come from our own Embedder: Chroma's default function would try to download a model.
        return self._client.get_or_create_collection(
            name or self.config.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.config.embedding_backend)
        return self._embedder

    def count(self) -> int:
        return self._collection.count()

    def reset(self) -> None:
        """Forget everything indexed (for `predraft index --rebuild`)."""
        shutil.rmtree(self._cache_dir, ignore_errors=True)
        self._cache = None
        self._client.delete_collection(self.config.collection)
        self._collection = self._open_collection()

    def _loaded_cache(self) -> _SearchCache:
        if self._cache is None:
            count = self.count()
            self._cache = _SearchCache.load(self._cache_dir, str(self._collection.id), count)
            if self._cache is None:
                self._cache = self._rebuild_cache(count)
        return self._cache

    def _rebuild_cache(self, count: int) -> _SearchCache:
        cache = _SearchCache.sorted_union([_SearchCache.from_records(*self._records(count))])
        cache.save(self._cache_dir, str(self._collection.id))
        return cache

    def _records(self, count: int) -> tuple[list[str], np.ndarray, list[dict]]:
        """Every exchange in Chroma: ids, vectors (n, dim) and metadata."""
        ids: list[str] = []
        vectors: list[np.ndarray] = []
        metadatas: list[dict] = []
        page = self._client.get_max_batch_size()
        for offset in range(0, count, page):
            got = self._collection.get(include=["embeddings", "metadatas"], limit=page, offset=offset)
            ids += got["ids"]
            vectors.append(np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1))
            metadatas += got["metadatas"]
        return ids, (np.concatenate(vectors) if vectors else np.zeros((0, 0), np.float32)), metadatas

    # ---- forgetting --------------------------------------------------------------------------

    def forget(self, excluded: Exclusions) -> int:
        """Remove the exchanges of the threads excluded contacts take part in, and their names from the
        others, leaving no copy of their text in the index folder; returns how many exchanges went.

        A record whose text changed gets an empty hash, so that the next `predraft index` embeds it again.
        """
        ids, vectors, metadatas = self._records(self.count())
        keep = [i for i, meta in enumerate(metadatas) if not excluded.involves(meta["thread_id"])]
        records = [_scrubbed(metadatas[i], excluded) for i in keep]
        if len(keep) == len(ids) and records == [metadatas[i] for i in keep]:
            return 0
        self._rewrite(_SearchCache.from_records([ids[i] for i in keep], vectors[keep], records), records)
        return len(ids) - len(keep)

    def _rewrite(self, kept: _SearchCache, metadatas: list[dict]) -> None:
        """Make `kept` (its vectors, with `metadatas`) the whole index, and leave nothing else on disk.

        Chroma keeps what it deletes in its write-ahead log and in the free pages of its SQLite file, and
        leaves a dropped collection's vector files behind (chroma-core/chroma#5259). So the records are
        copied into a new collection (nothing is embedded), the old one is dropped and its folders
        removed, and the file is vacuumed.
        """
        shutil.rmtree(self._cache_dir, ignore_errors=True)  # Chroma is about to change: no stale cache survives
        self._cache = None
        old_folders = [p for p in self._folder.iterdir() if p.is_dir() and _is_uuid(p.name)]
        staging = f"{self.config.collection}.rewrite"
        if staging in [c.name for c in self._client.list_collections()]:  # left by an interrupted rewrite
            self._client.delete_collection(staging)
        fresh = self._open_collection(staging)
        page = self._client.get_max_batch_size()
        for start in range(0, len(kept.ids), page):
            rows = slice(start, start + page)
            fresh.upsert(ids=kept.ids[rows].tolist(), embeddings=kept.vectors[rows], metadatas=metadatas[rows])
        self._client.delete_collection(self.config.collection)
        fresh.modify(name=self.config.collection)
        self._collection = fresh
        for folder in old_folders:
            shutil.rmtree(folder)
        with closing(sqlite3.connect(self._folder / "chroma.sqlite3")) as db:
            vacuum(db)
        self._cache = _SearchCache.sorted_union([kept])
        self._cache.save(self._cache_dir, str(self._collection.id))

    # ---- indexing ----------------------------------------------------------------------------

    def update(
        self, corpus: Corpus, policy: PrivacyPolicy, progress: Callable[[int, int], None] | None = None
    ) -> IndexReport:
        """Bring the index in line with the usable corpus: embed what is new or changed, drop what is gone.

        Exchanges of contacts excluded since the last run disappear here (drop-thread mode), or are
        rewritten with their words withheld (redact mode): both change what `usable_threads` yields.
        """
        if not corpus.threads():
            raise IndexError_(f"the corpus at {corpus.path} is empty: run `predraft ingest PATH` first")
        if corpus.me() is None:
            raise IndexError_("exchanges are built around your own replies, and no sender is marked as you: "
                              "run `predraft me` for suggestions, then `predraft me set NAME`")
        wanted = {
            e.id: e
            for thread, messages in usable_threads(corpus, policy)
            for e in exchanges_from_thread(thread, messages, self.config.context_messages, self._gap)
        }
        cache = self._loaded_cache()
        have = dict(zip(cache.ids.tolist(), cache.hashes.tolist(), strict=True))
        stale = [i for i in have if i not in wanted]
        todo = [e for i, e in wanted.items() if have.get(i) != _content_hash(e)]
        report = IndexReport(added=len(todo), total=len(wanted), skipped_unchanged=len(wanted) - len(todo),
                             removed=len(stale))
        if not (stale or todo):
            return report
        kept = cache.without(set(stale) | {e.id for e in todo})
        shutil.rmtree(self._cache_dir, ignore_errors=True)  # Chroma is about to change: no stale cache survives
        self._cache = None
        page = self._client.get_max_batch_size()
        for start in range(0, len(stale), page):
            self._collection.delete(ids=stale[start : start + page])
        added = [self._embed_and_store(chunk) for chunk in _chunks(todo, progress)]
        self._cache = _SearchCache.sorted_union([kept, *added])
        self._cache.save(self._cache_dir, str(self._collection.id))
        return report

    def _embed_and_store(self, exchanges: list[Exchange]) -> _SearchCache:
        vectors = self.embedder.embed([e.embedded_text for e in exchanges])
        metadatas = [_metadata(e) for e in exchanges]
        page = self._client.get_max_batch_size()
        for start in range(0, len(exchanges), page):
            end = start + page
            # No `documents`: context and reply are in the metadata, and Chroma would also index documents
            # for full-text search, which nothing here uses (~10% of the write time).
            self._collection.upsert(ids=[e.id for e in exchanges[start:end]], embeddings=vectors[start:end],
                                    metadatas=metadatas[start:end])
        return _SearchCache.from_records([e.id for e in exchanges], vectors, metadatas)

    # ---- searching ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        before: datetime | None = None,
        exclude_thread: tuple[int, datetime] | None = None,
        hidden_threads: Collection[int] = (),
    ) -> list[Evidence]:
        """The k most similar past exchanges, diverse (MMR) and without near-duplicate replies.

        `before`: only exchanges strictly earlier (an as-of view). `exclude_thread=(thread_id, t)`:
        leave out that thread's exchanges at or after t, the future of the conversation being drafted.
        `hidden_threads`: leave out these threads altogether.
        """
        return self.search_vector(self.embedder.embed([query])[0], k=k, before=before, exclude_thread=exclude_thread,
                                  hidden_threads=hidden_threads)

    def search_vector(
        self,
        vector: np.ndarray,
        *,
        k: int | None = None,
        before: datetime | None = None,
        exclude_thread: tuple[int, datetime] | None = None,
        hidden_threads: Collection[int] = (),
    ) -> list[Evidence]:
        """`search` for a query already embedded (the graph embeds each context once)."""
        k = k or self.config.top_k
        cache = self._loaded_cache()
        rows, sims = self._nearest_rows(cache, np.asarray(vector, dtype=np.float32), max(self.config.fetch_k, k),
                                        before, _Unseen(cache, exclude_thread, hidden_threads))
        ids = cache.ids[rows].tolist()
        if not ids:
            return []
        got = self._collection.get(ids=ids, include=["metadatas"])
        by_id = dict(zip(got["ids"], got["metadatas"], strict=True))
        chosen = mmr_select(query_sims=sims, vectors=np.asarray(cache.vectors[rows]),
                            replies=[by_id[i]["reply"] for i in ids], k=k, mmr_lambda=self.config.mmr_lambda)
        return [Evidence(_exchange(ids[i], by_id[ids[i]]), float(sims[i])) for i in chosen]

    def nearest(
        self,
        vector: np.ndarray,
        n: int,
        *,
        before: datetime | None = None,
        exclude_thread: tuple[int, datetime] | None = None,
    ) -> list[tuple[str, float]]:
        """The candidates `search` diversifies: up to n (exchange id, similarity), most similar first."""
        cache = self._loaded_cache()
        rows, sims = self._nearest_rows(cache, np.asarray(vector, dtype=np.float32), n, before,
                                        _Unseen(cache, exclude_thread))
        return list(zip(cache.ids[rows].tolist(), sims.tolist(), strict=True))

    def _nearest_rows(
        self, cache: _SearchCache, q: np.ndarray, n: int, before: datetime | None, unseen: _Unseen
    ) -> tuple[np.ndarray, np.ndarray]:
        if len(cache.ids) == 0:
            raise EmptyIndexError(f"the index at {self._cache_dir.parent} is empty: run `predraft index`")
        # Rows are sorted by time, so the as-of cut is a prefix: rows below `end` are before it.
        end = int(np.searchsorted(cache.ts_ms, _ms(before), "left")) if before else len(cache.ids)
        if end > self.config.exact_search_rows:
            found = self._from_graph(cache, q, n, end, unseen)
            if found is not None:
                return found
        return _scan(cache, q, n, end, unseen)

    def _from_graph(
        self, cache: _SearchCache, q: np.ndarray, n: int, end: int, unseen: _Unseen
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Candidates from Chroma's HNSW graph, over-fetched in proportion to what the as-of cut hides.

        None when too few pass the filters (a thread whose future fills the neighbourhood): then scan.
        """
        total = len(cache.ids)
        wanted = min(total, math.ceil(n * total / end * GRAPH_OVERFETCH))
        ids = self._collection.query(query_embeddings=[q], n_results=wanted, include=[])["ids"][0]
        rows = cache.rows_of(ids)
        rows = rows[(rows < end) & ~unseen.of(rows)]
        if len(rows) < min(n, end) and len(ids) < total:
            return None
        return _best_first(cache, rows, np.asarray(cache.vectors[rows]) @ q, n)

