"""/reject: an account manager rejects a submitted step, with the reason."""

from __future__ import annotations

from commands import program
from commands.approve import parse_step
from commands.framework import Command, Context, Role, UsageError
from workflows.onboarding import Reject


async def reject(ctx: Context) -> None:
    """Rejects a step; the partner is told the reason and can submit again."""
    partner = await program.find(ctx, ctx.word(0, "the partner id"))
    step = parse_step(ctx.word(1, "the step"))
    reason = ctx.args.rest(2).strip()
    if not reason:
        raise UsageError("the reason is missing (the partner is told it)")
    after = await program.act(ctx, partner, Reject(step, reason), f"rejected {step}")
    ctx.reply(f"{after.company} (`{after.id}`): {step} rejected; the partner is told why.")


SPEC = Command(
    name="reject",
    summary="reject a submitted step; the reason is shown to the partner",
    usage="<partner-id> <step> <reason ...>",
    example="/reject acme-hosting listing the page does not show our logo",
    roles=frozenset({Role.MANAGER}),
    handler=reject,
)
