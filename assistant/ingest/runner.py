"""Find sources under the given paths, parse each with its parser, store each atomically.

A source is a file, or a folder that one parser claims whole (a Slack export, say). Zips are
unpacked into a private temporary folder first. One bad source never stops the others; a corpus
that cannot be written (locked by another predraft, damaged, its disk full) stops the run, as
every later source would fail the same way.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.corpus.importing import DateOrderRead
from assistant.corpus.models import Event
from assistant.corpus.store import ChatHistory, Corpus, CorpusError, ImportReport
from assistant.databases import DatabaseFileError
from assistant.ingest.base import DATED_LINE, ParseError, Parser, read_head
from assistant.ingest.media import media_from_filename
from assistant.ingest.registry import all_parsers, detect, get_parser

FOLDER_THRESHOLD = 0.5  # a folder must be claimed confidently, else its files are looked at one by one
SKIP_NAMES = {".DS_Store", "Thumbs.db", "__MACOSX"}
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")  # chat.db-wal beside chat.db is part of that database
ZIP_MAGIC = b"PK\x03\x04"  # a zip's first member header
ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError)  # what zipfile raises on cut or corrupt data
# No parser reads text wider than UTF-8: such a file would fail on a line of NUL-riddled characters.
# UTF-32 first: its little-endian mark starts with UTF-16's.
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
             (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


@runtime_checkable
class NamesContentFiles(Protocol):
    """A parser that reads only some files of what it claims (chat.db, not the Attachments/ beside it).
    Other sources are hashed whole."""

    def content_files(self, path: Path) -> list[Path]: ...


@runtime_checkable
class ReadsWithHistory(Protocol):
    """A parser that reads a file as the corpus says earlier files of its chat were read (WhatsApp: the day/month
    order of dates that read both ways, and the key of a chat its file does not name)."""

    def parse_with_history(self, path: Path, history: ChatHistory) -> Iterator[Event | DateOrderRead]: ...


@dataclass
class Source:
    path: Path  # what the parser reads (an unpacked zip's folder, say)
    display: str  # what the user named, for messages
    parser: Parser | None  # None: no parser recognises it
    problem: str | None = None  # why it cannot be read at all, found before parsing


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


def fingerprint(path: Path, files: list[Path]) -> tuple[str, int]:
    """Content hash of a source's files (their bytes, and for a folder their names too), and their lines."""
    digest = hashlib.sha256()
    lines = 0
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


def is_chat_log(path: Path) -> bool:
    """A plain file that starts like a chat log line ("8/21/21, 11:06 PM - ..."): one where a message takes
    a line or two, so that many lines and few messages mean lines the parser did not understand."""
    if not path.is_file() or zipfile.is_zipfile(path):
        return False
    first = read_head(path, 512).decode("utf-8", errors="replace").lstrip().split("\n", 1)[0]
    return DATED_LINE.match(first) is not None


def wide_encoding(head: bytes) -> str | None:
    """"UTF-16" or "UTF-32" for text that starts with their byte-order mark, "UTF-16" for text without one
    whose every other byte is NUL (what ASCII, dates included, looks like in it); else None."""
    for bom, encoding in WIDE_BOMS:
        if head.startswith(bom):
            return encoding
    evens, odds = head[:64:2], head[1:64:2]
    for chars, zeros in ((evens, odds), (odds, evens)):  # little-endian, big-endian
        if len(zeros) >= 4 and 0 not in chars and not zeros.strip(b"\0"):
            return "UTF-16"
    return None


def _file_problem(path: Path) -> str | None:
    """Why a file cannot be imported whatever its format, found before any parser reads it; None when none is."""
    if path.stat().st_size == 0:  # it would be stored as an empty source, and pass any other empty file as imported
        return "the file is empty: nothing to import"
    if encoding := wide_encoding(read_head(path, 64)):
        return f"the file is {encoding} text, which predraft does not read; export it again or convert it to UTF-8"
    damage = _zip_damage(path)
    return str(damage) if damage else None


class DamagedZip(Exception):
    """A zip cut short or corrupt; the message says where, as far as zipfile tells."""

    def __str__(self) -> str:
        return f"the zip is damaged: {self.args[0]}; download or export it again"


def _zip_damage(path: Path) -> DamagedZip | None:
    """Why a file that starts like a zip cannot be opened as one, or None when it can (or is no zip)."""
    if read_head(path, len(ZIP_MAGIC)) != ZIP_MAGIC:
        return None
    if not zipfile.is_zipfile(path):
        return DamagedZip(f"it stops at byte {path.stat().st_size:,} without the table of contents a zip ends with")
    try:
        zipfile.ZipFile(path).close()
    except ZIP_DAMAGE as exc:
        return DamagedZip(f"its table of contents is unreadable ({exc})")
    return None


def _safe_extract(archive: Path, into: Path) -> Path:
    """Unpack a zip member by member, so that a damaged member can be named."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            for member in members:
                target = (into / member.filename).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise ParseError(archive, "a zip whose entries stay inside it", found=member.filename)
            for member in members:
                try:
                    zf.extract(member, into)
                except ZIP_DAMAGE as exc:
                    # zipfile does not say where in the member the data goes bad, only where the member starts.
                    raise DamagedZip(f"member {member.filename!r}, which starts at byte {member.header_offset:,}, "
                                     f"does not unpack ({exc})") from exc
                except (RuntimeError, NotImplementedError) as exc:  # a password, a compression zipfile lacks
                    raise ParseError(archive, "a zip without a password, compressed as zip tools usually do",
                                     location=f"member {member.filename!r}") from exc
    except ZIP_DAMAGE as exc:
        raise DamagedZip(f"its table of contents is unreadable ({exc})") from exc
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


def find_sources(path: Path, fmt: str, stack: ExitStack, display: str | None = None) -> Iterator[Source]:
    """Every source under `path`, with the parser that reads it (None when nothing recognises it)."""
    display = display or str(path)
    if path.is_file() and (problem := _file_problem(path)):
        yield Source(path, display, None, problem)
        return
    try:
        yield from _sources(path, fmt, stack, display)
    except DamagedZip as exc:
        yield Source(path, display, None, str(exc))
    except ParseError as exc:  # a zip predraft will not unpack: an entry outside it, a password
        yield Source(path, display, None, exc.detail)


def _sources(path: Path, fmt: str, stack: ExitStack, display: str) -> Iterator[Source]:
    if fmt != "auto":
        parser = get_parser(fmt)
        if path.is_file() and zipfile.is_zipfile(path) and parser.detect(path) < FOLDER_THRESHOLD:
            unpacked = _safe_extract(path, Path(stack.enter_context(tempfile.TemporaryDirectory())))
            yield Source(unpacked, display, parser)
        else:
            yield Source(path, display, parser)
        return
    if path.is_file() and zipfile.is_zipfile(path):
        if (parser := detect(path, FOLDER_THRESHOLD)) is not None:
            yield Source(path, display, parser)
            return
        unpacked = _safe_extract(path, Path(stack.enter_context(tempfile.TemporaryDirectory())))
        yield from find_sources(unpacked, fmt, stack, display)
        return
    if path.is_dir():
        if (parser := detect(path, FOLDER_THRESHOLD)) is not None and not _holds_other_exports(path, parser):
            yield Source(path, display, parser)
            return
        for child in sorted(path.iterdir()):
            if _is_skipped(child):
                continue
            if child.is_file() and media_from_filename(child.name) != "file":
                continue  # photos and voice notes beside an export are attachments, not sources
            if child.is_file() and child.stat().st_size == 0:
                continue  # an empty note in a folder holds nothing to lose; named alone, it is refused
            yield from find_sources(child, fmt, stack, f"{display}/{child.name}")
        return
    yield Source(path, display, detect(path))


class Unreadable(Exception):
    """A source no parser will read; the message says why."""


class StopIngest(Exception):
    """A failure every later source would meet too (the corpus cannot be written): the run ends there."""


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
    try:
        for root in paths:
            _ingest_root(corpus, root, fmt, local_tz, on_source, result)
    except StopIngest:
        pass
    return result


def _ingest_root(corpus: Corpus, root: Path, fmt: str, local_tz: tzinfo, on_source: Callable[[str], None] | None,
                 result: IngestResult) -> None:
    if not root.exists():
        result.failures.append(IngestFailure(str(root), "no such file or folder"))
        return
    with ExitStack() as stack:
        try:
            sources = list(find_sources(root, fmt, stack))
        except KeyError as exc:  # an unknown --format
            result.failures.append(IngestFailure(str(root), str(exc).strip("'\"")))
            return
        except OSError as exc:  # a folder it may not list (~/Library/Messages without Full Disk Access)
            problem = ("no space left on the disk to unpack it" if exc.errno == errno.ENOSPC
                       else f"cannot read {exc.filename or 'it'}: {exc.strerror}")
            result.failures.append(IngestFailure(str(root), problem))
            return
        if not sources:  # an empty folder or zip, or one of photos only: saying nothing would pass for success
            result.failures.append(IngestFailure(str(root), _nothing_found()))
        for source in sources:
            if on_source:
                on_source(source.display)
            try:
                result.reports.append(_store(corpus, source, local_tz))
            except Exception as exc:  # one bad source must not lose the others, nor show a traceback
                result.failures.append(IngestFailure(source.display, explain_failure(exc, source)))
                if isinstance(exc, DatabaseFileError):
                    raise StopIngest from exc


def _nothing_found() -> str:
    return (f"no exports found in it: predraft looks for chat exports ({', '.join(all_parsers())}; "
            "`predraft formats` says which files), and passes over photos, videos, audio and hidden files")


def _store(corpus: Corpus, source: Source, local_tz: tzinfo) -> ImportReport:
    if source.problem:
        raise Unreadable(source.problem)
    if source.parser is None:
        known = ", ".join(all_parsers())
        raise Unreadable(f"unknown format: expected a chat export ({known}); pass --format to force one")
    parser = source.parser
    sha256, lines = fingerprint(source.path, content_files(source.path, parser))
    events = (parser.parse_with_history(source.path, corpus.history(parser.name, parser.platform))
              if isinstance(parser, ReadsWithHistory) else parser.parse(source.path))
    return corpus.import_events(source.display, sha256, parser.name, events, local_tz,
                                lines=lines if is_chat_log(source.path) else None)


def explain_failure(exc: Exception, source: Source) -> str:
    """A failed source's error, worded so that the user knows what to do; the transaction has rolled back."""
    if isinstance(exc, Unreadable | CorpusError):
        return str(exc)
    if isinstance(exc, ParseError):
        if isinstance(exc.__cause__, ZIP_DAMAGE) and zipfile.is_zipfile(source.path):
            return str(DamagedZip(str(exc.__cause__)))
        # Name the file once; keep the inner path when the error is in a file of a folder source.
        return exc.detail if Path(exc.path) == source.path else str(exc)
    if isinstance(exc, DatabaseFileError):  # the corpus itself: locked, damaged, full
        return f"{exc}; nothing of {source.display} was stored"
    if isinstance(exc, ZIP_DAMAGE):  # a parser that reads zips itself
        return str(DamagedZip(str(exc)))
    name = source.parser.name if source.parser else "the"
    return (f"{name} parser failed unexpectedly ({type(exc).__name__}: {exc}); "
            "nothing from this file was stored. Please report it with a redacted sample.")

