"""/assign: set a partner's account manager."""

from __future__ import annotations

from commands import program
from commands.framework import Command, Context, Refused, Role, UsageError
from workflows.onboarding import Assign
from workflows.text import mention, quote


async def assign(ctx: Context) -> None:
    """Makes another account manager responsible for the partner."""
    partner = await program.managed(ctx, ctx.word(0, "the partner id"))
    manager = ctx.word(1, "the account manager (@user)").lstrip("@").lower()
    if len(ctx.args.words) > 2:
        raise UsageError(f"unexpected {quote(ctx.args.words[2], as_code=True)}")
    if manager not in ctx.settings.managers:
        raise Refused(f"{mention(manager)} is not an account manager (PARTNERBOT_MANAGERS).")
    await program.act(ctx, partner, Assign(manager), f"assigned @{manager}")
    ctx.reply(f"@{manager} is now the account manager of {quote(partner.company)}.")


SPEC = Command(
    name="assign",
    summary="set a partner's account manager",
    usage="<partner-id> @user",
    example="/assign acme-hosting @joao",
    roles=frozenset({Role.MANAGER}),
    handler=assign,
)
