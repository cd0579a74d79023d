"""/assign: set a partner's account manager."""

from __future__ import annotations

from commands import program
from engine.framework import Command, Context, Refused, Role, UsageError
from i18n import N_, _
from workflows.onboarding import Assign
from workflows.text import mention, quote


async def assign(ctx: Context) -> None:
    """Makes another account manager responsible for the partner."""
    partner = await program.managed(ctx, ctx.word(0, _("the partner id")))
    manager = ctx.word(1, _("the account manager (@user)")).lstrip("@").lower()
    if len(ctx.args.words) > 2:
        raise UsageError(_("unexpected {word}").format(word=quote(ctx.args.words[2], as_code=True)))
    if manager not in ctx.settings.managers:
        raise Refused(
            _("{user} is not an account manager (PARTNERBOT_MANAGERS).").format(
                user=mention(manager)
            )
        )
    await program.act(ctx, partner, Assign(manager), f"assigned @{manager}")
    ctx.reply(
        _("@{user} is now the account manager of {company}.").format(
            user=manager, company=quote(partner.company)
        )
    )


SPEC = Command(
    name="assign",
    summary=N_("set a partner's account manager"),
    usage="<partner-id> @user",
    example="/assign acme-hosting @joao",
    roles=frozenset({Role.MANAGER}),
    handler=assign,
)
