"""The real clock. Only transports, the scheduler and the wiring read it; everything else is
handed a `Callable[[], datetime]`."""

from __future__ import annotations

from datetime import UTC, datetime


def system_clock() -> datetime:
    return datetime.now(UTC)
