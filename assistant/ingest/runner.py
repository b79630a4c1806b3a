"""Find sources under the given paths, parse each with its parser, store each atomically.

A source is a file, or a folder that one parser claims whole (a Slack export, say). Zips are
unpacked into a private temporary folder first. One bad source never stops the others.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.corpus.store import Corpus, CorpusError, ImportReport
from assistant.ingest.base import ParseError, Parser
from assistant.ingest.media import media_from_filename
from assistant.ingest.registry import all_parsers, detect, get_parser

FOLDER_THRESHOLD = 0.5  # a folder must be claimed confidently, else its files are looked at one by one
SKIP_NAMES = {".DS_Store", "Thumbs.db", "__MACOSX"}
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")  # chat.db-wal beside chat.db is part of that database


@runtime_checkable
class NamesContentFiles(Protocol):
    """A parser that reads only some files of what it claims (chat.db, not the Attachments/ beside it).
    Other sources are hashed whole."""

    def content_files(self, path: Path) -> list[Path]: ...


@dataclass
class IngestFailure:
    path: str
    message: str


@dataclass
class IngestResult:
    reports: list[ImportReport] = field(default_factory=list)
    failures: list[IngestFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def resolve_timezone(name: str) -> tzinfo:
    """'local' -> this machine's zone (TZ, then /etc/localtime), else an IANA name."""
    if name != "local":
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {name!r}; use an IANA name like 'Europe/Berlin'") from exc
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        candidates.append(str(localtime.resolve()).split("zoneinfo/")[-1])
    for candidate in candidates:
        try:
            if candidate:
                return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def content_files(path: Path, parser: Parser) -> list[Path]:
    """The files whose bytes make up a source: those its parser names, else the file, else the folder's."""
    if isinstance(parser, NamesContentFiles):
        return parser.content_files(path)
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


def sha256_of(path: Path, files: list[Path]) -> str:
    """Content hash of a source's files: their bytes, and for a folder their names too."""
    digest = hashlib.sha256()
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _safe_extract(archive: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                target = (into / member.filename).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise ParseError(archive, "a zip whose entries stay inside it", found=member.filename)
            zf.extractall(into)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ParseError(archive, "a readable zip archive", found=str(exc)) from exc
    return into


def _is_skipped(child: Path) -> bool:
    """Files and folders that are never sources: system clutter, and the sidecars of a database beside them."""
    if child.name in SKIP_NAMES or child.name.startswith("."):
        return True
    database = next((child.name.removesuffix(s) for s in SQLITE_SIDECARS if child.name.endswith(s)), None)
    return database is not None and (child.parent / database).is_file()


def _holds_other_exports(folder: Path, claimant: Parser) -> bool:
    """Whether a folder one parser claims whole also holds exports of another format (a WhatsApp chat
    beside a Discord JSON in one downloads folder): then it is a folder of sources, not one export."""
    for child in sorted(folder.iterdir()):
        if _is_skipped(child):
            continue
        other = detect(child, FOLDER_THRESHOLD)
        if other is not None and other.name != claimant.name:
            return True
    return False


def find_sources(
    path: Path, fmt: str, stack: ExitStack, display: str | None = None
) -> Iterator[tuple[Path, str, Parser | None]]:
    """Yield (path to parse, path to show the user, parser or None when nothing recognises it)."""
    display = display or str(path)
    if fmt != "auto":
        parser = get_parser(fmt)
        if path.is_file() and zipfile.is_zipfile(path) and parser.detect(path) < FOLDER_THRESHOLD:
            unpacked = _safe_extract(path, Path(stack.enter_context(tempfile.TemporaryDirectory())))
            yield unpacked, display, parser
        else:
            yield path, display, parser
        return
    if path.is_file() and zipfile.is_zipfile(path):
        if (parser := detect(path, FOLDER_THRESHOLD)) is not None:
            yield path, display, parser
            return
        unpacked = _safe_extract(path, Path(stack.enter_context(tempfile.TemporaryDirectory())))
        yield from find_sources(unpacked, fmt, stack, display)
        return
    if path.is_dir():
        if (parser := detect(path, FOLDER_THRESHOLD)) is not None and not _holds_other_exports(path, parser):
            yield path, display, parser
            return
        for child in sorted(path.iterdir()):
            if _is_skipped(child):
                continue
            if child.is_file() and media_from_filename(child.name) != "file":
                continue  # photos and voice notes beside an export are attachments, not sources
            yield from find_sources(child, fmt, stack, f"{display}/{child.name}")
        return
    yield path, display, detect(path)


def ingest_paths(
    corpus: Corpus,
    paths: list[Path],
    fmt: str = "auto",
    timezone: str = "local",
    on_source: Callable[[str], None] | None = None,
) -> IngestResult:
    """Import every source found under `paths`. Already-imported sources are skipped by content hash."""
    result = IngestResult()
    local_tz = resolve_timezone(timezone)
    all_parsers()
    for root in paths:
        if not root.exists():
            result.failures.append(IngestFailure(str(root), "no such file or folder"))
            continue
        with ExitStack() as stack:
            try:
                sources = list(find_sources(root, fmt, stack))
            except (ParseError, KeyError) as exc:
                result.failures.append(IngestFailure(str(root), str(exc).strip("'\"")))
                continue
            except OSError as exc:  # a folder it may not list (~/Library/Messages without Full Disk Access)
                result.failures.append(IngestFailure(str(root), f"cannot read {exc.filename or 'it'}: {exc.strerror}"))
                continue
            for path, display, parser in sources:
                if on_source:
                    on_source(display)
                if parser is None:
                    known = ", ".join(all_parsers())
                    result.failures.append(
                        IngestFailure(display, f"unknown format: expected a chat export ({known}); pass --format to force one")
                    )
                    continue
                try:
                    sha256 = sha256_of(path, content_files(path, parser))
                    report = corpus.import_events(display, sha256, parser.name, parser.parse(path), local_tz)
                except ParseError as exc:
                    # Name the file once; keep the inner path when the error is in a file of a folder source.
                    message = exc.detail if Path(exc.path) == path else str(exc)
                    result.failures.append(IngestFailure(display, message))
                    continue
                except CorpusError as exc:
                    result.failures.append(IngestFailure(display, str(exc)))
                    continue
                except Exception as exc:  # a parser bug must not lose the other files or show a traceback
                    result.failures.append(
                        IngestFailure(display, f"{parser.name} parser failed unexpectedly ({type(exc).__name__}: {exc}); "
                                      "nothing from this file was stored. Please report it with a redacted sample.")
                    )
                    continue
                result.reports.append(report)
    return result
