"""/referrals: the referrals (managers: all, filtered by a state or a partner id; a partner's
contacts: their partner's own), one referral (`/referrals R-12`), and the answers: a partner
accepts or declines one offered to it, an account manager marks one lost."""

from __future__ import annotations

from commands import program, referring
from engine.framework import Command, Context, Refused, Role, UsageError, refusal
from i18n import N_, _
from workflows.onboarding import Partner, RuleError
from workflows.referrals import (
    Referral,
    ReferralState,
    accept,
    decline,
    describe,
    mark_lost,
    parse_referral_id,
    pass_on,
)
from workflows.text import quote

MAX_LINES = 50
PARTNER_VERBS = ("accept", "decline")
MANAGER_VERBS = ("lost",)


async def referrals(ctx: Context) -> None:
    """Lists referrals, shows one, or answers one."""
    words = ctx.args.words
    if words and words[0][:2].upper() == "R-":
        if len(words) > 2:
            raise UsageError(_("unexpected {word}").format(word=quote(words[2], as_code=True)))
        await _one(ctx, words[0], words[1].lower() if len(words) == 2 else None)
        return
    await _list(ctx)


async def _list(ctx: Context) -> None:
    words = ctx.args.words
    manager = program.is_manager(ctx) and ctx.caller.partner is None
    state: ReferralState | None = None
    partner_id: str | None = None
    if not manager:
        partner_id = (await program.own(ctx)).id
    for word in words:
        try:
            state = ReferralState(word.lower())
            continue
        except ValueError:
            pass
        if not manager or partner_id is not None:
            raise UsageError(
                _("{word} is not a state ({states})").format(
                    word=quote(word, as_code=True), states=", ".join(ReferralState)
                )
            )
        partner_id = (await program.find(ctx, word)).id
    shown = [
        r
        for r in reversed(await referring.all_referrals(ctx.tx))
        if (state is None or r.state is state) and (partner_id is None or r.partner == partner_id)
    ]
    if not shown:
        ctx.reply(_("No referrals."))
        return
    companies: dict[str, str] = {}
    lines = []
    for r in shown[:MAX_LINES]:
        lines.append(describe(r, await _company(ctx, r, companies) if manager else None))
    ctx.reply("\n".join(lines))


async def _company(ctx: Context, r: Referral, known: dict[str, str]) -> str | None:
    if r.partner is None:
        return None
    if r.partner not in known:
        doc = await ctx.tx.get(program.PARTNERS, r.partner)
        known[r.partner] = "" if doc is None else str(doc["company"])
    return known[r.partner]


async def _one(ctx: Context, typed: str, verb: str | None) -> None:
    try:
        ident = parse_referral_id(typed)
    except RuleError as err:
        raise refusal(err) from None
    manager = program.is_manager(ctx) and ctx.caller.partner is None
    found = await referring.referral(ctx.tx, ident)
    if verb in PARTNER_VERBS:
        if manager:
            raise Refused(_("Only the partner it is offered to answers a referral."))
        partner = await program.own(ctx)
        if found is None:
            raise Refused(_("There is no referral {id} for you.").format(id=ident))
        await _answer(ctx, partner, found, verb)
        return
    if verb is not None and verb not in MANAGER_VERBS:
        raise UsageError(
            _("{word} is not one of {verbs}").format(
                word=quote(verb, as_code=True), verbs=", ".join((*PARTNER_VERBS, *MANAGER_VERBS))
            )
        )
    if not manager:
        partner = await program.own(ctx)
        if found is None or found.partner != partner.id:
            raise Refused(_("There is no referral {id} for you.").format(id=ident))
        if verb is not None:
            raise Refused(_("Only account managers can do that."))
        ctx.reply(describe(found, None))
        return
    if found is None:
        raise Refused(_("There is no referral {id}.").format(id=ident))
    if verb is None:
        ctx.reply(describe(found, await _company(ctx, found, {})))
        return
    if found.partner is not None:
        doc = await ctx.tx.get(program.PARTNERS, found.partner)
        if doc is not None:
            program.check_manages(ctx, Partner.from_doc(doc))
    try:
        after = mark_lost(found)
    except RuleError as err:
        raise refusal(err) from None
    referring.store(ctx.tx, after, "lost")
    ctx.reply(_("Referral {id} is marked lost.").format(id=ident))


async def _answer(ctx: Context, partner: Partner, found: Referral, verb: str) -> None:
    company = partner.company
    try:
        if verb == "accept":
            after = accept(found, partner.id)
        else:
            decline(found, partner.id)
            after = pass_on(
                found,
                "declined",
                await referring.candidates(ctx.tx, ctx.settings, ctx.now),
                ctx.now,
            )
    except RuleError as err:
        raise refusal(err) from None
    referring.store(ctx.tx, after, f"{verb}ed by {partner.id}")
    ident = found.id
    if verb == "accept":
        ctx.reply(
            _(
                "You accepted referral {id}. When you close it, report the deal with "
                "`kind=referred ref={id}`."
            ).format(id=ident)
        )
        await program.tell_managers(
            ctx,
            partner,
            lambda: _("{company} accepted referral {id}.").format(company=quote(company), id=ident),
        )
        return
    ctx.reply(_("You declined referral {id}.").format(id=ident))
    to: Partner | None = None
    if after.state is ReferralState.OFFERED and after.partner is not None:
        doc = await ctx.tx.get(program.PARTNERS, after.partner)
        assert doc is not None
        to = Partner.from_doc(doc)
        hours = ctx.settings.referral_hours
        await referring.tell_partner(
            ctx,
            to,
            lambda: referring.offer_text(after, hours),
            lambda: referring.answer_buttons(ctx.bot.username, ident),
        )
    name = None if to is None else to.company
    await program.tell_managers(
        ctx, partner, lambda: referring.passed_on_text(found, "declined", company, name)
    )


SPEC = Command(
    name="referrals",
    summary=N_("the referrals of clients to your partner; accept or decline one offered to you"),
    usage="[state] | R-<n> [accept|decline]",
    example="/referrals R-12 accept",
    manager_usage="[state] [partner-id] | R-<n> [lost]",
    manager_example="/referrals offered",
    roles=frozenset({Role.PARTNER, Role.MANAGER}),
    handler=referrals,
)
