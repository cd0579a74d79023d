"""Who reads a room, and so where a command's answers may be shown.

A command that shows a partner's data (`Command.private`, the default) answers where it
was typed only when everyone who reads that room may see what it shows:

- the caller's own direct-message room with the bot (not a DM with other people in it);
- the account managers' room (`PARTNERBOT_MANAGER_ROOM`): its readers see every partner;
- for a partner's contact (who is not an account manager), their partner's workgroup.

Anywhere else (a channel, another partner's workgroup, any other group, a DM with several
people) the answers go to the caller's DM and the room gets a one-line note. A manager's
commands answer in place only in the managers' room and their DM: `/status bobco` typed in
acme's workgroup must not show bobco to acme.

Not a command module (it has no SPEC): the dispatcher uses it, once, before the handler.
"""

from __future__ import annotations

import logging

from chat.base import ChatActions, ChatError, Room, RoomKind
from config import Settings
from engine.framework import Caller, Refused, Role
from i18n import N_, _
from storage import Transaction

log = logging.getLogger(__name__)

PARTNERS = "partners"
_WARNED: set[tuple[str, str | None]] = set()  # managers' rooms not used (room, creator), logged
SENT_DIRECTLY = N_("I sent it to you directly.")  # the note in the room; shown with `_()`


def shown_here(
    room: Room,
    caller: Caller,
    *,
    own_dm: str | None,
    managers_room: str | None,
    workgroup: str | None,
) -> bool:
    """Whether a private command's answers may be shown in `room`, where `caller` typed it.

    `own_dm` is the caller's direct-message room with the bot (None when not looked up:
    then `room` is not a DM), `managers_room` the managers' room, `workgroup` that of the
    caller's partner (None when there is none).
    """
    if room.kind is RoomKind.DIRECT:
        return own_dm is not None and room.id == own_dm
    if managers_room is not None and room.id == managers_room:
        return True
    return Role.MANAGER not in caller.roles and workgroup is not None and room.id == workgroup


async def answer_room(
    room: Room, caller: Caller, tx: Transaction, settings: Settings, chat: ChatActions
) -> str | None:
    """Where a private command typed in `room` answers: None for right there, else the id
    of the caller's DM with the bot (opened if needed, before anything is stored, so that
    the replies are stored with the room they go to). `Refused`, shown in `room`, when that
    DM cannot be opened: then nothing is shown at all."""
    own_dm = await _dm(caller, chat) if room.kind is RoomKind.DIRECT else None
    managers: str | None = None
    workgroup = None
    if room.kind is not RoomKind.DIRECT:
        managers = await managers_room(chat, settings)
        if caller.partner is not None:
            doc = await tx.get(PARTNERS, caller.partner)
            workgroup = None if doc is None else doc.get("workgroup")
    if shown_here(room, caller, own_dm=own_dm, managers_room=managers, workgroup=workgroup):
        return None
    return own_dm if own_dm is not None else await _dm(caller, chat)


async def _dm(caller: Caller, chat: ChatActions) -> str:
    try:
        return await chat.direct_room(caller.user.username)
    except ChatError as err:
        raise Refused(
            _(
                "I answer that only in a direct message, and I could not open one with you "
                "({error}). Write to me directly."
            ).format(error=err)
        ) from err


def made_by_us(creator: str | None, chat: ChatActions, settings: Settings) -> bool:
    """Whether a room `creator` made may be trusted with what the bot says in it: the bot
    or an account manager made it (a name can be taken by anyone first)."""
    trusted = {chat.me.username.casefold(), *settings.managers}
    return creator is not None and creator.casefold() in trusted


async def managers_room(chat: ChatActions, settings: Settings) -> str | None:
    """The id of `PARTNERBOT_MANAGER_ROOM`, when the bot is in a channel or private group
    of that name that an account manager (or the bot) created; None otherwise (the managers
    are then written to directly). A room of that name made by anyone else is never used: whoever
    made it first would read what the bot tells the managers about every partner.
    `ChatError` when the server cannot be asked now."""
    name = settings.manager_room
    room = None if name is None else await chat.room_named(name)
    if room is None:
        return None
    creator = await chat.room_creator(room)  # the transport remembers it
    if made_by_us(creator, chat, settings):
        return room
    if (room, creator) not in _WARNED:
        _WARNED.add((room, creator))
        log.warning(
            "PARTNERBOT_MANAGER_ROOM %s (%s) was created by %s, who is not an account "
            "manager: it is not used, the account managers get direct messages instead; "
            "an account manager should create the room",
            name,
            room,
            f"@{creator}" if creator else "nobody the server names",
        )
    return None
