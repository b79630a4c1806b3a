"""The exchange index: Chroma is the store of record, a numpy cache answers the filters.

Chroma keeps every exchange (vector and metadata) on disk. Its metadata filters are slow, and
every query here is filtered (the as-of cut, the current thread's future), so a cache beside it
holds the vectors as one float32 matrix sorted by time, with the timestamps and thread ids. The
as-of cut is then a prefix of the matrix. Up to `exact_search_rows` rows before the cut, a query
is one exact matrix-vector product over that prefix; beyond, Chroma's HNSW graph proposes ids
(its fast part), and the cache filters them and scores them exactly. docs/retrieval.md has the
measurements.

Processes share the index (`watch` updates it while `review` searches it). Every change holds the
index lock (assistant/locks.py): Chroma is not safe with two processes writing it. Readers follow
the generation a change leaves behind (search_cache.py): a new one makes them drop their cache and
open Chroma again, whose graph a process otherwise keeps as it first read it. A missing cache is
rebuilt from Chroma.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import chromadb
import numpy as np
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.errors import ChromaError

from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.erase import clear_hnsw_spare_room, vacuum
from assistant.errors import PredraftError
from assistant.locks import BusyError, holding
from assistant.privacy import Exclusions, PrivacyPolicy, usable_threads
from assistant.retrieval.embed import Embedder, load_embedder
from assistant.retrieval.exchanges import Evidence, Exchange, exchanges_from_thread
from assistant.retrieval.search import mmr_select
from assistant.retrieval.search_cache import (
    SearchCache,
    Unseen,
    best_first,
    epoch_ms,
    publish,
    read_generation,
    scan,
    start_generation,
)

UPDATING = "updating the index"  # what another process is doing while it holds the index lock
WRITE_WAIT_S = 10.0  # a second writer waits this long for the first, then says another process is at it
GRAPH_OVERFETCH = 2.0  # HNSW candidates fetched per candidate wanted, beyond what the as-of cut predicts
EMBED_CHUNK = 2048  # exchanges embedded and written per step: the unit of progress and of resumption


class IndexError_(PredraftError):
    """The index cannot do what was asked (missing prerequisites, corrupt files), worded for the user."""


class EmptyIndexError(IndexError_):
    """A search on an index with nothing in it."""


class IndexDamagedError(IndexError_):
    """The index's files cannot be read; `predraft index --rebuild` builds it anew."""


@dataclass
class IndexReport:
    added: int  # exchanges embedded in this run: new, or changed since (an edit, a new redaction)
    total: int
    skipped_unchanged: int
    removed: int = 0  # exchanges gone from the usable corpus (a contact excluded, say)


def _content_hash(e: Exchange) -> str:
    # Every stored field: a redaction that changes only the title still rewrites the record.
    raw = "\x1f".join([e.thread_title, e.contact, e.platform, str(epoch_ms(e.timestamp)), e.context, e.reply, e.answer])
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def _metadata(e: Exchange) -> dict[str, str | int]:
    return {"thread_id": e.thread_id, "thread_title": e.thread_title, "contact": e.contact, "platform": e.platform,
            "ts_ms": epoch_ms(e.timestamp), "year": e.year, "context": e.context, "reply": e.reply,
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


def index_lock(settings: Settings) -> Path:
    return settings.locks_dir / "index.lock"


def discard_index(settings: Settings) -> None:
    """Delete the index folder, readable or damaged, so that the next update builds it anew (`predraft index
    --rebuild`). Deleted rather than moved aside: a copy would keep exchanges that `predraft consent exclude`
    no longer reaches."""
    with holding(index_lock(settings), UPDATING, WRITE_WAIT_S):
        shutil.rmtree(settings.index_dir, ignore_errors=True)
    SharedSystemClient.clear_system_cache()  # a client still open in this process must not serve the old files


class ExchangeIndex:
    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.config = settings.retrieval
        # The dataset's notion of a conversation: evidence never pairs a reply with last week's messages.
        self._gap = timedelta(hours=settings.dataset.conversation_gap_hours)
        self._embedder = embedder
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        self._folder = settings.index_dir
        self._lock = index_lock(settings)
        self._writing = False  # this process holds the index lock
        self._open()
        self._generation: str | None = None  # of the cache below, and of the Chroma state this process read
        self._cache: SearchCache | None = None

    # ---- store -------------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            self._client = chromadb.PersistentClient(
                path=str(self._folder), settings=chromadb.Settings(anonymized_telemetry=False)
            )
            self._collection = self._open_collection()
        except ChromaError as exc:
            # Chroma keeps a System that failed to start in its per-path cache and would hand it to the next
            # client of this process (`--rebuild` after the failure, say).
            SharedSystemClient.clear_system_cache()
            raise IndexDamagedError(f"the index {self._folder / 'chroma.sqlite3'} cannot be read ({exc}): "
                                    "`predraft index --rebuild` repairs it (it embeds every exchange again)") from exc

    def _open_collection(self, name: str | None = None) -> chromadb.Collection:
        # Vectors come from our own Embedder: Chroma's default function would try to download a model.
        return self._client.get_or_create_collection(
            name or self.config.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def close(self) -> None:
        self._client.close()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.config.embedding_backend)
        return self._embedder

    def count(self) -> int:
        self._sync()
        return self._collection.count()

    def _sync(self) -> None:
        """Catch up with what other processes changed since this one last looked (a new generation)."""
        generation = read_generation(self._folder)
        if generation == self._generation:
            return
        if self._generation is not None:  # read before: the collection may be gone, the graph is stale
            self._client.close()
            self._open()
        self._generation, self._cache = generation, None

    def _loaded_cache(self) -> SearchCache:
        self._sync()
        if self._cache is None:
            count, collection_id = self._collection.count(), str(self._collection.id)
            self._cache = SearchCache.load(self._folder, self._generation, collection_id, count)
            if self._cache is None:
                self._cache = SearchCache.sorted_union([SearchCache.from_records(*self._records(count))])
                self._keep(self._cache, collection_id)
        return self._cache

    def _keep(self, cache: SearchCache, collection_id: str) -> None:
        """Store a cache rebuilt from Chroma for the next process, but never while another process writes:
        this one may have read half of its changes, and it stores its own cache when it is done."""
        if self._writing:
            cache.save(self._folder, self._generation, collection_id)
            return
        try:
            with holding(self._lock, UPDATING, wait_s=0):
                if read_generation(self._folder) == self._generation:
                    cache.save(self._folder, self._generation, collection_id)
        except BusyError:
            pass

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the index lock while Chroma is changed: it is not safe with two processes writing it."""
        with holding(self._lock, UPDATING, WRITE_WAIT_S):
            self._writing = True
            try:
                yield
            finally:
                self._writing = False

    def _changing(self) -> None:
        """Chroma is about to change: a generation without a cache, so that a crash before `_changed` leaves
        no cache anyone trusts; readers elsewhere drop theirs at their next search."""
        self._generation, self._cache = start_generation(self._folder), None

    def _changed(self, cache: SearchCache) -> None:
        """Chroma was changed (under the index lock): its vector files lose the freed process memory it wrote
        with them, then the new generation is published."""
        clear_hnsw_spare_room(self._folder)
        self._generation = publish(self._folder, cache, str(self._collection.id))
        self._cache = cache

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
        with self._exclusive():
            ids, vectors, metadatas = self._records(self.count())
            keep = [i for i, meta in enumerate(metadatas) if not excluded.involves(meta["thread_id"])]
            records = [_scrubbed(metadatas[i], excluded) for i in keep]
            if len(keep) == len(ids) and records == [metadatas[i] for i in keep]:
                return 0
            self._rewrite(SearchCache.from_records([ids[i] for i in keep], vectors[keep], records), records)
        return len(ids) - len(keep)

    def _rewrite(self, kept: SearchCache, metadatas: list[dict]) -> None:
        """Make `kept` (its vectors, with `metadatas`) the whole index, and leave nothing else on disk.

        Chroma keeps what it deletes in its write-ahead log and in the free pages of its SQLite file, and
        leaves a dropped collection's vector files behind (chroma-core/chroma#5259). So the records are
        copied into a new collection (nothing is embedded), the old one is dropped and its folders
        removed, and the file is vacuumed.
        """
        self._changing()
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
        self._changed(SearchCache.sorted_union([kept]))

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
        with self._exclusive():
            cache = self._loaded_cache()
            have = dict(zip(cache.ids.tolist(), cache.hashes.tolist(), strict=True))
            stale = [i for i in have if i not in wanted]
            todo = [e for i, e in wanted.items() if have.get(i) != _content_hash(e)]
            report = IndexReport(added=len(todo), total=len(wanted), skipped_unchanged=len(wanted) - len(todo),
                                 removed=len(stale))
            if not (stale or todo):
                return report
            kept = cache.without(set(stale) | {e.id for e in todo})
            self._changing()
            page = self._client.get_max_batch_size()
            for start in range(0, len(stale), page):
                self._collection.delete(ids=stale[start : start + page])
            added = [self._embed_and_store(chunk) for chunk in _chunks(todo, progress)]
            self._changed(SearchCache.sorted_union([kept, *added]))
        return report

    def _embed_and_store(self, exchanges: list[Exchange]) -> SearchCache:
        vectors = self.embedder.embed([e.embedded_text for e in exchanges])
        metadatas = [_metadata(e) for e in exchanges]
        page = self._client.get_max_batch_size()
        for start in range(0, len(exchanges), page):
            end = start + page
            # No `documents`: context and reply are in the metadata, and Chroma would also index documents
            # for full-text search, which nothing here uses (~10% of the write time).
            self._collection.upsert(ids=[e.id for e in exchanges[start:end]], embeddings=vectors[start:end],
                                    metadatas=metadatas[start:end])
        return SearchCache.from_records([e.id for e in exchanges], vectors, metadatas)

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
                                        before, Unseen(cache, exclude_thread, hidden_threads))
        ids = cache.ids[rows].tolist()
        if not ids:
            return []
        got = self._collection.get(ids=ids, include=["metadatas"])
        by_id = dict(zip(got["ids"], got["metadatas"], strict=True))
        found = [j for j, i in enumerate(ids) if i in by_id]  # another process may have removed some since
        rows, sims, ids = rows[found], sims[found], [ids[j] for j in found]
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
                                        Unseen(cache, exclude_thread))
        return list(zip(cache.ids[rows].tolist(), sims.tolist(), strict=True))

    def _nearest_rows(
        self, cache: SearchCache, q: np.ndarray, n: int, before: datetime | None, unseen: Unseen
    ) -> tuple[np.ndarray, np.ndarray]:
        if len(cache.ids) == 0:
            raise EmptyIndexError(f"the index at {self._folder} is empty: run `predraft index`")
        # Rows are sorted by time, so the as-of cut is a prefix: rows below `end` are before it.
        end = int(np.searchsorted(cache.ts_ms, epoch_ms(before), "left")) if before else len(cache.ids)
        if end > self.config.exact_search_rows:
            found = self._from_graph(cache, q, n, end, unseen)
            if found is not None:
                return found
        return scan(cache, q, n, end, unseen)

    def _from_graph(
        self, cache: SearchCache, q: np.ndarray, n: int, end: int, unseen: Unseen
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
        return best_first(cache, rows, np.asarray(cache.vectors[rows]) @ q, n)

