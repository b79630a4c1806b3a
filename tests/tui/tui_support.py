"""What the TUI tests share besides fixtures and the demo world (tests/worlds/demo.py): `settle`."""

from __future__ import annotations


async def settle(pilot) -> None:
    """Wait until every worker (generation) has finished and its results are on screen."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
