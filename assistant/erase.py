"""Rows deleted or rewritten so that no copy of their old text stays in the file.

SQLite leaves a deleted or overwritten row's bytes in the file's free pages (unless it was built with
secure_delete on, as some Linux distributions build it, but not Chroma's own), and in the write-ahead
log until a checkpoint: after `predraft consent exclude`, a search of the data dir must not find them.
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

# The start of Chroma's hnswlib header.bin: int32 format version, then size_t offset_level0, max_elements,
# cur_element_count, size_data_per_element (little-endian, as the index is written on every platform Chroma ships).
HNSW_HEADER = struct.Struct("<iQQQQ")


def vacuum(db: sqlite3.Connection) -> None:
    """Rewrite the database without its free pages, then move the write-ahead log into it and empty it.
    `db` must have no transaction open."""
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def clear_hnsw_spare_room(index_folder: Path) -> int:
    """Zero the unused room of every HNSW vector file under `index_folder`; returns the bytes cleared.

    hnswlib allocates room for more elements than it holds, and a full save (Chroma's first, when a
    collection is made) writes all of it: the room past the elements was never written by hnswlib, so it
    holds whatever the process had freed there before, message text included (each element's own bytes
    are zeroed before use). Later saves write the elements and leave that room as it was, and Chroma
    saves whenever it persists, so this runs after every write predraft makes.
    A file whose header does not describe it (another format) is left as it is.
    """
    cleared = 0
    for vectors in index_folder.glob("*/data_level0.bin"):
        header = vectors.with_name("header.bin")
        if not header.exists() or header.stat().st_size < HNSW_HEADER.size:
            continue
        _version, _offset, capacity, elements, element_size = HNSW_HEADER.unpack(
            header.read_bytes()[: HNSW_HEADER.size])
        size, used = vectors.stat().st_size, elements * element_size
        if elements > capacity or size < used:
            continue
        with vectors.open("r+b") as fh:
            fh.seek(used)
            fh.write(bytes(size - used))
        cleared += size - used
    return cleared
