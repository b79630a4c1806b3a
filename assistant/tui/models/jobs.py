"""Closing the model and databases only once no worker thread still uses them."""

from __future__ import annotations

import threading
from collections.abc import Callable


class JobTracker:
    """Counts running generation jobs. `shutdown` closes at once if none runs, else when the last one ends.

    A worker may outlive its screen by a token or two (it stops at its next cancel check), and
    closing the model under it would crash that thread instead of letting it finish cleanly.
    """

    def __init__(self, close: Callable[[], None]):
        self._close = close
        self._lock = threading.Lock()
        self._running = 0
        self.closing = False

    def started(self) -> None:
        with self._lock:
            self._running += 1

    def ended(self) -> None:
        with self._lock:
            self._running -= 1
            if self.closing and self._running == 0:
                self._close()

    def shutdown(self) -> None:
        with self._lock:
            self.closing = True
            if self._running == 0:
                self._close()
