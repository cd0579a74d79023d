"""/partners: one line a partner, for the account managers: where it stands and what is late."""

from __future__ import annotations

from datetime import date
from typing import Any

from commands import program
from commands.fee import recorded_years
from commands.report import filed_months
from commands.review import REVIEWS
from engine.framework import Command, Context, Role, UsageError
from i18n import N_, _, ngettext
from workflows.compliance import IN_PROGRAM, Late, late
from workflows.onboarding import Partner, PartnerType, RuleError, Status, parse_type
from workflows.reminders import review_dates
from workflows.reporting import Month, local_day
from workflows.text import quote

MAX_LINES = 50  # a chat message has room for about this many
LATE = "late"  # the filter for the partners with something late


async def partners(ctx: Context) -> None:
    """Lists the partners, optionally only those of one status or type, or those with
    something late; each line says what is late. Removed partners are listed only with
    `/partners removed`."""
    if len(ctx.args.words) > 1:
        raise UsageError(_("give at most one status or type, or late"))
    wanted = _filter(ctx.args.words[0]) if ctx.args.words else None
    found = sorted(
        [doc async for doc in ctx.tx.scan(program.PARTNERS) if _shown(doc, wanted)],
        key=lambda doc: doc["id"],
    )
    lines: list[str] = []
    left_out = 0
    for doc in found:
        if wanted != LATE and len(lines) == MAX_LINES:  # the rest need not be read
            left_out = len(found) - MAX_LINES
            break
        partner = Partner.from_doc(doc)
        behind = await late_of(ctx, partner)
        if wanted == LATE and not behind.anything:
            continue
        if len(lines) == MAX_LINES:
            left_out += 1
            continue
        lines.append(_line(partner, behind))
    if not lines:
        ctx.reply(_none(wanted))
        return
    if left_out and wanted == LATE:
        lines.append(
            ngettext("... and {n} more late.", "... and {n} more late.", left_out).format(
                n=left_out
            )
        )
    elif left_out:
        lines.append(
            ngettext(
                "... and {n} more: narrow it with a status or type.",
                "... and {n} more: narrow it with a status or type.",
                left_out,
            ).format(n=left_out)
        )
    ctx.reply("\n".join(lines))


def _shown(doc: dict[str, Any], wanted: str | None) -> bool:
    """Removed partners leave the list: only `/partners removed` shows them."""
    if wanted == Status.REMOVED:
        return bool(doc["status"] == Status.REMOVED)
    if doc["status"] == Status.REMOVED:
        return False
    return wanted in (None, LATE) or wanted in (doc["status"], doc["type"])


def _none(wanted: str | None) -> str:
    if wanted is None:
        return _("No partners yet.")
    if wanted == LATE:
        return _("No partner is late with anything.")
    return _("No partners that are {wanted}.").format(wanted=wanted)


def _filter(text: str) -> str:
    lowered = text.lower()
    if lowered == LATE or lowered in set(Status):
        return lowered
    try:
        return str(parse_type(lowered))
    except RuleError:
        raise UsageError(
            _("{word} is neither a status ({statuses}) nor a type ({types}), nor late").format(
                word=quote(text, as_code=True),
                statuses=", ".join(Status),
                types=", ".join(PartnerType),
            )
        ) from None


async def late_of(ctx: Context, partner: Partner) -> Late:
    """What the partner is late with (`compliance.late`), reading only what could be."""
    filed: set[Month] = set()
    reviewed: set[date] = set()
    paid: frozenset[int] = frozenset()
    if partner.status in IN_PROGRAM and partner.signed is not None:
        filed = await filed_months(ctx.tx, partner.id)
        today = local_day(ctx.now, ctx.settings.timezone)
        if review_dates(partner.signed, today):
            reviewed = {
                date.fromisoformat(doc["date"]) async for doc in ctx.tx.scan(REVIEWS, partner.id)
            }
        paid = await recorded_years(ctx, partner)
    return late(
        partner,
        filed,
        reviewed,
        paid,
        ctx.now,
        ctx.settings.timezone,
        ctx.settings.report_due_day,
    )


def _line(partner: Partner, behind: Late) -> str:
    """The status, type and step are shown as the words `/partners` and `/approve` take."""
    step = partner.next_step()
    fields = {
        "id": partner.id,
        "company": quote(partner.company),
        "type": partner.type,
        "status": partner.status,
        "step": step or _("all done"),
    }
    if behind.anything:
        return _("`{id}` {company}, {type}, {status}, next: {step}; late: {late}").format(
            late=behind.describe(), **fields
        )
    return _("`{id}` {company}, {type}, {status}, next: {step}").format(**fields)


SPEC = Command(
    name="partners",
    summary=N_(
        "one line a partner: id, company, type, status, next step, what is late "
        "(removed ones only with removed)"
    ),
    usage="[status or type | late]",
    example="/partners onboarding",
    roles=frozenset({Role.MANAGER}),
    handler=partners,
)
