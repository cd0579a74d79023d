"""/overdue: one list of everything late across an account manager's partners, oldest
first: reports, reviews, fees, training, and approvals waiting on a manager."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Role, UsageError
from commands.partners import late_of
from workflows.compliance import Overdue, overdue_items
from workflows.onboarding import Partner
from workflows.text import quote

MAX_LINES = 50  # a chat message has room for about this many
ALL = "all"


async def overdue(ctx: Context) -> None:
    """Lists what is late for the caller's partners (and the applications no manager has
    yet), oldest first; `/overdue all` for every partner."""
    if len(ctx.args.words) > 1 or (ctx.args.words and ctx.args.words[0].lower() != ALL):
        raise UsageError(f"{ctx.args.words[0]!r} is not understood; say all, or nothing")
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
        whose = "any partner" if everyone else "your partners"
        ctx.reply(f"Nothing is late for {whose}.")
        return
    items.sort(key=lambda pair: (pair[0].since, pair[0].partner))
    lines = [
        f"{item.since} `{partner.id}` {quote(partner.company)}: {item.what}"
        for item, partner in items[:MAX_LINES]
    ]
    if len(items) > MAX_LINES:
        lines.append(f"... and {len(items) - MAX_LINES} more.")
    ctx.reply("\n".join(lines))


SPEC = Command(
    name="overdue",
    summary=(
        "everything late across your partners (reports, reviews, fees, training, "
        "approvals), oldest first; all: every partner's"
    ),
    usage="[all]",
    example="/overdue",
    roles=frozenset({Role.MANAGER}),
    handler=overdue,
)
