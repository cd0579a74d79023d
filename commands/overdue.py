"""/overdue: one list of everything late across an account manager's partners, oldest
first: reports, reviews, fees, training, and approvals waiting on a manager."""

from __future__ import annotations

from commands import program
from commands.partners import late_of
from engine.framework import Command, Context, Role, UsageError
from i18n import N_, _, day, ngettext
from workflows.compliance import Overdue, overdue_items
from workflows.onboarding import Partner
from workflows.text import quote

MAX_LINES = 50  # a chat message has room for about this many
ALL = "all"


async def overdue(ctx: Context) -> None:
    """Lists what is late for the caller's partners (and the applications no manager has
    yet), oldest first; `/overdue all` for every partner."""
    if len(ctx.args.words) > 1 or (ctx.args.words and ctx.args.words[0].lower() != ALL):
        words = ctx.args.words
        wrong = next((word for word in words if word.lower() != ALL), words[-1])
        raise UsageError(
            _("{word} is not understood; say all, or nothing").format(
                word=quote(wrong, as_code=True)
            )
        )
    everyone = bool(ctx.args.words)
    me = ctx.caller.user.username.lower()
    items: list[tuple[Overdue, Partner]] = []
    async for doc in ctx.tx.scan(program.PARTNERS):
        partner = Partner.from_doc(doc)
        if not everyone and partner.manager is not None and partner.manager.lower() != me:
            continue
        behind = await late_of(ctx, partner)
        zone, due_day = ctx.settings.timezone, ctx.settings.report_due_day
        items += [(item, partner) for item in overdue_items(partner, behind, zone, due_day)]
    if not items:
        ctx.reply(
            _("Nothing is late for any partner.")
            if everyone
            else _("Nothing is late for your partners.")
        )
        return
    items.sort(key=lambda pair: (pair[0].since, pair[0].partner))
    lines = [
        _("{since} `{id}` {company}: {what}").format(
            since=day(item.since), id=partner.id, company=quote(partner.company), what=item.what
        )
        for item, partner in items[:MAX_LINES]
    ]
    if len(items) > MAX_LINES:
        more = len(items) - MAX_LINES
        lines.append(ngettext("... and {n} more.", "... and {n} more.", more).format(n=more))
    ctx.reply("\n".join(lines))


SPEC = Command(
    name="overdue",
    summary=N_(
        "everything late across your partners (reports, reviews, fees, training, "
        "approvals), oldest first; all: every partner's"
    ),
    usage="[all]",
    example="/overdue",
    roles=frozenset({Role.MANAGER}),
    handler=overdue,
)
