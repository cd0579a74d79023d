"""/fee: an account manager records a partner's yearly program fee as paid, or undoes a
wrong record with `unpaid` (the audit trail keeps both)."""

from __future__ import annotations

from dataclasses import replace

from commands import program
from commands.figures import keep_fees
from engine.framework import Command, Context, Role, UsageError, refusal
from i18n import N_, _, day, money
from workflows.compliance import (
    FeeRecord,
    FeeStatus,
    check_fee_year,
    fee_due_date,
    fee_line,
    fee_mark,
    fee_status,
    in_program,
    parse_year,
    record_fee,
    unrecord_fee,
)
from workflows.onboarding import Partner, RuleError
from workflows.onboarding.rules import YEARLY_FEE
from workflows.reporting import local_day
from workflows.text import quote

FEES = "fees"


async def fee(ctx: Context) -> None:
    """Records the fee of a fee year (default: the current one) as paid; the partner is
    told; `unpaid` undoes such a record. Without either, shows where the partner's fee
    stands."""
    partner = await program.managed(ctx, ctx.word(0, "the partner id"))
    words = ctx.args.words[1:]
    if not words:
        await _show(ctx, partner)
        return
    if words[0].lower() not in ("paid", "unpaid"):
        raise UsageError(
            _(
                "{word} is not understood; say paid or unpaid, and the year if not the current one"
            ).format(word=quote(words[0], as_code=True))
        )
    if len(words) > 2:
        raise UsageError(_("unexpected {word}").format(word=quote(words[2], as_code=True)))
    try:
        typed = parse_year(words[1], ctx.today.year) if len(words) == 2 else None
    except RuleError as err:
        raise UsageError(str(err)) from None
    if words[0].lower() == "unpaid":
        await _undo(ctx, partner, typed)
        return
    by, zone = ctx.caller.user.username, ctx.settings.timezone
    try:
        year = check_fee_year(partner, typed, local_day(ctx.now, zone))
        doc = await ctx.tx.get(FEES, partner.id, str(year))
        existing = None if doc is None else FeeRecord.from_doc(doc)
        paid = record_fee(partner, year, existing, by, ctx.now, zone)
    except RuleError as err:
        raise refusal(err) from None
    ctx.tx.put(FEES, paid.to_doc(), what=f"fee {paid.year} paid")
    await keep_fees(ctx.tx, partner.id, paid.year, paid=True)  # the /stats aggregates
    assert partner.signed is not None  # record_fee checked it
    due = fee_due_date(partner.signed, paid.year)
    assert due is not None  # record_fee refused a year before signing
    ctx.reply(
        _(
            "Recorded: the program fee of {company} (`{id}`) for {year} ({fee}, due {due}) is paid."
        ).format(
            company=quote(partner.company),
            id=partner.id,
            year=paid.year,
            fee=money(YEARLY_FEE),
            due=day(due),
        )
    )
    await program.tell_partner(
        ctx,
        partner,
        lambda: _(
            "Your yearly program fee of {fee} for {year} (due {due}) is recorded as paid. "
            "Thank you!"
        ).format(fee=money(YEARLY_FEE), year=paid.year, due=day(due)),
    )


async def _undo(ctx: Context, partner: Partner, typed: int | None) -> None:
    """Undoes the record that the fee of a year is paid: the /fee record is deleted, or the
    contract's mark `fee=paid` cleared; the partner is told that it is owed again."""
    today = local_day(ctx.now, ctx.settings.timezone)
    try:
        year = check_fee_year(partner, typed, today)
        doc = await ctx.tx.get(FEES, partner.id, str(year))
        existing = None if doc is None else FeeRecord.from_doc(doc)
        undone = unrecord_fee(partner, year, existing, ctx.caller.user.username, today)
    except RuleError as err:
        raise refusal(err) from None
    if undone is not None:
        ctx.tx.delete(FEES, partner.id, str(year), what=f"fee {year} unpaid")
        await keep_fees(ctx.tx, partner.id, year, paid=False)  # the /stats aggregates
        was = _("recorded as paid on {day} by {who}").format(
            day=day(undone.paid_on),
            who=f"@{undone.by}",
        )
    else:
        after = replace(partner, fee_paid=False)
        program.store(ctx, partner, after, f"fee {year} unpaid (the contract's fee=paid undone)")
        was = _("marked paid with the contract")
    assert partner.signed is not None  # check_fee_year checked it
    due = fee_due_date(partner.signed, year)
    assert due is not None  # check_fee_year refused a year before signing
    ctx.reply(
        _(
            "Undone: the program fee of {company} (`{id}`) for {year} (due {due}) was {was}; "
            "it is unpaid again."
        ).format(company=quote(partner.company), id=partner.id, year=year, due=day(due), was=was)
    )
    await program.tell_partner(
        ctx,
        partner,
        lambda: _(
            "Correction: your yearly program fee of {fee} for {year} (due {due}) is not "
            "recorded as paid after all; your account manager records it once it is paid."
        ).format(fee=money(YEARLY_FEE), year=year, due=day(due)),
    )


async def _show(ctx: Context, partner: Partner) -> None:
    try:
        in_program(partner, "pay the program fee")
    except RuleError as err:
        raise refusal(err) from None
    status = await status_of(ctx, partner)
    assert status is not None  # in the program
    today = local_day(ctx.now, ctx.settings.timezone)
    ctx.reply(
        f"{quote(partner.company)} (`{partner.id}`): {fee_mark(status, today)} "
        f"{fee_line(status, today)}\n"
        + _(
            "Record a payment with `/fee {id} paid [YYYY]` (undo a wrong one with "
            "`/fee {id} unpaid [YYYY]`)."
        ).format(id=partner.id)
    )


async def recorded_years(ctx: Context, partner: Partner) -> frozenset[int]:
    """The fee years recorded as paid with /fee."""
    return frozenset(
        {FeeRecord.from_doc(doc).year async for doc in ctx.tx.scan(FEES, owner=partner.id)}
    )


async def status_of(ctx: Context, partner: Partner) -> FeeStatus | None:
    """The partner's current and coming fee years; None unless it is in the program."""
    today = local_day(ctx.now, ctx.settings.timezone)
    return fee_status(partner, await recorded_years(ctx, partner), today)


SPEC = Command(
    name="fee",
    summary=N_(
        "record a partner's yearly program fee as paid (or undo that with unpaid), or see "
        "where it stands"
    ),
    usage="<partner-id> [paid|unpaid [YYYY]]",
    example=lambda today: f"/fee acme-hosting paid {today.year}",
    roles=frozenset({Role.MANAGER}),
    handler=fee,
)
