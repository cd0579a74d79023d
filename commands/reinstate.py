"""/reinstate: an account manager makes a suspended partner active again."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Role, UsageError
from workflows.onboarding import Reinstate
from workflows.text import quote


async def reinstate(ctx: Context) -> None:
    """Makes a suspended partner active again; it is told."""
    partner = await program.managed(ctx, ctx.word(0, "the partner id"))
    if len(ctx.args.words) > 1:
        raise UsageError(f"unexpected {quote(ctx.args.words[1], as_code=True)}")
    after = await program.act(ctx, partner, Reinstate(), "reinstate")
    ctx.reply(f"{quote(after.company)} (`{after.id}`) is {after.status} again.")


SPEC = Command(
    name="reinstate",
    summary="make a suspended partner active again",
    usage="<partner-id>",
    example="/reinstate acme-hosting",
    roles=frozenset({Role.MANAGER}),
    handler=reinstate,
)
