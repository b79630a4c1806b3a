"""All parsers behind one registry: `--format NAME` looks them up, auto-detection asks each."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from assistant.config import IngestSettings
from assistant.ingest import parsers as _parsers_pkg
from assistant.ingest.base import Parser

_REGISTRY: dict[str, Parser] = {}


def register(cls: type[Parser]) -> type[Parser]:
    """Class decorator: each module in assistant/ingest/parsers registers its parser."""
    _REGISTRY[cls.name] = cls()
    return cls


@cache
def _import_every_parser() -> None:
    # Once, even when some parser module was imported directly first: the registry is then not empty
    # but not yet complete.
    for mod in pkgutil.iter_modules(_parsers_pkg.__path__):
        importlib.import_module(f"{_parsers_pkg.__name__}.{mod.name}")


def all_parsers() -> dict[str, Parser]:
    _import_every_parser()
    return dict(sorted(_REGISTRY.items()))


def get_parser(name: str) -> Parser:
    parsers = all_parsers()
    if name not in parsers:
        raise KeyError(f"unknown format {name!r}; known formats: {', '.join(parsers)}")
    return parsers[name]


def apply_ingest_settings(settings: IngestSettings) -> None:
    """Give the parsers the user's settings that they read; every import from files (`predraft ingest`,
    `predraft watch`) calls this first, so both read an export the same way."""
    get_parser("whatsapp").date_order = settings.whatsapp_date_order


def detect(path: Path, threshold: float = 0.2) -> Parser | None:
    """The most confident parser for `path`, if any is at least `threshold` sure."""
    scored = [(p.detect(path), p) for p in all_parsers().values()]
    score, best = max(scored, key=lambda s: s[0], default=(0.0, None))
    return best if score >= threshold else None
