"""/announce: an account manager's message to every active partner's workgroup (webinars,
training sessions, new features), each workgroup getting it exactly once."""

from __future__ import annotations

from commands import bulletin
from engine.framework import Command, Context, Role, UsageError
from engine.parsing import parse_invocation
from i18n import N_, _, ngettext
from workflows.text import quote

ANNOUNCEMENTS = "announcements"
MAX_TEXT = 2000  # characters: the copy, with its framing, stays one chat message


def _text(ctx: Context) -> str:
    """The announcement as typed (line breaks kept), after the command's name."""
    invocation = parse_invocation(ctx.message.text, ctx.bot.username)
    return (invocation.text if invocation is not None else ctx.args.rest(0)).strip()


async def next_id(ctx: Context, collection: str, prefix: str) -> str:
    """The next id of `collection`: `A-1`, `A-2`, ... (ids are never reused)."""
    highest = 0
    async for doc in ctx.tx.scan(collection):
        number = str(doc["id"]).removeprefix(prefix)
        if number.isdigit():
            highest = max(highest, int(number))
    return f"{prefix}{highest + 1}"


async def announce(ctx: Context) -> None:
    """Posts the text in every active partner's workgroup, once each, and says how many."""
    text = _text(ctx)
    if not text:
        raise UsageError(_("the text of the announcement is missing"))
    if len(text) > MAX_TEXT:
        raise UsageError(
            _("the announcement is {n} characters long; at most {most} fit").format(
                n=len(text), most=MAX_TEXT
            )
        )
    announcement_id = await next_id(ctx, ANNOUNCEMENTS, "A-")
    by, shown = ctx.caller.user.username, quote(text)
    ctx.tx.put(
        ANNOUNCEMENTS,
        {"id": announcement_id, "text": text, "by": by, "at": ctx.now.isoformat()},
        what=f"announcement {announcement_id}",
    )

    def copy() -> str:
        return _("Announcement from the partner program, by @{user}:\n{text}").format(
            user=by, text=shown
        )

    count = await bulletin.to_workgroups(ctx, bulletin.ANNOUNCEMENT, announcement_id, copy)
    ctx.reply(
        ngettext(
            "Announcement {id} goes to {n} workgroup.",
            "Announcement {id} goes to {n} workgroups.",
            count,
        ).format(id=announcement_id, n=count)
    )


SPEC = Command(
    name="announce",
    summary=N_("post a message in every active partner's workgroup, once each"),
    usage="<text ...>",
    example="/announce Webinar on the new marketplace apps: Thursday 15:00 UTC",
    roles=frozenset({Role.MANAGER}),
    handler=announce,
)
