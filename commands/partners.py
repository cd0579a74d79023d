"""/partners: one line a partner, for the account managers: where it stands and what is late."""

from __future__ import annotations

from datetime import date
from typing import Any

from commands import program
from commands.fee import recorded_years
from commands.framework import Command, Context, Role, UsageError
from commands.report import filed_months
from commands.review import REVIEWS
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
        raise UsageError("give at most one status or type, or late")
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
        lines.append(f"... and {left_out} more late.")
    elif left_out:
        lines.append(f"... and {left_out} more: narrow it with a status or type.")
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
        return "No partners yet."
    if wanted == LATE:
        return "No partner is late with anything."
    return f"No partners that are {wanted}."


def _filter(text: str) -> str:
    lowered = text.lower()
    if lowered == LATE or lowered in set(Status):
        return lowered
    try:
        return str(parse_type(lowered))
    except RuleError:
        raise UsageError(
            f"{quote(text, as_code=True)} is neither a status ({', '.join(Status)}) nor a type "
            f"({', '.join(PartnerType)}), nor late"
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
    step = partner.next_step()
    line = (
        f"`{partner.id}` {quote(partner.company)}, {partner.type}, {partner.status}, "
        f"next: {step or 'all done'}"
    )
    return line + (f"; late: {behind.describe()}" if behind.anything else "")


SPEC = Command(
    name="partners",
    summary=(
        "one line a partner: id, company, type, status, next step, what is late "
        "(removed ones only with removed)"
    ),
    usage="[status or type | late]",
    example="/partners onboarding",
    roles=frozenset({Role.MANAGER}),
    handler=partners,
)
