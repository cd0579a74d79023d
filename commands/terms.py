"""/terms: an account manager overrides a partner's revenue-share rates."""

from __future__ import annotations

from commands import program
from commands.report import TERMS, rates
from engine.framework import Command, Context, Role, UsageError, refusal
from i18n import N_, _
from workflows.reporting import (
    DEAL_KINDS,
    RuleError,
    parse_rates,
    rates_doc,
    rates_from_doc,
    show_percent,
)
from workflows.text import quote


async def terms(ctx: Context) -> None:
    """Sets (or shows) the rates owed to the vendor for one partner, who is told what
    changed (old and new); filed reports keep the rates they were filed with."""
    partner = await program.managed(ctx, ctx.word(0, _("the partner id")))
    if len(ctx.args.words) > 1:
        raise UsageError(
            _("unexpected {word}; give the rates as kind=percent").format(
                word=quote(ctx.args.words[1], as_code=True)
            )
        )
    if ctx.args.options:
        try:
            changes = parse_rates(ctx.args.options)
        except RuleError as err:
            raise refusal(err) from None
        before = await rates(ctx, partner.id)
        doc = await ctx.tx.get(TERMS, partner.id)
        overrides = rates_from_doc(doc["rates"], partner.id) if doc else {}
        overrides.update(changes)
        ctx.tx.put(
            TERMS, {"partner": partner.id, "rates": rates_doc(overrides)}, what="terms changed"
        )
    current = await rates(ctx, partner.id)
    shown = ", ".join(f"{kind} {show_percent(current[kind])}" for kind in DEAL_KINDS)
    ctx.reply(
        _("Revenue share owed by {company}: {rates}.").format(
            company=quote(partner.company), rates=shown
        )
    )
    if ctx.args.options:
        kinds = [kind for kind in DEAL_KINDS if before[kind] != current[kind]]
        if kinds:
            await program.tell_partner(
                ctx,
                partner,
                lambda: _(
                    "Your revenue-share rates (the percent of each deal owed to the vendor) "
                    "changed: {changes}. They apply to the reports not filed yet; reports "
                    "already filed keep their rates."
                ).format(
                    changes=", ".join(
                        f"{kind} {show_percent(before[kind])} → {show_percent(current[kind])}"
                        for kind in kinds
                    )
                ),
            )


SPEC = Command(
    name="terms",
    summary=N_("override a partner's revenue-share rates (percent owed to the vendor by kind)"),
    usage="<partner-id> [hosting=<percent>] [referred=...] [premium=...] [services=...]",
    example="/terms acme-hosting hosting=25 premium=75",
    roles=frozenset({Role.MANAGER}),
    handler=terms,
    options=frozenset({"hosting", "referred", "premium", "services"}),
)
