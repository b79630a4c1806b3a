"""Read JSON exports that can run to hundreds of MB: stream them with ijson, one array element at a time.

Every way a JSON file can be bad (truncated, not JSON, a field of the wrong type) ends as a ParseError
that names the file, where in it, and what was expected there.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from assistant.ingest.base import ParseError

BOM = b"\xef\xbb\xbf"
_OPENERS = ("start_map", "start_array")
_CLOSERS = ("end_map", "end_array")


class _CountingReader:
    """Counts the bytes handed to ijson, so an error can say how far into the file it was found."""

    def __init__(self, fh: BinaryIO):
        self.fh = fh
        self.offset = fh.tell()  # past a byte-order mark, if one was skipped

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.offset += len(data)
        return data


def _reason(exc: Exception) -> str:
    """The first line of ijson's message ('parse error: premature EOF'), without yajl's ASCII art."""
    message = exc.args[0] if exc.args else str(exc)
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message).strip().splitlines()[0] if str(message).strip() else type(exc).__name__


def json_items(path: Path, items: Collection[str], where: Callable[[], str]) -> Iterator[tuple[str, str, Any]]:
    """ijson's (prefix, event, value) events of `path`, except that each whole value found at one of the
    `items` prefixes (say "messages.item") arrives built, as (prefix, "item", value).

    Only one such value is in memory at a time. `where` describes the reader's position for errors
    ("chat 42, after message 1234"). A byte-order mark at the start is skipped.
    """
    reader: _CountingReader | None = None
    try:
        with path.open("rb") as fh:
            if fh.read(len(BOM)) != BOM:
                fh.seek(0)
            reader = _CountingReader(fh)
            yield from _build_items(ijson.parse(reader, use_float=True), items)
    except ijson.JSONError as exc:
        at = f"byte {reader.offset}" if reader else "start"
        raise ParseError(path, "complete, well-formed JSON", location=f"{where()}, {at}", found=_reason(exc)) from exc
    except OSError as exc:
        raise ParseError(path, "a readable file", found=str(exc)) from exc


def _build_items(events: Iterator[tuple[str, str, Any]], items: Collection[str]) -> Iterator[tuple[str, str, Any]]:
    """The loop every event of a big file goes through, kept flat: it runs twice as fast as
    ijson.ObjectBuilder's method call per event."""
    stack: list[Any] = []  # containers of the item being built, innermost last
    key = item_prefix = ""
    root: Any = None
    for prefix, event, value in events:
        if not stack:
            if prefix not in items or event in _CLOSERS or event == "map_key":
                yield prefix, event, value
            elif event in _OPENERS:
                root = {} if event == "start_map" else []
                stack.append(root)
                item_prefix = prefix
            else:  # a scalar item is complete already
                yield prefix, "item", value
            continue
        top = stack[-1]
        if event == "map_key":
            key = value
        elif event in _CLOSERS:
            stack.pop()
            if not stack:
                yield item_prefix, "item", root
        else:
            new = {} if event == "start_map" else [] if event == "start_array" else value
            if type(top) is dict:
                top[key] = new
            else:
                top.append(new)
            if event in _OPENERS:
                stack.append(new)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


@dataclass(frozen=True, slots=True)
class Record:
    """One JSON object of an export, with typed getters: a value of the wrong type is a ParseError saying
    which file, which item and which field, instead of a TypeError deep inside a parser."""

    data: dict[str, Any]
    path: Path
    location: str

    @classmethod
    def of(cls, value: Any, path: Path, location: str, what: str = "a JSON object") -> Record:
        if not isinstance(value, dict):
            raise ParseError(path, what, location=location, found=_type_name(value))
        return cls(value, path, location)

    def _wrong(self, key: str, expected: str) -> ParseError:
        return ParseError(self.path, f'"{key}" to be {expected}', location=self.location,
                          found=_type_name(self.data[key]))

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self._wrong(key, "text")

    def ident(self, key: str) -> str | None:
        """An id written as a number or as text, as text."""
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise self._wrong(key, "an id (a number or text)")

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        raise self._wrong(key, "a number")

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        raise self._wrong(key, "true or false")

    def values(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        raise self._wrong(key, "a list")

    def record(self, key: str) -> Record | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dict):
            return Record(value, self.path, f"{self.location}, {key}")
        raise self._wrong(key, "an object")

    def records(self, key: str) -> list[Record]:
        return [Record.of(v, self.path, f"{self.location}, {key}[{i}]") for i, v in enumerate(self.values(key))]
