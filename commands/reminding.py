"""Reminders (SPEC §4), each sent once: the rules (`workflows.reminders`) say what is due at a
moment; this module reads what they need, keeps the "sent" marks and posts the messages.

One evaluation reads every partner. For an active one it reads the months it filed (one
document, the index /report keeps; its reports only for data from before a complete index),
then asks the rules what would be due if no review were recorded and no fee paid: a partner
with nothing possibly due costs no more reading. Otherwise it reads its reviews and fees,
when such a reminder is among them, and its sent marks, and keeps what is due and not
marked. A report never filed is overdue however old, so a partner that files nothing costs
the read of its sent marks at each evaluation.

What is kept is stored, its mark and its messages in the same commit (`Runner.post`), and
then delivered. A crash after the commit delivers the stored messages after the restart
(with the same ids, which the server recognises); a crash before it leaves no mark, so the
next evaluation (at start-up) sends the reminder, if it still applies. Nothing is sent
twice and nothing that still applies is lost.

Each message is written in its reader's language (`Languages`): a workgroup's in the
partner's, the managers' room's in `PARTNERBOT_LANGUAGE`, a DM in its user's. Only the words
depend on it: the sent marks and the message ids are the same in every language.

Not a command module (it has no SPEC): the wiring (bot.py) runs it on a schedule.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any

from chat.base import ChatActions, ChatError, Outgoing
from commands.report import filed_months
from config import Settings
from engine.audience import managers_room
from engine.framework import Languages, OneLanguage
from i18n import speaking
from storage import Store, Transaction
from workflows.compliance import fee_paid
from workflows.onboarding import Partner, State, Status
from workflows.reminders import (
    Audience,
    Kind,
    Reminder,
    digests,
    due,
    orphaned,
    orphans_notice,
)
from workflows.reporting import Month

log = logging.getLogger(__name__)

Post = Callable[[Transaction, Sequence[Outgoing], datetime], Awaitable[None]]

BATCH = 250  # reminders stored per commit
SENT = "sent"
REVIEW_KINDS = frozenset({Kind.REVIEW_SOON, Kind.REVIEW_DUE})
FEE_KINDS = frozenset({Kind.FEE_RENEWAL, Kind.FEE_UNPAID})
EVERYONE_IN_ENGLISH = OneLanguage()  # for callers with no users to ask (tests, tools)


class Reminders:
    """Sends what is due now and was not sent yet; one evaluation at a time."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime],
        chat: ChatActions,
        post: Post,
        languages: Languages = EVERYONE_IN_ENGLISH,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.chat = chat
        self.post = post
        self.languages = languages
        self._lock = asyncio.Lock()
        self.deferred = 0  # reminders the last evaluation could not send (no room found)
        self.sent_total = 0  # reminders and digests stored to go out, since start-up
        self._rooms: dict[str, str] = {}  # "@user" -> DM room id

    async def send_due(self) -> bool:
        """Store and send the reminders and digests due now and not sent; False when some
        could not be (their rooms were not found), to be tried again."""
        await self.evaluate()
        return self.deferred == 0

    async def evaluate(self) -> int:
        """Store and send the reminders and digests due now and not sent; how many."""
        async with self._lock:
            self.deferred = 0
            now = self.clock()
            log.debug("reminders: evaluating at %s", now.isoformat())
            batch, total = _Batch(now), 0
            waiting = []  # partners with a request waiting for a manager
            async for doc in self.store.scan("partners"):
                try:
                    partner = Partner.from_doc(doc)
                except ValueError as err:  # one bad document must not stop everyone's
                    log.error("reminders: skipping partner %r: %s", doc.get("id"), err)
                    continue
                if any(record.state is State.SUBMITTED for record in partner.steps.values()):
                    waiting.append(partner)
                for reminder in await self._due(partner, now):
                    messages = await self._messages(reminder, partner)
                    if messages:
                        batch.add(reminder.key, messages)
                if len(batch) >= BATCH:
                    total += await self._store(batch)
                    batch = _Batch(now)
                await asyncio.sleep(0)  # commands go on while 10,000 partners are read
            zone = self.settings.timezone
            for digest in digests(waiting, self.settings.managers, now, zone):
                if await self.store.get(SENT, *digest.key) is not None:
                    continue
                try:
                    room = await self._direct(digest.manager)
                    tag = await self.languages.of_user(digest.manager)
                except ChatError as err:
                    log.warning("digest for @%s: %r; trying again later", digest.manager, str(err))
                    self.deferred += 1
                    continue
                with speaking(tag):
                    text = digest.text
                batch.add(digest.key, [_message(digest.key, room, text)])
            total += await self._store(batch)
            self.sent_total += total
            if total:
                log.info("reminders: %d sent for %s", total, now.isoformat())
            return total

    async def _due(self, partner: Partner, now: datetime) -> list[Reminder]:
        """What is due for `partner` and not sent yet."""
        if partner.status is not Status.ACTIVE or partner.signed is None:
            return []
        zone, due_day = self.settings.timezone, self.settings.report_due_day
        filed = await filed_months(self.store, partner.id)

        def report_filed(_id: str, month: Month) -> bool:
            return month in filed

        # as if no review were recorded and no fee paid
        maybe = due([partner], report_filed, _no, now, zone, due_day)
        if not maybe:
            return []
        kinds = {reminder.kind for reminder in maybe}
        reviewed = await self._reviewed(partner) if kinds & REVIEW_KINDS else set()
        paid = await self._fee_years(partner) if kinds & FEE_KINDS else set()
        found = due(
            [partner],
            report_filed,
            lambda _id, day: day in reviewed,
            now,
            zone,
            due_day,
            lambda _id, year: fee_paid(partner, year, paid),
        )
        if not found:
            return []
        sent = {(doc["kind"], doc["period"]) async for doc in self.store.scan(SENT, partner.id)}
        return [reminder for reminder in found if (reminder.kind, reminder.period) not in sent]

    async def _reviewed(self, partner: Partner) -> set[date]:
        return {
            date.fromisoformat(doc["date"]) async for doc in self.store.scan("reviews", partner.id)
        }

    async def _fee_years(self, partner: Partner) -> set[int]:
        """The fee years recorded as paid with /fee."""
        return {int(doc["year"]) async for doc in self.store.scan("fees", partner.id)}

    async def _messages(self, reminder: Reminder, partner: Partner) -> list[Outgoing]:
        """The reminder's messages, one per room its audiences are in, each with its
        audience's text in the room's language. A room that cannot be found now leaves the
        reminder unsent (and unmarked), to go out at a later evaluation."""
        texts: dict[str, str] = {}  # room -> text; a room of two audiences gets the first's
        try:
            for audience, make in reminder.texts:
                for room, tag in await self._rooms_of(audience, partner):
                    if room not in texts:
                        with speaking(tag):
                            texts[room] = make()
        except ChatError as err:
            log.warning("%s for %s: %r; trying again later", reminder.kind, partner.id, str(err))
            self.deferred += 1
            return []
        return [_message(reminder.key, room, text) for room, text in texts.items()]

    async def rooms_of(self, audience: Audience, partner: Partner) -> list[tuple[str, str]]:
        """Where `audience` reads about `partner`, with each room's language (for other
        scheduled jobs: `commands.referring.Expiry`)."""
        return await self._rooms_of(audience, partner)

    async def _rooms_of(self, audience: Audience, partner: Partner) -> list[tuple[str, str]]:
        """The rooms `audience` reads in, each with its language: the workgroup in the
        partner's (a contact's DM, when there is no workgroup, in the contact's)."""
        if audience is Audience.WORKGROUP:
            if partner.workgroup is not None:
                return [(partner.workgroup, await self.languages.of_partner(partner))]
            return [await self._dm(name) for name in partner.contacts]
        return await self._managers_rooms(partner.manager_among(self.settings.managers))

    async def _managers_rooms(self, manager: str | None) -> list[tuple[str, str]]:
        """`PARTNERBOT_MANAGER_ROOM` (in `PARTNERBOT_LANGUAGE`), or else the DM of `manager`,
        or of every manager when there is none (the partner has none, or theirs is no longer
        a manager), each in its manager's language."""
        room = await managers_room(self.chat, self.settings)
        if room is not None:
            return [(room, self.languages.default)]
        managers = [manager] if manager else sorted(self.settings.managers)
        return [await self._dm(name) for name in managers]

    async def _dm(self, username: str) -> tuple[str, str]:
        """The user's DM room and language."""
        return await self._direct(username), await self.languages.of_user(username)

    async def announce_orphans(self) -> None:
        """At start-up: the partners whose account manager is no longer one, in the log and
        to the account managers (`PARTNERBOT_MANAGER_ROOM`, else each one's DM), once per
        start; their requests and reminders go to every manager meanwhile."""
        try:
            await self._announce_orphans()
        except Exception:  # a service's failure is not seen otherwise; the bot goes on
            log.exception("orphans: the start-up check failed")

    async def _announce_orphans(self) -> None:
        partners = []
        async for doc in self.store.scan("partners"):
            try:
                partners.append(Partner.from_doc(doc))
            except ValueError as err:
                log.error("orphans: skipping partner %r: %s", doc.get("id"), err)
        found = orphaned(partners, self.settings.managers)
        if not found:
            return
        log.warning(
            "%d partners have an account manager no longer in PARTNERBOT_MANAGERS: %s",
            len(found),
            ", ".join(f"{partner.id} (@{partner.manager})" for partner in found),
        )
        if not self.settings.managers:
            return
        now = self.clock()
        try:
            rooms = await self._managers_rooms(None)
        except ChatError as err:
            log.warning("orphans: cannot tell the account managers: %s", err)
            return
        key = ("@managers", "orphans", now.isoformat())  # once per start
        messages = []
        for room, tag in rooms:
            with speaking(tag):
                text = orphans_notice(found)
            assert text is not None  # some were found
            messages.append(_message(key, room, text))
        tx = self.store.begin(actor="partnerbot", now=now)
        await self.post(tx, messages, now)

    async def _direct(self, username: str) -> str:
        key = f"@{username.lower()}"
        if key not in self._rooms:
            self._rooms[key] = await self.chat.direct_room(username)
        return self._rooms[key]

    async def _store(self, batch: _Batch) -> int:
        """Store the batch's marks and messages in one commit; how many reminders."""
        if not batch.messages:
            return 0
        tx = self.store.begin(actor="partnerbot", now=batch.now)
        for partner, kind, period in batch.keys:
            mark = {"partner": partner, "kind": kind, "period": period, "at": batch.at}
            tx.put(SENT, mark)
        await self.post(tx, batch.messages, batch.now)  # the marks and the messages together
        return len(batch)


class _Batch:
    """Reminders to store in one commit: their marks and their messages."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.at = now.isoformat()
        self.keys: list[tuple[str, str, str]] = []
        self.messages: list[Outgoing] = []

    def add(self, key: tuple[str, str, str], messages: list[Outgoing]) -> None:
        self.keys.append(key)
        self.messages += messages

    def __len__(self) -> int:
        return len(self.keys)


def _message(key: tuple[str, str, str], room: str, text: str) -> Outgoing:
    """A reminder's message in `room`; its id is made from the reminder and the room, so a
    message resent after a crash is recognised by the server."""
    digest = hashlib.sha256("\x1f".join((*key, room)).encode()).hexdigest()
    return Outgoing(f"rm{digest[:22]}", room, text)


def _no(*_args: Any) -> bool:
    return False
