"""`watch` in a process of its own, for test_watch_with_review.py: graphs.predraft.watch follows the export
with the scripted model and the words embedder (tests/worlds/watching.py).

Usage: python -m tests.integration.graphs.watch_process DATA_DIR EXPORT SECONDS. Prints "ready" once the
export is indexed, then one JSON line per thread update, and stops after SECONDS.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from assistant.config import load_settings
from assistant.offline import enforce_offline
from graphs.predraft.watch import refresh, watch_exports
from tests.worlds.watching import scripted_chain


def main(data_dir: str, export: str, seconds: str) -> None:
    enforce_offline()
    stop = threading.Event()
    with scripted_chain(load_settings(Path(data_dir))) as chain:
        refresh(chain, [Path(export)], predraft=False)
        print("ready", flush=True)
        threading.Timer(float(seconds), stop.set).start()
        for result in watch_exports(chain, [Path(export)], stop=stop):
            for update in result.updates:
                view = update.view
                print(json.dumps({"outcome": update.outcome, "note": update.note,
                                  "chain_id": view.chain_id if view else None, "step": view.step if view else None}),
                      flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
