"""The real clock. Only transports, the scheduler and the wiring read it; everything else is
handed a `Callable[[], datetime]`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def system_clock() -> datetime:
    return datetime.now(UTC)


class Clock:
    """The system's time moved by an offset: zero in production; the console's `:time` and
    the tests' `--start-time` move it. It runs at the normal speed from wherever it is set.

    The scheduler reads `offset` to turn the bot's 09:00 into the system's moment.
    """

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, moment: datetime) -> None:
        """From now on the clock reads `moment`, and goes on from there."""
        if moment.utcoffset() is None:
            raise ValueError(f"the moment must carry a time zone, got {moment!r}")
        self.offset = moment - datetime.now(UTC)
