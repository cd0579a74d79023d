"""The partners' channel (`PARTNERBOT_PARTNERS_CHANNEL`): every contact of an active partner
is in it, and nobody else the bot put there.

Two ways keep it so. A command that changes a partner's status or contacts (everything goes
through `program.act`) calls `follow` with the partner before and after: a contact who joins
an active partner, or the contacts of a partner approved to active or reinstated, are added;
those of a partner suspended or removed, and a removed contact, are taken out. Once a day
(with the reminders, `commands/schedule.py`) `ChannelCheck` puts the channel back in step with
the records: a contact missing is added, a former contact still in it is taken out, and
someone in it who is neither a contact nor an account manager nor the bot (added by hand,
say) is reported to the account managers once, not kicked: the managers decide.

The channel is found by name with `room_named`, as the managers' room is: among the channels
and private groups the bot is in, never a DM (a user named like the channel would otherwise
be taken for it). A name is anyone's to take first, though: a stranger who made a room of
that name and added the bot would get every partner's contacts in it. So the room is used
only if the bot or an account manager (`PARTNERBOT_MANAGERS`) created it (`room_creator`,
the room's `u`; the transport remembers it while it runs, so it is asked again after a
restart). A room made by anyone else is left alone: nobody is added or removed, a warning
is logged, and the account managers are told once (a "sent" mark under "#<channel name>",
kind `untrusted-channel`, by room id). The administrators make the channel as an account
manager and add the bot to it with the right to add and remove members
(docs/administrators.md).

Who the bot put in the channel is kept in the `channel` collection (one document a user,
`"state": "added"`), so that a former contact is told from someone added by hand; someone
reported to the managers is kept there too (`"state": "reported"`), so as to be reported once.

Not a command module (it has no SPEC): `program.act` and the wiring (bot.py) use it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from chat.base import ChatActions, ChatError, Outgoing
from config import Settings
from engine.audience import made_by_us, managers_room
from engine.framework import Context, Languages
from i18n import _, speaking
from storage import Store, Transaction
from workflows.onboarding import Partner, Status
from workflows.text import mention, quote

log = logging.getLogger(__name__)

CHANNEL = "channel"
ADDED, REPORTED = "added", "reported"
STATES = (ADDED, REPORTED)
Post = Callable[[Transaction, Sequence[Outgoing], datetime], Awaitable[None]]
# The reminders' marks (commands.reminding.SENT; not imported: it imports commands.program,
# which imports this module). A channel not used is marked once, under "#<channel name>".
SENT = "sent"
UNTRUSTED = "untrusted-channel"


@dataclass(frozen=True, slots=True)
class Found:
    """The room named `PARTNERBOT_PARTNERS_CHANNEL`, who created it, and whether it may be
    used: only when the bot or an account manager created it."""

    room: str
    creator: str | None
    trusted: bool


async def find(chat: ChatActions, settings: Settings) -> Found | None:
    """The partners' channel among the bot's rooms (None: the bot is in none of that name),
    with its creator; `ChatError` when the server cannot be asked now."""
    name = settings.partners_channel
    room = None if name is None else await chat.room_named(name)
    if room is None:
        return None
    creator = await chat.room_creator(room)
    return Found(room, creator, made_by_us(creator, chat, settings))


def _untrusted_mark(name: str, found: Found, now: datetime) -> dict[str, object]:
    return {"partner": "#" + name, "kind": UNTRUSTED, "period": found.room, "at": now.isoformat()}


async def _untrusted(
    tx: Transaction,
    chat: ChatActions,
    settings: Settings,
    languages: Languages,
    name: str,
    found: Found,
    now: datetime,
) -> list[Outgoing]:
    """Log that the room named `name` is not used; the first time (no mark in `tx` yet), put
    the mark and return the account managers' notice, for the caller to send with `tx`."""
    log.warning(
        "PARTNERBOT_PARTNERS_CHANNEL %s: the room %s was created by %s, not by the bot nor an "
        "account manager; it is not used (nobody is added to it or removed from it)",
        name,
        found.room,
        "@" + found.creator if found.creator else "nobody the server names",
    )
    if await tx.get(SENT, "#" + name, UNTRUSTED, found.room) is not None:
        return []
    tx.put(SENT, _untrusted_mark(name, found, now), what="channel: not used")
    channel = quote(name, as_code=True)
    messages = []
    for room, language in await managers_rooms(chat, settings, languages):
        with speaking(language):
            if found.creator is None:
                text = _(
                    "The partners' channel {channel} was not created by an account manager "
                    "(the server does not say who created it), so I do not use it: I add "
                    "nobody to it and remove nobody from it. Create the channel as an account "
                    "manager, add me to it, and restart me."
                ).format(channel=channel)
            else:
                text = _(
                    "The partners' channel {channel} was created by {creator}, who is not an "
                    "account manager, so I do not use it: I add nobody to it and remove nobody "
                    "from it. Delete or rename that room, create the channel as an account "
                    "manager, add me to it, and restart me."
                ).format(channel=channel, creator=mention(found.creator))
        digest = hashlib.sha256(f"{UNTRUSTED}\x1f{found.room}\x1f{room}".encode()).hexdigest()
        messages.append(Outgoing(f"cu{digest[:22]}", room, text))
    return messages


async def managers_rooms(
    chat: ChatActions, settings: Settings, languages: Languages
) -> list[tuple[str, str]]:
    """`PARTNERBOT_MANAGER_ROOM` (in `PARTNERBOT_LANGUAGE`), else each manager's DM."""
    room = await managers_room(chat, settings)
    if room is not None:
        return [(room, languages.default)]
    return [
        (await chat.direct_room(user), await languages.of_user(user))
        for user in sorted(settings.managers)
    ]


def belongs(partner: Partner | None) -> tuple[str, ...]:
    """Who of `partner` is in the channel: its contacts while it is active."""
    if partner is None or partner.status is not Status.ACTIVE:
        return ()
    return partner.contacts


async def follow(ctx: Context, before: Partner | None, after: Partner) -> list[str]:
    """Keep the channel in step with one partner's change (a command's, in its transaction);
    what could not be done, for the account managers (nothing when no channel is set)."""
    name = ctx.settings.partners_channel
    if name is None:
        return []
    old = {user.casefold(): user for user in belongs(before)}
    new = {user.casefold(): user for user in belongs(after)}
    joining = [new[key] for key in sorted(new.keys() - old.keys())]
    leaving = [old[key] for key in sorted(old.keys() - new.keys())]
    if not joining and not leaving:
        return []
    try:
        found = await find(ctx.chat, ctx.settings)
        if found is not None and not found.trusted:
            notices = await _untrusted(
                ctx.tx, ctx.chat, ctx.settings, ctx.languages, name, found, ctx.now
            )
            for out in notices:
                ctx.send(out.room_id, out.text, id=out.id)
            return []
    except ChatError as err:
        return [_("the partners' channel cannot be found now: {error}").format(error=err)]
    if found is None:
        log.warning("PARTNERBOT_PARTNERS_CHANNEL %s: the bot is in no such room", name)
        return []  # the daily check says so in the log; the managers set it up
    room = found.room
    failures = []
    for username in joining:
        try:
            await ctx.chat.add_members(room, (username,))
        except ChatError as err:
            failures.append(str(err))
            continue
        ctx.tx.put(CHANNEL, _record(username, ADDED, after.id, ctx.now), what="channel: added")
    for username in leaving:
        try:
            await ctx.chat.remove_members(room, (username,))
        except ChatError as err:
            failures.append(str(err))
            continue
        ctx.tx.delete(CHANNEL, username.casefold(), what="channel: removed")
    return failures


def failed(partner: Partner, failures: list[str]) -> Callable[[], str]:
    """What the account managers are told when `follow` could not do everything."""
    company, what = quote(partner.company), "; ".join(failures)
    return lambda: _("The partners' channel, for {company}: {failures}").format(
        company=company, failures=what
    )


def _record(username: str, state: str, partner: str | None, now: datetime) -> dict[str, object]:
    return {
        "username": username.casefold(),
        "state": state,
        "partner": partner,
        "at": now.isoformat(),
    }


class ChannelCheck:
    """The daily check: adds the missing contacts, takes the former ones out, reports the
    others to the account managers once."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime],
        chat: ChatActions,
        post: Post,
        languages: Languages,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.chat = chat
        self.post = post
        self.languages = languages
        self._lock = asyncio.Lock()

    async def check(self) -> bool:
        """Put the channel in step; False when something could not be done now (to be
        tried again soon), True when done or when no channel is set."""
        name = self.settings.partners_channel
        if name is None:
            return True
        async with self._lock:
            try:
                return await self._check(name)
            except ChatError as err:
                log.warning("PARTNERBOT_PARTNERS_CHANNEL %s: %s; trying again later", name, err)
                return False

    async def _check(self, name: str) -> bool:
        found = await find(self.chat, self.settings)
        if found is None:
            log.warning(
                "PARTNERBOT_PARTNERS_CHANNEL %s: the bot is in no channel or private group of "
                "that name; add the bot to it",
                name,
            )
            return True
        now = self.clock()
        if not found.trusted:
            tx = self.store.begin(actor="partnerbot", now=now)
            notices = await _untrusted(
                tx, self.chat, self.settings, self.languages, name, found, now
            )
            if not tx.empty:
                await self.post(tx, notices, now)
            return True
        room = found.room
        wanted: dict[str, tuple[str, str]] = {}  # casefold -> (username, partner id)
        contacts: set[str] = set()  # every partner's contacts, whatever its status
        async for doc in self.store.scan("partners"):
            try:
                partner = Partner.from_doc(doc)
            except ValueError as err:
                log.error("channel: skipping partner %r: %s", doc.get("id"), err)
                continue
            contacts.update(user.casefold() for user in partner.contacts)
            for user in belongs(partner):
                wanted[user.casefold()] = (user, partner.id)
        records = {doc["username"]: doc async for doc in self.store.scan(CHANNEL)}
        present = {user.casefold(): user for user in await self.chat.room_members(room)}
        exempt = {self.chat.me.username.casefold(), *self.settings.managers}
        tx = self.store.begin(actor="partnerbot", now=now)
        done = True
        for key in sorted(wanted.keys() - present.keys()):
            username, partner_id = wanted[key]
            try:
                await self.chat.add_members(room, (username,))
            except ChatError as err:
                log.warning("channel: cannot add @%s: %s", username, err)
                done = False
                continue
            log.info("channel: added @%s (a contact of %s)", username, partner_id)
            tx.put(CHANNEL, _record(username, ADDED, partner_id, now), what="channel: added")
        for key in sorted(wanted.keys() & present.keys()):
            if records.get(key, {}).get("state") != ADDED:  # in it already: the bot's to keep
                username, partner_id = wanted[key]
                tx.put(CHANNEL, _record(username, ADDED, partner_id, now), what="channel: kept")
        strangers = []
        for key in sorted(present.keys() - wanted.keys() - exempt):
            username = present[key]
            state = records.get(key, {}).get("state")
            if state == ADDED or key in contacts:  # a former contact (or one left behind)
                try:
                    await self.chat.remove_members(room, (username,))
                except ChatError as err:
                    log.warning("channel: cannot remove @%s: %s", username, err)
                    done = False
                    continue
                log.info("channel: removed @%s (no longer an active partner's contact)", username)
                if key in records:
                    tx.delete(CHANNEL, key, what="channel: removed")
            elif state != REPORTED:
                strangers.append(username)
                tx.put(CHANNEL, _record(username, REPORTED, None, now), what="channel: reported")
        messages = await self._report(name, strangers, now) if strangers else []
        if tx.empty:
            return done
        await self.post(tx, messages, now)
        return done

    async def _report(self, name: str, strangers: list[str], now: datetime) -> list[Outgoing]:
        """One message to the account managers naming who is in the channel without being
        an active partner's contact (its id made from the names and the moment)."""
        users = ", ".join(mention(user) for user in strangers)
        rooms = await managers_rooms(self.chat, self.settings, self.languages)
        key = "\x1f".join(("channel", name, now.isoformat(), *strangers))
        messages = []
        for room, language in rooms:
            with speaking(language):
                text = _(
                    "In the partners' channel {channel} but not a contact of an active partner: "
                    "{users}. I leave them there; remove them if they should not read it."
                ).format(channel=quote(name, as_code=True), users=users)
            digest = hashlib.sha256(f"{key}\x1f{room}".encode()).hexdigest()
            messages.append(Outgoing(f"ch{digest[:22]}", room, text))
        return messages
