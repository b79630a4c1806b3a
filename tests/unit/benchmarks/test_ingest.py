"""The ingest benchmark's own tools (benchmarks/ingest.py) on a small generated export."""

from __future__ import annotations

from benchmarks.ingest import TOOLS, generate


def test_ingest_and_the_sqlite_floor_store_every_generated_message(tmp_path):
    export = tmp_path / "WhatsApp Chat with Trail Runners.txt"
    generate(export, 3000)

    parsed, _ = TOOLS["predraft"](export)
    stored, ingest_clock = TOOLS["predraft-ingest"](export)
    copied, copy_clock = TOOLS["sqlite-copy"](export)
    assert parsed == stored == copied == 3000
    assert ingest_clock.cpu_seconds > copy_clock.cpu_seconds > 0
