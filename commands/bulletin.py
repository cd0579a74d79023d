"""A message to every active partner's workgroup, exactly once: what /announce and a new
quarterly report in /materials send.

The copies go out the way the reminders do: each workgroup's copy and its "sent" mark
(`sent`: partner, kind, period = the announcement's id) are stored in the command's one
commit, with the message in the outbox, and the runner delivers them. A crash before the
commit stores nothing (the command is handled again after the restart); a crash after it,
between two rooms, delivers the rest from the outbox with the same ids, made from the
announcement's id and the room, which the server recognises: no workgroup gets two copies,
none is left out.

Not a command module (it has no SPEC): /announce and /materials use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from commands import program
from commands.reminding import SENT
from engine.framework import Context
from i18n import speaking
from workflows.onboarding import Partner, Status

ANNOUNCEMENT, MATERIAL = "announcement", "material"  # the kinds of their "sent" marks
KINDS = (ANNOUNCEMENT, MATERIAL)


def message_id(kind: str, key: str, room: str) -> str:
    """The id of the copy of `key` in `room`: the same after any crash."""
    digest = hashlib.sha256("\x1f".join((kind, key, room)).encode()).hexdigest()
    return f"bn{digest[:22]}"


async def to_workgroups(ctx: Context, kind: str, key: str, make: Callable[[], str]) -> int:
    """Store `make()` (made in each partner's language) for every active partner's workgroup
    not yet sent `key`, with its mark; how many workgroups get it."""
    count = 0
    async for doc in ctx.tx.scan(program.PARTNERS):
        partner = Partner.from_doc(doc)
        if partner.status is not Status.ACTIVE or partner.workgroup is None:
            continue
        if await ctx.tx.get(SENT, partner.id, kind, key) is not None:
            continue
        with speaking(await ctx.languages.of_partner(partner)):
            text = make()
        room = partner.workgroup
        ctx.send(room, text, id=message_id(kind, key, room))
        mark = {"partner": partner.id, "kind": kind, "period": key, "at": ctx.now.isoformat()}
        ctx.tx.put(SENT, mark, what=f"{kind} {key} to {partner.id}")
        count += 1
    return count
