"""The schedule: 09:00 in the configured zone on the bot's clock (which may be moved), once
at start-up, and at once when the clock is moved."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from chat.clock import Clock
from engine.schedule import RETRY_AFTER, Schedule, ShiftedTrigger

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def next_nine(zone: ZoneInfo, offset: timedelta, system_now: datetime) -> datetime:
    """The system's moment of the bot's next 09:00, for a bot clock `offset` ahead."""
    trigger = ShiftedTrigger(CronTrigger(hour=9, minute=0, timezone=zone), Clock(offset))
    fire = trigger.get_next_fire_time(None, system_now)
    assert fire is not None
    return fire


def test_without_an_offset_it_is_09_00_local() -> None:
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # London goes to summer time on the 29th
    assert next_nine(LONDON, timedelta(0), now) == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    now = datetime(2026, 10, 31, 14, 0, tzinfo=UTC)  # New York goes back on 2026-11-01
    assert next_nine(NEW_YORK, timedelta(0), now) == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


def test_a_clock_moved_ahead_fires_at_its_own_09_00() -> None:
    system = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    bot = datetime(2026, 12, 1, 8, 59, 50, tzinfo=UTC)
    offset = bot - system
    fire = next_nine(ZoneInfo("UTC"), offset, system)
    assert fire == system + timedelta(seconds=10)
    assert fire + offset == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("system", "bot"),
    [  # London: the system's date in summer time, the bot's in winter time; and back
        (datetime(2029, 3, 26, 12, 0, tzinfo=UTC), datetime(2026, 12, 1, 8, 59, 50, tzinfo=LONDON)),
        (datetime(2026, 12, 2, 12, 0, tzinfo=UTC), datetime(2027, 6, 1, 8, 59, 50, tzinfo=LONDON)),
    ],
)
def test_a_clock_moved_across_summer_time_fires_at_its_own_09_00(
    system: datetime, bot: datetime
) -> None:
    offset = bot - system
    trigger = ShiftedTrigger(CronTrigger(hour=9, minute=0, timezone=LONDON), Clock(offset))
    fire = trigger.get_next_fire_time(None, system.astimezone(LONDON))  # as APScheduler asks
    assert fire is not None
    assert fire == system + timedelta(seconds=10)
    following = trigger.get_next_fire_time(fire, fire)
    assert following is not None
    assert (following.astimezone(UTC) + offset).astimezone(LONDON) == bot.replace(
        day=bot.day + 1, hour=9, minute=0, second=0
    )


def test_the_next_day_follows_the_previous_fire_time() -> None:
    offset = timedelta(days=-400, seconds=17)
    trigger = ShiftedTrigger(CronTrigger(hour=9, minute=0, timezone=LONDON), Clock(offset))
    system = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, system)
    assert first is not None
    second = trigger.get_next_fire_time(first, first)
    assert second is not None and second - first == timedelta(days=1)


async def test_it_runs_at_start_up_at_09_00_and_when_the_clock_is_moved() -> None:
    clock = Clock()
    clock.set(datetime(2026, 12, 1, 8, 59, 59, 700_000, tzinfo=LONDON))
    runs: list[datetime] = []
    ran = asyncio.Event()

    async def job() -> bool:
        runs.append(clock())
        ran.set()
        return True

    schedule = Schedule(job, LONDON, clock)
    service = asyncio.create_task(schedule.run())
    await asyncio.wait_for(ran.wait(), 5)
    ran.clear()
    assert runs[0].astimezone(LONDON).hour == 8  # at start-up
    await asyncio.wait_for(ran.wait(), 5)  # the bot's 09:00, 0.3 s later on the system's
    assert runs[1].astimezone(LONDON) >= datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)
    ran.clear()
    clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=LONDON))
    await schedule.moved()
    assert len(runs) == 3 and runs[2].date().isoformat() == "2026-12-07"
    service.cancel()
    await asyncio.gather(service, return_exceptions=True)
    assert len(runs) == 3


@pytest.mark.parametrize("outcome", ["fails", "not all done"])
async def test_a_run_not_done_is_tried_again_soon(outcome: str) -> None:
    calls = 0

    async def job() -> bool:
        nonlocal calls
        calls += 1
        if outcome == "fails":
            raise RuntimeError("boom")
        return False

    schedule = Schedule(job, LONDON, Clock())
    service = asyncio.create_task(schedule.run())
    await asyncio.sleep(0)
    assert calls == 1
    assert schedule._scheduler is not None
    again = schedule._scheduler.get_job("reminders-again")
    wait = again.next_run_time - datetime.now(UTC)
    assert RETRY_AFTER - timedelta(seconds=5) < wait <= RETRY_AFTER
    service.cancel()
    await asyncio.gather(service, return_exceptions=True)
