"""When the reminders are evaluated: every day at 09:00 in `PARTNERBOT_TIMEZONE`, and once
at start-up (which sends what was missed while the bot was down).

APScheduler's `AsyncIOScheduler` keeps the time, in memory only: what was sent is known from
the "sent" marks in storage, never from a job store (re-adding a stored job with
`replace_existing=True` drops its missed runs: agronholm/apscheduler#696), so the start-up
evaluation is what catches up.

An evaluation that could not do everything (a room not found while the server is away, an
error) is run again `RETRY_AFTER` later, not only the next morning.

The bot's clock may run ahead of or behind the system's (the console's `:time`, the tests'
`--start-time`): `ShiftedTrigger` turns the bot's 09:00 into the system's moment that
APScheduler waits for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from chat.clock import Clock

log = logging.getLogger(__name__)

MISFIRE_GRACE = 3600  # seconds: a run delayed by a busy loop still runs within the hour
RETRY_AFTER = timedelta(minutes=5)


class ShiftedTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 has no types
    """`trigger`'s times as read on `clock`, given to APScheduler as the system's moments."""

    def __init__(self, trigger: BaseTrigger, clock: Clock) -> None:
        self.trigger = trigger
        self.clock = clock

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        # Shifted in UTC: a timedelta added to a time in a zone with summer time moves its
        # wall-clock time, an hour off the moment when the shift crosses a change.
        shift = self.clock.offset
        previous = None if previous_fire_time is None else _utc(previous_fire_time) + shift
        fire = self.trigger.get_next_fire_time(previous, _utc(now) + shift)
        return None if fire is None else (_utc(fire) - shift).astimezone(now.tzinfo)

    def __str__(self) -> str:
        return f"{self.trigger} shifted by {self.clock.offset}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class Schedule:
    """Runs `job` at 09:00 every day in `zone` (on `clock`) and once when started; again
    soon when it returns False (not all done) or fails."""

    def __init__(
        self,
        job: Callable[[], Awaitable[bool]],
        zone: ZoneInfo,
        clock: Clock,
        *,
        name: str = "reminders",
        hour: str = "9",
        minute: str = "0",
    ) -> None:
        """`hour`, `minute`: when it runs, as cron fields (the referrals' expiry runs every
        ten minutes: `hour="*", minute="*/10"`)."""
        self.job = job
        self.zone = zone
        self.clock = clock
        self.name = name
        self.hour = hour
        self.minute = minute
        self.followers: list[Schedule] = []  # moved with it (`moved`): other jobs' schedules
        self._scheduler: AsyncIOScheduler | None = None
        self._daily: Job | None = None

    def trigger(self) -> ShiftedTrigger:
        return ShiftedTrigger(
            CronTrigger(hour=self.hour, minute=self.minute, timezone=self.zone), self.clock
        )

    async def run(self) -> None:
        """A `Runner` service: the start-up evaluation, then the daily ones until cancelled."""
        scheduler = AsyncIOScheduler(timezone=self.zone, event_loop=asyncio.get_running_loop())
        self._daily = scheduler.add_job(
            self._evaluate,
            self.trigger(),
            id=self.name,
            name=f"{self.name} at {self.hour}:{self.minute}",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE,
        )
        scheduler.start()
        self._scheduler = scheduler
        try:
            await self._evaluate()
            await asyncio.Event().wait()  # until the runner stops its services
        finally:
            scheduler.shutdown(wait=False)
            self._scheduler = self._daily = None

    async def moved(self) -> None:
        """The clock was moved: evaluate at once and wait for the next 09:00 from there."""
        if self._daily is not None:
            self._daily.reschedule(self.trigger())
        await self._evaluate()
        for follower in self.followers:
            await follower.moved()

    async def _evaluate(self) -> None:
        try:
            done = await self.job()
        except Exception:
            log.exception("the %s failed; trying again in %s", self.name, RETRY_AFTER)
            done = False
        if not done and self._scheduler is not None:
            self._scheduler.add_job(
                self._evaluate,
                ShiftedTrigger(DateTrigger(self.clock() + RETRY_AFTER), self.clock),
                id=f"{self.name}-again",
                name=f"the {self.name} not all done",
                replace_existing=True,
                misfire_grace_time=MISFIRE_GRACE,
            )
