"""The unused room of Chroma's HNSW vector file is zeroed (assistant/erase.py): hnswlib writes it to disk
as the process left it, so freed message text could otherwise be read from the index folder."""

from __future__ import annotations

from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from assistant.erase import HNSW_HEADER, clear_hnsw_spare_room

pytestmark = pytest.mark.slow

MARKER = b"quillfeather marmoset "


def _client(folder: Path) -> chromadb.ClientAPI:
    return chromadb.PersistentClient(path=str(folder), settings=chromadb.Settings(anonymized_telemetry=False))


def _new_collection(folder: Path) -> tuple[chromadb.Collection, np.ndarray]:
    """A collection just made, with three vectors of 1,000 added: Chroma's first save of its HNSW files
    writes hnswlib's whole allocation (room for 100) with no element in it yet (they stay in its log)."""
    collection = _client(folder).create_collection("spare-room", embedding_function=None,
                                                   metadata={"hnsw:space": "cosine"})
    vectors = np.random.default_rng(7).random((1000, 32), dtype=np.float32)
    collection.add(ids=["0", "1", "2"], embeddings=vectors[:3])
    return collection, vectors


def test_the_room_past_the_elements_is_zeroed_and_the_index_still_answers(tmp_path: Path):
    collection, vectors = _new_collection(tmp_path)
    [data] = tmp_path.glob("*/data_level0.bin")
    with data.open("r+b") as fh:  # what freed process memory looks like when it lands there
        fh.write(MARKER * (data.stat().st_size // len(MARKER)))
    collection.add(ids=[str(i) for i in range(3, 1000)], embeddings=vectors[3:])  # saved again: 1,000 elements
    _version, _offset, capacity, elements, element_size = HNSW_HEADER.unpack(
        data.with_name("header.bin").read_bytes()[: HNSW_HEADER.size])
    assert elements == 1000 and capacity > elements
    used = data.read_bytes()[: elements * element_size]
    with data.open("ab") as fh:  # the room of a full save at this size
        fh.write(MARKER * ((capacity - elements) * element_size // len(MARKER)))
    assert MARKER in data.read_bytes()[elements * element_size :]

    cleared = clear_hnsw_spare_room(tmp_path)

    assert cleared == data.stat().st_size - elements * element_size > 0
    assert data.read_bytes() == used + bytes(cleared)
    SharedSystemClient.clear_system_cache()  # a fresh client, reading the files again
    found = _client(tmp_path).get_collection("spare-room").query(query_embeddings=vectors[:5], n_results=1)
    assert [ids[0] for ids in found["ids"]] == ["0", "1", "2", "3", "4"]


def test_a_new_collections_empty_allocation_is_zeroed(tmp_path: Path):
    _new_collection(tmp_path)
    [data] = tmp_path.glob("*/data_level0.bin")
    assert clear_hnsw_spare_room(tmp_path) == data.stat().st_size > 0
    assert not any(data.read_bytes())


def test_files_of_another_layout_are_left_alone(tmp_path: Path):
    segment = tmp_path / "segment"
    segment.mkdir()
    (segment / "header.bin").write_bytes(HNSW_HEADER.pack(1, 0, 10, 20, 4))  # more elements than room
    (segment / "data_level0.bin").write_bytes(MARKER)
    assert clear_hnsw_spare_room(tmp_path) == 0
    assert (segment / "data_level0.bin").read_bytes() == MARKER
