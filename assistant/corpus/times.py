"""Export times to what the corpus stores: UTC milliseconds and the writer's UTC offset in minutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from itertools import repeat
from operator import attrgetter, floordiv, itemgetter, sub

HOUR_MS = 3_600_000
EPOCH = datetime(1970, 1, 1)  # naive: a local time minus this is its local milliseconds
ONE_MS = timedelta(milliseconds=1)
MEMO_HOURS = 4096  # hours remembered; exports come in time order, so the recent ones are the ones asked for
TZINFO, FOLD, MICROSECOND = attrgetter("tzinfo"), attrgetter("fold"), attrgetter("microsecond")


def to_utc_ms(ts: datetime, local_tz: tzinfo) -> tuple[int, int]:
    """UTC milliseconds, plus the offset of the wall-clock time the export wrote, in minutes.

    Exports without offsets (WhatsApp, Signal) are read in `ingest.timezone`; storing the offset that
    zone had then keeps the writer's local day for prompt headers and transcripts.
    """
    aware = ts.replace(tzinfo=local_tz) if ts.tzinfo is None or ts.utcoffset() is None else ts
    return int(aware.timestamp() * 1000), int(aware.utcoffset().total_seconds() // 60)


class SteadyHours(dict):
    """Hour (local milliseconds // HOUR_MS) -> the zone's offset through that hour, in ms and in minutes,
    or None when it changes within the hour.

    An hour whose offset is the same at its start and at the next hour's start keeps it throughout:
    zones change offset at most once an hour (months apart, in fact). A naive local time in such an
    hour is then `local ms - offset`, exactly what `to_utc_ms` gives for a time in whole seconds.
    """

    def __init__(self, local_tz: tzinfo):
        super().__init__()
        self.local_tz = local_tz
        self.starts: dict[int, tuple[int, int]] = {}  # hour -> `to_utc_ms` of its first second

    def __missing__(self, hour: int) -> tuple[int, int] | None:
        utc_ms, offset_min = self._start(hour)
        steady = self._start(hour + 1)[0] == utc_ms + HOUR_MS
        self[hour] = value = (hour * HOUR_MS - utc_ms, offset_min) if steady else None
        return value

    def _start(self, hour: int) -> tuple[int, int]:
        start = self.starts.get(hour)
        if start is None:
            start = self.starts[hour] = to_utc_ms(EPOCH + timedelta(hours=hour), self.local_tz)
        return start

    def clear(self) -> None:
        super().clear()
        self.starts.clear()


class UtcColumns:
    """`to_utc_ms` over a column of times, at C level (`map`) for naive times in whole seconds."""

    def __init__(self, local_tz: tzinfo):
        self.local_tz = local_tz
        self.hours = SteadyHours(local_tz)

    def __call__(self, stamps: Sequence[datetime]) -> tuple[Sequence[int], Sequence[int]]:
        """UTC milliseconds and offsets in minutes, one each per time."""
        if any(map(TZINFO, stamps)) or any(map(FOLD, stamps)) or any(map(MICROSECOND, stamps)):
            # Aware times may give one instant with different offsets; fold=1 and microseconds are
            # `to_utc_ms`'s own business (its float rounding, say): each goes through it.
            ms, offsets = zip(*map(to_utc_ms, stamps, repeat(self.local_tz)))
            return ms, offsets
        local_ms = list(map(floordiv, map(sub, stamps, repeat(EPOCH)), repeat(ONE_MS)))
        if len(self.hours) > MEMO_HOURS:
            self.hours.clear()
        hours = list(map(self.hours.__getitem__, map(floordiv, local_ms, repeat(HOUR_MS))))
        if None in hours:  # an hour in which the clocks change: its times one by one
            ms, offsets = zip(*(to_utc_ms(ts, self.local_tz) if hour is None else (local - hour[0], hour[1])
                                for ts, hour, local in zip(stamps, hours, local_ms)))
            return ms, offsets
        return list(map(sub, local_ms, map(itemgetter(0), hours))), list(map(itemgetter(1), hours))
