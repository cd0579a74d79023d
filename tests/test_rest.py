"""`Rest`'s rate-limit waits, with an injected clock and sleep: nothing here waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chat.rest import MAX_RATE_LIMIT_WAIT, Credentials, RateLimited, Rest
from tests.fakes import Clock

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class Sleeps:
    """Records each wait and moves the clock by it, as a real sleep would."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)


def rest_at(clock: Clock) -> tuple[Rest, Sleeps]:
    sleeps = Sleeps(clock)
    return Rest("http://chat.example", Credentials(), clock, sleep=sleeps), sleeps


def reset_in(clock: Clock, delta: timedelta) -> float:
    """An `X-RateLimit-Reset` (epoch ms) `delta` from the bot's now, as the server sends it."""
    return (clock() + delta).timestamp() * 1000


async def test_a_reset_far_ahead_is_waited_out_for_at_most_the_cap() -> None:
    """A server whose clock is 430 days ahead of the bot's announces a reset 430 days out:
    the bot waits a minute and tries again, and goes on that way while it is refused."""
    clock = Clock(NOW)
    rest, sleeps = rest_at(clock)
    far = reset_in(clock, timedelta(days=430))
    answers: list[Exception | None] = [RateLimited(far), RateLimited(far), None]

    async def attempt() -> str:
        answer = answers.pop(0)
        if answer is not None:
            raise answer
        return "sent"

    assert await rest._retrying("chat_send_message", attempt) == "sent"
    assert sleeps.waits == [60.0, 60.0]
    assert clock() == NOW + timedelta(minutes=2)
    assert rest.rate_limited == 2


async def test_other_calls_of_the_route_are_held_back_no_longer_than_the_cap() -> None:
    clock = Clock(NOW)
    rest, sleeps = rest_at(clock)

    async def refused() -> None:
        raise RateLimited(reset_in(clock, timedelta(days=3650)))

    async def sent() -> str:
        return "sent"

    answers = [refused, sent]
    assert await rest._retrying("dm_history", lambda: answers.pop(0)()) == "sent"
    assert await rest._retrying("dm_history", sent) == "sent"  # the route is open again
    assert sleeps.waits == [60.0]


@pytest.mark.parametrize(
    ("reset", "wait"),
    [
        (timedelta(seconds=7), 7.0),  # the server's own reset, when it is near
        (timedelta(days=430), MAX_RATE_LIMIT_WAIT),  # a server clock far ahead
        (timedelta(days=-430), 0.05),  # a server clock far behind: a short pause
        (None, 1.0),  # no header
    ],
)
def test_wait_for(reset: timedelta | None, wait: float) -> None:
    clock = Clock(NOW)
    rest, _ = rest_at(clock)
    assert rest.wait_for(None if reset is None else reset_in(clock, reset)) == pytest.approx(wait)
