"""The quarterly summary (issue 15): on the first working day after a quarter closes, at
the reminders' hour, the managers' room gets the program's `/stats` and each active
partner's workgroup its own; each once, across restarts.

It runs with the reminders (`in_turn` puts it on their schedule: at start-up, which catches
up a summary missed while the bot was down, and daily at 09:00). Once works as for the
reminders: each summary's mark (`stats_posts`, keyed by quarter and audience) and its
message are stored in one commit (`Runner.post`, the outbox), and the outbox delivers the
message after a crash. The chart is uploaded right after that commit: it cannot be in the
outbox (an upload is not idempotent, `ChatActions.upload`), so a crash between the commit
and the upload loses that one picture, never sends the message twice; the message has
every number the picture shows.

The first evaluation also sums the data stored before the aggregates existed, once
(`figures.rebuild`).

Not a command module (it has no SPEC): the wiring (bot.py) runs it on a schedule.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from chat.base import ChatActions, ChatError, Outgoing
from commands import figures
from commands.stats import partner_summary, program_summary, upload_chart
from config import Settings
from engine.audience import managers_room
from engine.framework import Languages, OneLanguage, Refused
from i18n import speaking
from storage import Store, Transaction
from workflows.charts import Chart
from workflows.onboarding import Partner, Status
from workflows.reporting import local_day
from workflows.stats import Quarter, last_closed, summary_day

log = logging.getLogger(__name__)

Post = Callable[[Transaction, Sequence[Outgoing], datetime], Awaitable[None]]
POSTS = "stats_posts"
MANAGERS = "@managers"  # the audience of the program's summary


def in_turn(*jobs: Callable[[], Awaitable[bool]]) -> Callable[[], Awaitable[bool]]:
    """One scheduled job that runs `jobs` one after the other (each even if one before it
    failed); done when all are."""

    async def run() -> bool:
        done = True
        for job in jobs:
            try:
                done = await job() and done
            except Exception:
                log.exception("a scheduled job failed; trying again soon")
                done = False
        return done

    return run


class QuarterlySummary:
    """Posts the last closed quarter's summaries that are due and not posted yet."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime],
        chat: ChatActions,
        post: Post,
        languages: Languages | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.chat = chat
        self.post = post
        self.languages = languages if languages is not None else OneLanguage()
        self._lock = asyncio.Lock()
        self.posted = 0  # summaries posted since start-up

    async def send_due(self) -> bool:
        """Post what is due; False when something could not be (tried again soon)."""
        async with self._lock:
            now = self.clock()
            await figures.rebuild(self.store, now)
            today = local_day(now, self.settings.timezone)
            quarter = last_closed(today)
            if today < summary_day(quarter):
                return True
            done = await self._managers(quarter, now)
            async for doc in self.store.scan("partners"):
                try:
                    partner = Partner.from_doc(doc)
                except ValueError as err:
                    log.error("quarterly summary: skipping partner %r: %s", doc.get("id"), err)
                    continue
                done = await self._partner(partner, quarter, now) and done
            return done

    async def _managers(self, quarter: Quarter, now: datetime) -> bool:
        if not self.settings.managers or await self._posted(quarter, MANAGERS):
            return True
        try:
            rooms = await self._managers_rooms()
        except ChatError as err:
            log.warning("quarterly summary for the managers: %s; trying again later", err)
            return False
        with speaking(self.languages.default):
            try:
                text, chart = await program_summary(self.store, quarter, now, self.settings)
            except Refused:  # nobody signed before the quarter's end: nothing to sum up
                return True
        await self._send(quarter, MANAGERS, rooms, text, now)
        for room in rooms:
            await self._upload(room, f"stats-{quarter}.png", chart)
        return True

    async def _partner(self, partner: Partner, quarter: Quarter, now: datetime) -> bool:
        if (
            partner.status is not Status.ACTIVE
            or partner.workgroup is None
            or partner.signed is None
            or Quarter.containing(partner.signed) > quarter
            or await self._posted(quarter, partner.id)
        ):
            return True
        with speaking(await self.languages.of_partner(partner)):
            today = local_day(now, self.settings.timezone)
            text, chart = await partner_summary(self.store, partner, quarter, today)
        await self._send(quarter, partner.id, [partner.workgroup], text, now)
        await self._upload(partner.workgroup, f"stats-{partner.id}-{quarter}.png", chart)
        await asyncio.sleep(0)  # commands go on while 10,000 summaries are made
        return True

    async def _posted(self, quarter: Quarter, audience: str) -> bool:
        return await self.store.get(POSTS, str(quarter), audience) is not None

    async def _send(
        self, quarter: Quarter, audience: str, rooms: Sequence[str], text: str, now: datetime
    ) -> None:
        """The mark and the messages, in one commit."""
        tx = self.store.begin(actor="partnerbot", now=now)
        tx.put(POSTS, {"quarter": str(quarter), "audience": audience, "at": now.isoformat()})
        await self.post(tx, [_message(quarter, audience, room, text) for room in rooms], now)
        self.posted += 1

    async def _upload(self, room: str, filename: str, chart: Chart) -> None:
        try:
            await upload_chart(self.chat, room, filename, chart)
        except Refused as err:  # the message is out; the picture is lost, not retried
            log.warning("quarterly summary: the chart for %s was not uploaded: %s", room, err)

    async def _managers_rooms(self) -> list[str]:
        """`PARTNERBOT_MANAGER_ROOM`, or else each manager's DM."""
        room = await managers_room(self.chat, self.settings)
        if room is not None:
            return [room]
        return [await self.chat.direct_room(name) for name in sorted(self.settings.managers)]


def _message(quarter: Quarter, audience: str, room: str, text: str) -> Outgoing:
    """The summary's message; its id is made from the quarter, audience and room, so a
    message resent after a crash is recognised by the server."""
    digest = hashlib.sha256("\x1f".join(("stats", str(quarter), audience, room)).encode())
    return Outgoing(f"qs{digest.hexdigest()[:22]}", room, text)
