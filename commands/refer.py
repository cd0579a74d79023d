"""/refer: an account manager records a client to refer (`/refer client= country=
language= need= [amount=] [note=]`); the bot proposes the best-matching partners, with a
button each, and the manager offers it to one (`/refer R-12 offer <partner-id>`)."""

from __future__ import annotations

from commands import program, referring
from engine.framework import Command, Context, Refused, Role, UsageError, refusal
from i18n import N_, _
from workflows.onboarding import RuleError
from workflows.referrals import (
    REFER_OPTIONS,
    matches,
    new_referral,
    offer,
    parse_referral_id,
)
from workflows.text import quote

SHOWN = 5  # the best matches proposed


async def refer(ctx: Context) -> None:
    """Records a referral and proposes partners, or offers one to the partner named."""
    if ctx.args.words:
        await _offer(ctx)
        return
    if not ctx.args.options:
        raise UsageError(_("describe the client with client= country= language= need="))
    if not program.is_manager(ctx):
        raise Refused(_("Only account managers can do that."))
    try:
        made = new_referral(
            await referring.next_number(ctx.tx),
            ctx.args.options,
            ctx.caller.user.username,
            ctx.now,
        )
    except RuleError as err:
        raise refusal(err) from None
    referring.store(ctx.tx, made, "recorded")
    found = matches(made, await referring.candidates(ctx.tx, ctx.settings, ctx.now))
    head = _("Referral {id} recorded: {client} ({country}, {language}), needs {need}.").format(
        id=made.id,
        client=quote(made.client),
        country=made.country,
        language=made.language,
        need=made.need.value,
    )
    if not found:
        ctx.reply(
            head
            + "\n"
            + _(
                "No active partner is certified for it, serves that country and language and "
                "is up to date with its reports. Name one with `/refer {id} offer <partner-id>`."
            ).format(id=made.id)
        )
        return
    lines = [
        _("{n}. {company} (`{id}`): {open} open referrals").format(
            n=number, company=quote(c.partner.company), id=c.partner.id, open=c.open_referrals
        )
        for number, c in enumerate(found[:SHOWN], start=1)
    ]
    ctx.reply(
        "\n".join(
            [
                head,
                _(
                    "The best matches; offer it to one with its button or `/refer {id} offer "
                    "<partner-id>`:"
                ).format(id=made.id),
                *lines,
            ]
        ),
        referring.offer_buttons(ctx.bot.username, made.id, found[:SHOWN]),
    )


async def _offer(ctx: Context) -> None:
    words = ctx.args.words
    if len(words) != 3 or words[1].lower() != "offer" or ctx.args.options:
        raise UsageError(_("it is /refer R-12 offer <partner-id>"))
    partner = await program.managed(ctx, words[2])
    try:
        ident = parse_referral_id(words[0])
    except RuleError as err:
        raise refusal(err) from None
    before = await referring.referral(ctx.tx, ident)
    if before is None:
        raise Refused(_("There is no referral {id}.").format(id=ident))
    try:
        after = offer(before, await referring.candidate(ctx, partner), ctx.now)
    except RuleError as err:
        raise refusal(err) from None
    referring.store(ctx.tx, after, f"offered to {partner.id}")
    hours = ctx.settings.referral_hours
    ctx.reply(
        _(
            "Referral {id} is offered to {company} (`{partner}`); it has {hours} hours to answer."
        ).format(id=ident, company=quote(partner.company), partner=partner.id, hours=hours)
    )
    await referring.tell_partner(
        ctx,
        partner,
        lambda: referring.offer_text(after, hours),
        lambda: referring.answer_buttons(ctx.bot.username, ident),
    )


SPEC = Command(
    name="refer",
    summary=N_("refer a client to a partner: the best matches are proposed, then offer it to one"),
    usage="client=<name> country=<XX> language=<xx> need=<service> [amount=] [note=] "
    "| R-<n> offer <partner-id>",
    example='/refer client="Foo Corp" country=BR language=pt need=integrations amount=20000',
    roles=frozenset({Role.MANAGER}),
    handler=refer,
    options=frozenset(REFER_OPTIONS),
)
