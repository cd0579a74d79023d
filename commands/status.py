"""/status: a partner's onboarding checklist, deadlines and compliance flags."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Role, UsageError
from commands.program import checklist
from commands.report import recent


async def status(ctx: Context) -> None:
    """Shows the checklist of the caller's partner, or (managers) of any partner."""
    if len(ctx.args.words) > 1:
        raise UsageError("give at most one partner id")
    partner = await program.target(ctx)
    text = checklist(partner, ctx.now, ctx.settings.timezone)
    reports = await recent(ctx, partner)
    if reports:
        text += "\nMonthly reports: " + "; ".join(reports) + "."
    ctx.reply(text)


SPEC = Command(
    name="status",
    summary="the onboarding checklist: each step with its state and date, deadlines, flags",
    usage="[partner-id]",
    example="/status acme-hosting",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=status,
)
