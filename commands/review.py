"""/review: an account manager sees a partner's quarterly compliance checklist, and records
the review's outcome (pass, warn or fail) for the current review date."""

from __future__ import annotations

from datetime import date
from typing import Any

from commands import program
from commands.examples import last_month
from commands.fee import status_of
from commands.figures import keep_review
from commands.report import shown_months
from engine.framework import Command, Context, Role, UsageError, refusal
from i18n import N_, _, day
from workflows.compliance import (
    Outcome,
    Review,
    check_notes,
    current_review,
    in_program,
    next_review,
    parse_outcome,
    partner_notice,
    previous_review,
    record_review,
    review_checklist,
)
from workflows.onboarding import Partner, RuleError, Status
from workflows.reporting import local_day
from workflows.text import quote

REVIEWS = "reviews"


async def review(ctx: Context) -> None:
    """Shows the checklist for the quarterly review, or records its outcome; the partner
    is told the outcome, and a failed review offers the suspension."""
    partner = await program.managed(ctx, ctx.word(0, "the partner id"))
    if len(ctx.args.words) == 1:
        await _show(ctx, partner)
        return
    try:
        outcome = parse_outcome(ctx.args.words[1])
        check_notes(outcome, ctx.args.rest(2))
    except RuleError as err:
        raise UsageError(str(err)) from None
    zone = ctx.settings.timezone
    try:
        recorded = record_review(
            partner, outcome, ctx.args.rest(2), ctx.caller.user.username, ctx.now, zone
        )
    except RuleError as err:
        raise refusal(err) from None
    when = recorded.day
    doc = await ctx.tx.get(REVIEWS, partner.id, when.isoformat())
    ctx.tx.put(REVIEWS, recorded.to_doc(), what=f"review {when}: {outcome}")
    await keep_review(ctx.tx, recorded)  # the /stats aggregates, in the same commit
    assert partner.signed is not None  # record_review checked it
    following = next_review(partner.signed, local_day(ctx.now, zone))
    values = {
        "company": quote(partner.company),
        "id": partner.id,
        "day": day(when),
        "outcome": outcome,
    }
    if recorded.notes:
        text = _(
            "Recorded the quarterly review of {company} (`{id}`) for {day}: *{outcome}*, "
            "notes: {notes}."
        ).format(notes=quote(recorded.notes), **values)
    else:
        text = _(
            "Recorded the quarterly review of {company} (`{id}`) for {day}: *{outcome}*."
        ).format(**values)
    if doc is not None:
        text += " " + _("It replaces the earlier record: {earlier}.").format(
            earlier=Review.from_doc(doc).describe(zone)
        )
    text += " " + _("The next review is on {day}.").format(day=day(following))
    attachments: tuple[dict[str, Any], ...] = ()
    if outcome is Outcome.FAIL and partner.status is Status.ACTIVE:
        text += "\n" + _("To suspend the partner: `/suspend {id} <reason>`, or the button.").format(
            id=partner.id
        )
        attachments = suspend_button(ctx.bot.username, partner.id, when)
    ctx.reply(text, attachments)
    await program.tell_partner(ctx, partner, partner_notice(recorded, following))


async def _show(ctx: Context, partner: Partner) -> None:
    zone = ctx.settings.timezone
    try:
        signed = in_program(partner, "are reviewed")
    except RuleError as err:
        raise refusal(err) from None
    today = local_day(ctx.now, zone)
    current = current_review(signed, today)
    shown = [] if current is None else [current, previous_review(signed, current)]
    reviews: dict[date, Review] = {}
    for when in filter(None, shown):  # the current review date and the one before
        doc = await ctx.tx.get(REVIEWS, partner.id, when.isoformat())
        if doc is not None:
            reviews[when] = Review.from_doc(doc)
    fee = await status_of(ctx, partner)
    assert fee is not None  # in the program
    months = await shown_months(ctx, partner)
    checklist = review_checklist(
        partner, months.recent, fee, reviews, ctx.now, zone, older=months.older
    )
    ctx.reply("\n".join(checklist))


def suspend_button(bot: str, partner_id: str, when: date) -> tuple[dict[str, Any], ...]:
    """A Suspend button (as `program.approval_buttons`): it sends the mention form of
    /suspend with the failed review as the reason (in the manager's words: the language in
    force; the date as commands take it)."""
    reason = _("failed the quarterly review of {day}").format(day=when.isoformat())
    return (
        {
            "button_alignment": "horizontal",
            "actions": [
                {
                    "type": "button",
                    "text": _("Suspend"),
                    "msg_in_chat_window": True,
                    "msg": f"@{bot} suspend {partner_id} {reason}",
                },
            ],
        },
    )


SPEC = Command(
    name="review",
    summary=N_("the quarterly compliance checklist of a partner, or record the review's outcome"),
    usage="<partner-id> [pass [notes ...] | warn|fail <notes ...>]",
    example=lambda today: (
        "/review acme-hosting warn "
        + _("the report for {month} was late").format(month=last_month(today).previous())
    ),
    roles=frozenset({Role.MANAGER}),
    handler=review,
)
