"""/status: a partner's onboarding checklist, deadlines, the yearly fee and compliance flags."""

from __future__ import annotations

from datetime import timedelta

from commands import program
from commands.fee import status_of
from commands.program import checklist
from commands.referring import expertise_of
from commands.report import shown_months
from engine.framework import Command, Context, Role, UsageError
from i18n import N_, _, day, locale
from workflows.compliance import fee_line, upcoming_review
from workflows.referrals import expertise_lines
from workflows.reporting import local_day


async def status(ctx: Context) -> None:
    """Shows the checklist of the caller's partner, or (managers) of any partner."""
    if len(ctx.args.words) > 1:
        raise UsageError(_("give at most one partner id"))
    partner = await program.target(ctx)
    today = local_day(ctx.now, ctx.settings.timezone)
    lines = [checklist(partner, ctx.now, ctx.settings.timezone)]
    fee = await status_of(ctx, partner)
    if fee is not None and partner.signed is not None:
        lines.append(fee_line(fee, today))
        review = upcoming_review(partner.signed, today)
        while await ctx.tx.get("reviews", partner.id, review.isoformat()) is not None:
            review = upcoming_review(partner.signed, review + timedelta(days=1))  # recorded early
        lines.append(_("Next quarterly review on {day}.").format(day=day(review)))
    lines += expertise_lines(await expertise_of(ctx.tx, partner.id), locale())
    reports = (await shown_months(ctx, partner)).line()
    if reports:
        lines.append(reports)
    ctx.reply("\n".join(lines))


SPEC = Command(
    name="status",
    summary=N_("the onboarding checklist: each step with its state and date, deadlines, flags"),
    usage="",
    example="/status",
    manager_usage="[partner-id]",
    manager_example="/status acme-hosting",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=status,
)
