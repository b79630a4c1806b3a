"""Read a GGUF file's header: scalar metadata and tensor shapes, without touching tensor data.

Used to check a file before llama.cpp sees it: llama.cpp (as bundled with llama-cpp-python 0.3.36)
logs "incorrect shape" for a LoRA made for another base model and then crashes the whole process
at the first decode, so a mismatch must be caught here. `gguf.GGUFReader` would do, but it builds
numpy views for every vocabulary string and needs ~30 s for the default model's 262k-token
vocabulary; this reader skips array contents and needs a fraction of a second.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from math import prod
from pathlib import Path

from gguf.constants import (
    GGML_QUANT_SIZES,
    GGUF_DEFAULT_ALIGNMENT,
    GGUF_MAGIC,
    GGMLQuantizationType,
    GGUFValueType,
)

_SCALAR_FORMATS = {
    GGUFValueType.UINT8: "<B",
    GGUFValueType.INT8: "<b",
    GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I",
    GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f",
    GGUFValueType.BOOL: "<?",
    GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q",
    GGUFValueType.FLOAT64: "<d",
}


class NotGGUF(ValueError):
    """The file is not a GGUF file, or its header is cut short."""


@dataclass(frozen=True)
class GGUFHeader:
    metadata: dict[str, object]  # scalars and strings; arrays (vocabularies ...) are skipped
    tensor_shapes: dict[str, tuple[int, ...]]  # in ggml order: ne[0] (the row length) first
    data_size: int  # bytes the header says the file holds: header, padding and all tensor data
    file_size: int

    @property
    def truncated(self) -> bool:
        return self.file_size < self.data_size


def read_header(path: Path) -> GGUFHeader:
    with path.open("rb") as fh:
        file_size = path.stat().st_size
        if file_size < 24:
            raise NotGGUF(f"{path} has {file_size} bytes, less than a GGUF header")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            try:
                return _parse(buf, file_size)
            except struct.error as exc:
                raise NotGGUF(f"{path}: the header ends early, the file is truncated") from exc
            except (ValueError, UnicodeDecodeError) as exc:
                raise NotGGUF(f"{path}: {exc}") from exc


def _parse(buf: mmap.mmap, file_size: int) -> GGUFHeader:
    reader = _Reader(buf)
    magic, version = reader.unpack("<II")
    if magic != GGUF_MAGIC:
        raise ValueError(f"not a GGUF file (it starts with {bytes(buf[:4])!r}, not b'GGUF')")
    if version < 2:
        raise ValueError(f"GGUF version {version} is too old")
    n_tensors, n_kv = reader.unpack("<QQ")
    metadata: dict[str, object] = {}
    for _ in range(n_kv):
        key = reader.string()
        value = reader.value(GGUFValueType(reader.unpack("<I")[0]))
        if value is not None:
            metadata[key] = value
    shapes: dict[str, tuple[int, ...]] = {}
    data_end = 0
    for _ in range(n_tensors):
        name = reader.string()
        (n_dims,) = reader.unpack("<I")
        dims = reader.unpack(f"<{n_dims}Q")
        kind, offset = reader.unpack("<IQ")
        block, block_bytes = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
        shapes[name] = dims
        data_end = max(data_end, offset + prod(dims) // block * block_bytes)
    alignment = int(metadata.get("general.alignment", GGUF_DEFAULT_ALIGNMENT))  # type: ignore[arg-type]
    data_start = -(-reader.pos // alignment) * alignment
    return GGUFHeader(metadata, shapes, data_start + data_end, file_size)


class _Reader:
    def __init__(self, buf: mmap.mmap):
        self.buf = buf
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def string(self) -> str:
        (length,) = self.unpack("<Q")
        end = self.pos + length
        if end > len(self.buf):
            raise ValueError("a string runs past the end of the file")
        text = self.buf[self.pos : end].decode("utf-8")
        self.pos = end
        return text

    def value(self, kind: GGUFValueType) -> object | None:
        """A scalar or string; arrays are skipped and give None."""
        if kind == GGUFValueType.STRING:
            return self.string()
        if kind != GGUFValueType.ARRAY:
            return self.unpack(_SCALAR_FORMATS[kind])[0]
        item_kind, count = self.unpack("<IQ")
        item_kind = GGUFValueType(item_kind)
        if item_kind in _SCALAR_FORMATS:
            self.pos += count * struct.calcsize(_SCALAR_FORMATS[item_kind])
        else:
            for _ in range(count):  # strings or nested arrays have no fixed size
                self.skip(item_kind)
        return None

    def skip(self, kind: GGUFValueType) -> None:
        if kind == GGUFValueType.STRING:
            (length,) = self.unpack("<Q")
            self.pos += length
        else:
            self.value(kind)
