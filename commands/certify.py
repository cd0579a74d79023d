"""/certify: an account manager records that a partner is certified for a service of its
type (`workflows.referrals.SERVICES_BY_TYPE`), which referrals are matched on."""

from __future__ import annotations

from datetime import date

from commands import program
from commands.referring import EXPERTISE, expertise_of
from engine.framework import Command, Context, Role, UsageError, refusal
from i18n import N_, _, day
from workflows.onboarding import RuleError
from workflows.referrals import certify as certified
from workflows.referrals import parse_service
from workflows.text import quote


async def certify(ctx: Context) -> None:
    """Certifies the partner for a service, on a day (default today); the partner is told."""
    partner = await program.managed(ctx, ctx.word(0, program.PARTNER_ID))
    if len(ctx.args.words) != 2:
        raise UsageError(_("name the partner and one service"))
    unknown = set(ctx.args.options) - {"on"}
    if unknown:
        raise UsageError(
            _("unexpected {word}").format(word=quote(f"{sorted(unknown)[0]}=", as_code=True))
        )
    try:
        service = parse_service(ctx.args.words[1])
        on = ctx.today
        if "on" in ctx.args.options:
            try:
                on = date.fromisoformat(ctx.args.options["on"].strip())
            except ValueError:
                raise UsageError(_("write on= as YYYY-MM-DD")) from None
        after = certified(
            partner,
            await expertise_of(ctx.tx, partner.id),
            service,
            on,
            ctx.caller.user.username,
            ctx.today,
        )
    except RuleError as err:
        raise refusal(err) from None
    ctx.tx.put(EXPERTISE, after.to_doc(), what=f"certified {partner.id} for {service.value}")
    ctx.reply(
        _("Recorded: {company} (`{id}`) is certified for {service} on {day}.").format(
            company=quote(partner.company), id=partner.id, service=service.value, day=day(on)
        )
    )
    await program.tell_partner(
        ctx,
        partner,
        lambda: _(
            "You are certified for {service} on {day}: referrals that need it can come to you."
        ).format(service=service.value, day=day(on)),
    )


SPEC = Command(
    name="certify",
    summary=N_("record that a partner is certified for a service of its type (for referrals)"),
    usage="<partner-id> <service> [on=YYYY-MM-DD]",
    example="/certify acme-hosting private-cloud-hosting",
    roles=frozenset({Role.MANAGER}),
    handler=certify,
    options=frozenset({"on"}),
)
