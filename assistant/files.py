"""Writing files so that a crash or Ctrl+C mid-write never leaves half a file.

Every file a user would miss (their config, an edit in progress, a run's status, a cache that a
later command trusts) is written to a temp file in the same folder, flushed to disk, and renamed over
the old one: `os.replace` is atomic, so readers see the old version or the new one, nothing between.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> Path:
    """Write `text` to a temp file beside `path`, flush it to disk, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
