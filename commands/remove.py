"""/remove: an account manager removes a partner, with the reason."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Role, UsageError
from workflows.onboarding import Remove


async def remove(ctx: Context) -> None:
    """Removes the partner; it is told, with the reason."""
    partner = await program.find(ctx, ctx.word(0, "the partner id"))
    reason = ctx.args.rest(1).strip()
    if not reason:
        raise UsageError("the reason is missing (the partner is told it)")
    after = await program.act(ctx, partner, Remove(reason), "remove")
    ctx.reply(f"{after.company} (`{after.id}`) is now {after.status}.")


SPEC = Command(
    name="remove",
    summary="remove a partner from the program; the reason is shown to it",
    usage="<partner-id> <reason ...>",
    example="/remove acme-hosting the agreement was not renewed",
    roles=frozenset({Role.MANAGER}),
    handler=remove,
)
