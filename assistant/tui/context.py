"""What every screen is given besides its data: the settings, a clock and the display timezone.

Plain data, no Textual: the app factories build it, the screens and the tests read it. The clock and
the timezone are parameters so that tests pin them and relative ages ("3d") and "Today" separators
render the same on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from assistant.config import Settings

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class UIContext:
    settings: Settings
    clock: Clock
    tz: tzinfo

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()


def display_timezone(settings: Settings) -> tzinfo:
    """Times show in the zone the exports were read in (ingest.timezone), unless a message states its own."""
    name = settings.ingest.timezone
    return (datetime.now().astimezone().tzinfo or UTC) if name == "local" else ZoneInfo(name)


def ui_context(settings: Settings, clock: Clock | None = None, tz: tzinfo | None = None) -> UIContext:
    """The real clock and the settings' zone unless given."""
    return UIContext(settings, clock or (lambda: datetime.now(UTC)), tz or display_timezone(settings))
