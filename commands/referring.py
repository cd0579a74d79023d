"""What /certify, /serve, /refer, /referrals and /report share: reading a partner's
expertise and the referrals, choosing the partners a referral may go to, offering it, and the
scheduled job that passes on the offers not answered in time (`Expiry`).

Not a command module (it has no SPEC): the commands import it, and the wiring (bot.py) runs
`Expiry` on a schedule and gives the health server `directory_of`.

The expiry goes out once across restarts as the reminders do: a referral's new state and the
messages that tell of it are committed together (`Runner.post`), and each message's id is
made from the referral and its offer, so a message re-sent after a crash is recognised by
the server. A command answering the same offer at the same moment conflicts with the
expiry's commit and is run again, and then sees the referral as it is.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from chat.base import ChatError, Outgoing
from commands.report import filed_months
from config import Settings
from engine.framework import Context
from i18n import _, money, speaking
from storage import Conflict, Store, Transaction
from workflows.compliance import overdue_reports
from workflows.onboarding import Partner, Status
from workflows.referrals import (
    OPEN,
    Candidate,
    Expertise,
    Referral,
    ReferralState,
    directory,
    is_due,
    pass_on,
)
from workflows.reminders import Audience
from workflows.reporting import local_day
from workflows.text import quote

log = logging.getLogger(__name__)

EXPERTISE = "expertise"
REFERRALS = "referrals"
SEQUENCES = "sequences"
PARTNERS = "partners"
EXPIRED_BY = "partnerbot"


class Reader(Protocol):
    async def get(self, collection: str, *key: str) -> dict[str, Any] | None: ...

    def scan(self, collection: str, owner: str | None = None) -> AsyncIterator[dict[str, Any]]: ...


async def expertise_of(reader: Reader, partner_id: str) -> Expertise:
    doc = await reader.get(EXPERTISE, partner_id)
    return Expertise(partner_id) if doc is None else Expertise.from_doc(doc)


async def next_number(tx: Transaction) -> int:
    """The next referral number: read and written in the transaction, so two managers
    referring at once conflict, and the second runs again and gets the next one."""
    doc = await tx.get(SEQUENCES, REFERRALS)
    number = 1 if doc is None else int(doc["last"]) + 1
    tx.put(SEQUENCES, {"name": REFERRALS, "last": number})
    return number


async def referral(reader: Reader, ident: str) -> Referral | None:
    doc = await reader.get(REFERRALS, ident)
    return None if doc is None else Referral.from_doc(doc)


async def all_referrals(reader: Reader) -> list[Referral]:
    found = [Referral.from_doc(doc) async for doc in reader.scan(REFERRALS)]
    return sorted(found, key=lambda r: r.number)


async def candidates(reader: Reader, settings: Settings, now: datetime) -> list[Candidate]:
    """Every active partner, as the matching sees it."""
    referrals = await all_referrals(reader)
    open_count = Counter(r.partner for r in referrals if r.state in OPEN)
    today = local_day(now, settings.timezone)
    found = []
    async for doc in reader.scan(PARTNERS):
        partner = Partner.from_doc(doc)
        if partner.status is not Status.ACTIVE:
            continue
        late = False
        if partner.signed is not None:
            filed = await filed_months(reader, partner.id)
            late = bool(overdue_reports(partner.signed, filed, today, settings.report_due_day))
        found.append(
            Candidate(partner, await expertise_of(reader, partner.id), open_count[partner.id], late)
        )
    return found


async def candidate(ctx: Context, partner: Partner) -> Candidate:
    """One partner as the matching sees it (a suspended one too, to be refused)."""
    for found in await candidates(ctx.tx, ctx.settings, ctx.now):
        if found.partner.id == partner.id:
            return found
    return Candidate(partner, await expertise_of(ctx.tx, partner.id), 0, False)


def store(tx: Transaction, changed: Referral, what: str) -> None:
    tx.put(REFERRALS, changed.to_doc(), what=f"referral {changed.id}: {what}")


async def directory_of(reader: Reader) -> list[dict[str, Any]]:
    """The active partners' public profiles (`workflows.referrals.directory`)."""
    partners = []
    async for doc in reader.scan(PARTNERS):
        partner = Partner.from_doc(doc)
        if partner.status is Status.ACTIVE:
            expertise = await reader.get(EXPERTISE, partner.id)
            partners.append((partner, None if expertise is None else Expertise.from_doc(expertise)))
    return directory(partners)


# The messages ------------------------------------------------------------------------------


def offer_text(referral: Referral, hours: int) -> str:
    """The offer as its partner reads it, in the language in force."""
    lines = [
        _(
            "Referral {id}: the vendor's team refers a client to you: {client} ({country}, "
            "in {language}), who needs {need}."
        ).format(
            id=referral.id,
            client=quote(referral.client),
            country=referral.country,
            language=referral.language,
            need=referral.need.value,
        )
    ]
    if referral.amount is not None:
        lines.append(_("Estimated amount: {amount}.").format(amount=money(referral.amount)))
    if referral.note:
        lines.append(_("Note: {note}").format(note=quote(referral.note)))
    lines.append(
        _(
            "Accept or decline within {hours} hours (`/referrals {id} accept` or "
            "`/referrals {id} decline`); then it goes to another partner."
        ).format(hours=hours, id=referral.id)
    )
    return "\n".join(lines)


def answer_buttons(bot: str, ident: str) -> tuple[dict[str, Any], ...]:
    """Accept/Decline buttons (as `program.approval_buttons`), in the language in force."""
    return (
        {
            "button_alignment": "horizontal",
            "actions": [
                {
                    "type": "button",
                    "text": _("Accept"),
                    "msg_in_chat_window": True,
                    "msg": f"@{bot} referrals {ident} accept",
                },
                {
                    "type": "button",
                    "text": _("Decline"),
                    "msg_in_chat_window": True,
                    "msg": f"@{bot} referrals {ident} decline",
                },
            ],
        },
    )


def offer_buttons(bot: str, ident: str, found: Sequence[Candidate]) -> tuple[dict[str, Any], ...]:
    """One button a matching partner: it sends `/refer R-12 offer <partner-id>`."""
    return (
        {
            "button_alignment": "vertical",
            "actions": [
                {
                    "type": "button",
                    "text": _("Offer to {company}").format(company=c.partner.company),
                    "msg_in_chat_window": True,
                    "msg": f"@{bot} refer {ident} offer {c.partner.id}",
                }
                for c in found
            ],
        },
    )


def passed_on_text(referral: Referral, outcome: str, company: str, to: str | None) -> str:
    """What the managers are told when an offer was declined (`outcome` "declined") or not
    answered in time ("expired"), and to whom it went (`to`: None when nobody matches)."""
    values = {"id": referral.id, "company": quote(company), "to": quote(to or "")}
    if outcome == "declined":
        if to is not None:
            return _("{company} declined referral {id}; it is now offered to {to}.").format(
                **values
            )
        return _(
            "{company} declined referral {id}, and no other partner matches: name one with "
            "`/refer {id} offer <partner-id>`."
        ).format(**values)
    if to is not None:
        return _(
            "{company} did not answer referral {id} in time; it is now offered to {to}."
        ).format(**values)
    return _(
        "{company} did not answer referral {id} in time, and no other partner matches: name "
        "one with `/refer {id} offer <partner-id>`."
    ).format(**values)


# Telling partners and managers from a command ----------------------------------------------


async def tell_partner(
    ctx: Context,
    partner: Partner,
    text: Callable[[], str],
    buttons: Callable[[], tuple[dict[str, Any], ...]] | None = None,
) -> None:
    """In the partner's workgroup (in its language), else in each contact's DM (in theirs),
    with the buttons made in the same language; not where the caller reads the reply."""
    rooms: list[tuple[str, str]]
    if partner.workgroup is not None:
        rooms = [(partner.workgroup, await ctx.languages.of_partner(partner))]
    else:
        rooms = [
            (await ctx.chat.direct_room(name), await ctx.languages.of_user(name))
            for name in partner.contacts
        ]
    for room, language in rooms:
        if room == ctx.reply_room:
            continue
        with speaking(language):
            ctx.send(room, text(), () if buttons is None else buttons())


# The expiry --------------------------------------------------------------------------------


class Rooms(Protocol):
    """Where an audience of a partner reads, with its language (`Reminders.rooms_of`)."""

    async def rooms_of(self, audience: Audience, partner: Partner) -> list[tuple[str, str]]: ...


Post = Callable[[Transaction, Sequence[Outgoing], datetime], Any]


class Expiry:
    """Passes on each offer not answered within `PARTNERBOT_REFERRAL_HOURS`: to the next
    matching partner, or, when none matches, leaves it expired; the managers are told."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime],
        rooms: Rooms,
        post: Post,
        bot: Callable[[], str],
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.rooms = rooms
        self.post = post
        self.bot = bot
        self._lock = asyncio.Lock()
        self.expired_total = 0

    async def run(self) -> bool:
        """Pass on every offer due now; False when one could not be (tried again soon)."""
        async with self._lock:
            done = True
            due = [
                r.id
                for r in await all_referrals(self.store)
                if is_due(r, self.clock(), self.settings.referral_hours)
            ]
            for ident in due:
                try:
                    await self._expire(ident)
                except (ChatError, Conflict) as err:
                    log.warning("referral %s: %r; trying again later", ident, str(err))
                    done = False
            return done

    async def _expire(self, ident: str) -> None:
        now = self.clock()
        tx = self.store.begin(actor=EXPIRED_BY, now=now)
        before = await referral(tx, ident)
        if before is None or not is_due(before, now, self.settings.referral_hours):
            return  # answered meanwhile
        found = await candidates(tx, self.settings, now)
        after = pass_on(before, "expired", found, now)
        partners = {c.partner.id: c.partner for c in found}
        old = await tx.get(PARTNERS, before.partner or "")
        assert old is not None  # a referral is offered to a stored partner
        was = Partner.from_doc(old)
        to = partners.get(after.partner or "") if after.state is ReferralState.OFFERED else None
        key = f"{ident}\x1f{len(before.offers)}"
        messages: list[Outgoing] = []
        hours = self.settings.referral_hours
        for room, language in await self.rooms.rooms_of(Audience.WORKGROUP, was):
            with speaking(language):
                text = _(
                    "Referral {id} was not answered within {hours} hours: it is no longer "
                    "offered to you."
                ).format(id=ident, hours=hours)
            messages.append(_message(key, "was", room, text))
        if to is not None:
            for room, language in await self.rooms.rooms_of(Audience.WORKGROUP, to):
                with speaking(language):
                    text, buttons = offer_text(after, hours), answer_buttons(self.bot(), ident)
                messages.append(_message(key, "to", room, text, buttons))
        for room, language in await self.rooms.rooms_of(Audience.MANAGER, was):
            with speaking(language):
                text = passed_on_text(
                    before, "expired", was.company, None if to is None else to.company
                )
            messages.append(_message(key, "managers", room, text))
        store(tx, after, f"not answered in time by {was.id}")
        await self.post(tx, messages, now)
        self.expired_total += 1
        log.info("referral %s expired for %s; now %s", ident, was.id, after.state)


def _message(
    key: str,
    who: str,
    room: str,
    text: str,
    attachments: tuple[Mapping[str, Any], ...] = (),
) -> Outgoing:
    """Its id is made from the referral, its offer and the room: the same after a crash."""
    digest = hashlib.sha256("\x1f".join((key, who, room)).encode()).hexdigest()
    return Outgoing(f"rf{digest[:22]}", room, text, None, attachments)
