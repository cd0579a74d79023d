"""/suspend: an account manager suspends a partner, with the reason."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Role, UsageError
from workflows.onboarding import Suspend


async def suspend(ctx: Context) -> None:
    """Suspends the partner; it is told, with the reason."""
    partner = await program.find(ctx, ctx.word(0, "the partner id"))
    reason = ctx.args.rest(1).strip()
    if not reason:
        raise UsageError("the reason is missing (the partner is told it)")
    after = await program.act(ctx, partner, Suspend(reason), "suspend")
    ctx.reply(f"{after.company} (`{after.id}`) is now {after.status}.")


SPEC = Command(
    name="suspend",
    summary="suspend an active partner for non-compliance; the reason is shown to it",
    usage="<partner-id> <reason ...>",
    example="/suspend acme-hosting no sales report since August",
    roles=frozenset({Role.MANAGER}),
    handler=suspend,
)
