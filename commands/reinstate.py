"""/reinstate: an account manager makes a suspended partner active again."""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Role, UsageError
from i18n import N_, _
from workflows.onboarding import Reinstate
from workflows.text import quote


async def reinstate(ctx: Context) -> None:
    """Makes a suspended partner active again; it is told."""
    partner = await program.managed(ctx, ctx.word(0, program.PARTNER_ID))
    if len(ctx.args.words) > 1:
        raise UsageError(_("unexpected {word}").format(word=quote(ctx.args.words[1], as_code=True)))
    after = await program.act(ctx, partner, Reinstate(), "reinstate")
    ctx.reply(
        _("{company} (`{id}`) is active again.").format(company=quote(after.company), id=after.id)
    )


SPEC = Command(
    name="reinstate",
    summary=N_("make a suspended partner active again"),
    usage="<partner-id>",
    example="/reinstate acme-hosting",
    roles=frozenset({Role.MANAGER}),
    handler=reinstate,
)
